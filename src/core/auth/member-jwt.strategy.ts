import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, JWTVerifyGetKey } from 'jose';
import { Strategy } from 'passport-custom';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { UnauthenticatedError } from '../errors/app-errors.js';
import { bearerToken } from './bearer-token.js';
import type { MemberIdentity } from './identity.js';

export const MEMBER_JWT_STRATEGY = 'member-jwt';

/** Verifies member JWTs (HS256 with AUTH_JWT_SECRET, or any key from AUTH_JWKS_URI). */
@Injectable()
export class MemberJwtStrategy extends PassportStrategy(Strategy, MEMBER_JWT_STRATEGY) {
  private readonly key: Uint8Array | JWTVerifyGetKey;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
    this.key = config.auth.jwksUri
      ? createRemoteJWKSet(new URL(config.auth.jwksUri))
      : new TextEncoder().encode(config.auth.jwtSecret);
  }

  async validate(request: Request): Promise<MemberIdentity | null> {
    const token = bearerToken(request);
    if (!token || !looksLikeJwt(token)) return null;
    return this.verify(token);
  }

  /** Verifies a member JWT however it arrived (header, or the queue dashboard's cookie); throws 401 when bad. */
  async verify(token: string): Promise<MemberIdentity> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key as Uint8Array, {
        algorithms: this.config.auth.jwksUri ? ['RS256', 'ES256', 'EdDSA', 'PS256'] : ['HS256'],
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        requiredClaims: ['sub'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('The token has expired', 'token_expired');
      throw new UnauthenticatedError('The token is not valid', 'token_invalid');
    }
    const accountId = payload.account_id;
    if (accountId !== undefined && typeof accountId !== 'string') {
      throw new UnauthenticatedError('The token is not valid', 'token_invalid');
    }
    return {
      kind: 'member',
      userId: String(payload.sub),
      accountId,
      instanceAdmin: payload.instance_admin === true,
    };
  }
}

export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}
