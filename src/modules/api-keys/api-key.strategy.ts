import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { API_KEY_STRATEGY } from '../../core/auth/authentication.guard.js';
import { bearerToken } from '../../core/auth/bearer-token.js';
import { PerApplication } from '../../core/auth/per-application.js';
import { requestedMode } from '../../core/auth/caller.js';
import type { ApiKeyIdentity } from '../../core/auth/identity.js';
import { ApiKeyVerifier } from './api-key-verifier.js';

const verifiers = new PerApplication<ApiKeyVerifier>();

/**
 * `Authorization: Bearer {prefix}_live_…|{prefix}_test_…`. Tokens without the key prefix are left to
 * the other strategies; a token with it is this strategy's to accept or refuse (401 with a reason,
 * 402 when the plan no longer allows the key).
 */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(Strategy, API_KEY_STRATEGY) implements OnApplicationBootstrap {
  constructor(
    private readonly verifier: ApiKeyVerifier,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    verifiers.register(this.adapterHost, this.verifier);
  }

  async validate(request: Request): Promise<ApiKeyIdentity | null> {
    const token = bearerToken(request);
    const verifier = verifiers.of(request, this.verifier);
    if (!token || !verifier.claims(token)) return null;
    return verifier.verify(token, requestedMode(request.header('plugboard-mode')));
  }
}
