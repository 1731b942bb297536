import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { UnauthenticatedError } from '../errors/app-errors.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { MEMBER_JWT_STRATEGY } from './member-jwt.strategy.js';
import { IS_PUBLIC } from './public.decorator.js';

/** The name of the API-key strategy, which the api-keys module provides (core names it, so it imports no module). */
export const API_KEY_STRATEGY = 'api-key';

/** The name of the web console's session-cookie strategy, which the console module provides. */
export const CONSOLE_SESSION_STRATEGY = 'console-session';

/** Strategies tried in order; each ignores credentials that are not its kind and rejects bad ones of its kind. */
export const AUTH_STRATEGIES = [MEMBER_JWT_STRATEGY, API_KEY_STRATEGY, CONSOLE_SESSION_STRATEGY];

@Injectable()
export class AuthenticationGuard extends AuthGuard(AUTH_STRATEGIES) {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimit: RateLimitGuard,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  override handleRequest<TUser>(error: Error | null, user: TUser, _info: unknown, context: ExecutionContext): TUser {
    if (error && !(error instanceof UnauthenticatedError)) throw error;
    if (error || !user) {
      this.rateLimit.chargeFailedAuthentication(context.switchToHttp().getRequest<Request>());
      throw error ?? new UnauthenticatedError('Missing or malformed bearer token', 'missing_credentials');
    }
    return user;
  }
}
