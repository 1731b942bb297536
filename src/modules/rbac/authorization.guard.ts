import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Caller } from '../../core/auth/caller.js';
import type { Identity } from '../../core/auth/identity.js';
import { IS_PUBLIC } from '../../core/auth/public.decorator.js';
import { PermissionDeniedError } from '../../core/errors/app-errors.js';
import { AccessRule, ACCESS_RULE } from './authorize.decorator.js';
import { CallerFactory } from './caller.factory.js';

type AuthorizedRequest = Request & { user?: Identity; caller?: Caller };

/**
 * Runs after authentication on every route. A route states who may call it (@Authorize,
 * @AuthorizeAccount, @InstanceAdmin or @Public); a route that states nothing is refused.
 */
@Injectable()
export class AuthorizationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly callers: CallerFactory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, targets);
    const request = context.switchToHttp().getRequest<AuthorizedRequest>();
    const identity = request.user!;
    if (!rule) throw new PermissionDeniedError('undeclared', 'This route declares no access rule');
    if (rule.kind === 'instance_admin') {
      request.caller = this.callers.forInstance(identity);
      return true;
    }
    const caller = await this.callers.forAccount(identity, request.header('plugboard-mode'));
    request.caller = caller;
    if (rule.kind === 'permission' && !rule.permissions.some((permission) => caller.permissions.has(permission))) {
      throw new PermissionDeniedError(rule.permissions.join(' or '));
    }
    return true;
  }
}
