import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { isUUID } from 'class-validator';
import { Strategy } from 'passport-custom';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { UnauthenticatedError } from '../errors/app-errors.js';
import { bearerToken } from './bearer-token.js';
import { USER_ID, type MemberIdentity } from './identity.js';

export const MEMBER_JWT_STRATEGY = 'member-jwt';

/** Lets an identity provider whose clock runs a little ahead issue tokens of exactly the maximum lifetime. */
const CLOCK_SKEW_MS = 60_000;

/** Verified tokens kept at most; beyond it the least recently used are dropped (a token is a few hundred bytes). */
const MAX_VERIFIED = 10_000;

/** Verifies member JWTs (HS256 with AUTH_JWT_SECRET, or any key from AUTH_JWKS_URI). */
@Injectable()
export class MemberJwtStrategy extends PassportStrategy(Strategy, MEMBER_JWT_STRATEGY) {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  /**
   * Tokens already verified, until they expire or for MEMBER_CACHE_TTL_MS: a token is immutable, so its
   * signature and claims need checking once, not on every request of a session.
   */
  private readonly verified = new LRUCache<string, { identity: MemberIdentity; until: number }>({ max: MAX_VERIFIED });

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
    this.key = config.auth.jwksUri ? createRemoteJWKSet(new URL(config.auth.jwksUri)) : new TextEncoder().encode(config.auth.jwtSecret);
  }

  async validate(request: Request): Promise<MemberIdentity | null> {
    const token = bearerToken(request);
    if (!token || !looksLikeJwt(token)) return null;
    return this.verify(token);
  }

  /**
   * Verifies a member JWT however it arrived (header, or the queue dashboard's handoff); throws 401 when
   * bad. A token must expire, and no further ahead than AUTH_JWT_MAX_TTL: a leaked token is then
   * useful for a bounded time. Claims that cannot name a member or an account are refused here, so
   * nothing downstream sees them.
   */
  async verify(token: string): Promise<MemberIdentity> {
    const known = this.verified.get(token);
    if (known && Date.now() < known.until) return known.identity;
    const { identity, expiresAt } = await this.check(token);
    if (this.config.auth.cacheTtlMs > 0) {
      this.verified.set(token, { identity, until: Math.min(expiresAt, Date.now() + this.config.auth.cacheTtlMs) });
    }
    return identity;
  }

  private async check(token: string): Promise<{ identity: MemberIdentity; expiresAt: number }> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key as Uint8Array, {
        algorithms: this.config.auth.jwksUri ? ['RS256', 'ES256', 'EdDSA', 'PS256'] : ['HS256'],
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('The token has expired', 'token_expired');
      throw new UnauthenticatedError('The token is not valid', 'token_invalid');
    }
    if (payload.exp! * 1000 > Date.now() + this.config.auth.maxTtlMs + CLOCK_SKEW_MS) {
      throw new UnauthenticatedError('The token expires further ahead than this server accepts (AUTH_JWT_MAX_TTL)', 'token_invalid');
    }
    const { sub, account_id: accountId, instance_admin: instanceAdmin } = payload;
    const identifiesMember =
      typeof sub === 'string' &&
      USER_ID.test(sub) &&
      (accountId === undefined || (typeof accountId === 'string' && isUUID(accountId))) &&
      (instanceAdmin === undefined || typeof instanceAdmin === 'boolean');
    if (!identifiesMember) throw new UnauthenticatedError('The token does not identify a member', 'token_invalid');
    const identity: MemberIdentity = Object.freeze({
      kind: 'member',
      userId: sub,
      accountId: accountId?.toLowerCase(),
      instanceAdmin: instanceAdmin === true,
    });
    return { identity, expiresAt: payload.exp! * 1000 };
  }
}

export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}
