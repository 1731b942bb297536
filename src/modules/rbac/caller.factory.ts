import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { requestedMode, type AccountCaller, type Caller } from '../../core/auth/caller.js';
import type { Identity } from '../../core/auth/identity.js';
import { PermissionDeniedError } from '../../core/errors/app-errors.js';
import { Account } from '../accounts/entities/account.entity.js';
import { Membership } from '../accounts/entities/membership.entity.js';
import { RolesService } from './roles.service.js';

/** Turns verified credentials into a Caller: membership, role permissions, plan and mode. */
@Injectable()
export class CallerFactory {
  constructor(
    private readonly em: EntityManager,
    private readonly roles: RolesService,
  ) {}

  forInstance(identity: Identity): Caller {
    if (identity.kind !== 'member' || !identity.instanceAdmin) {
      throw new PermissionDeniedError('instance_admin', 'This route is for instance administrators');
    }
    return {
      kind: 'member',
      userId: identity.userId,
      instanceAdmin: true,
      accountId: identity.accountId,
      livemode: true,
      role: null,
      permissions: new Set(),
    };
  }

  async forAccount(identity: Identity, modeHeader: string | undefined): Promise<AccountCaller> {
    const mode = requestedMode(modeHeader);
    if (!identity.accountId) {
      throw new PermissionDeniedError('account', 'The token names no account (account_id claim)');
    }
    if (identity.kind === 'api_key') {
      // Verifying the key loaded its account and plan (cached with the key, dropped on plan changes).
      return {
        kind: 'api_key',
        apiKeyId: identity.apiKeyId,
        instanceAdmin: false,
        accountId: identity.accountId,
        livemode: identity.livemode,
        role: null,
        permissions: new Set(identity.permissions),
        plan: identity.plan,
      };
    }
    const em = this.em.fork();
    const account = await em.findOne(Account, { id: identity.accountId }, { fields: ['id', 'plan'] });
    const membership = account
      ? await em.findOne(Membership, { accountId: account.id, userId: identity.userId }, { fields: ['role'] })
      : null;
    if (!account || !membership) {
      throw new PermissionDeniedError('account', 'You are not a member of this account');
    }
    return {
      kind: 'member',
      userId: identity.userId,
      instanceAdmin: identity.instanceAdmin,
      accountId: account.id,
      livemode: mode !== 'test',
      role: membership.role,
      permissions: await this.roles.permissionsOf(account.id, membership.role, em),
      plan: account.plan,
    };
  }
}
