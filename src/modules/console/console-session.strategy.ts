import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-custom';
import { CONSOLE_SESSION_STRATEGY } from '../../core/auth/authentication.guard.js';
import type { MemberIdentity } from '../../core/auth/identity.js';
import { PerApplication } from '../../core/auth/per-application.js';
import { ConsoleSessionsService } from './console-sessions.service.js';

const services = new PerApplication<ConsoleSessionsService>();

/**
 * The console's session cookie. A request that carries `Authorization` is the bearer strategies' to
 * judge, so a token never mixes with a browser's session.
 */
@Injectable()
export class ConsoleSessionStrategy extends PassportStrategy(Strategy, CONSOLE_SESSION_STRATEGY) implements OnApplicationBootstrap {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    services.register(this.adapterHost, this.sessions);
  }

  async validate(request: Request): Promise<MemberIdentity | null> {
    if (request.headers.authorization !== undefined) return null;
    return (await services.of(request, this.sessions).authenticate(request)) ?? null;
  }
}
