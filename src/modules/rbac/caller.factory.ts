import { Injectable } from '@nestjs/common';
import { requestedMode, type AccountCaller, type Caller } from '../../core/auth/caller.js';
import type { Identity } from '../../core/auth/identity.js';
import { PermissionDeniedError } from '../../core/errors/app-errors.js';

/** A member's standing in an account, as authorization needs it. */
export interface MemberAccess {
  role: string;
  permissions: ReadonlySet<string>;
  plan: string;
}

/** Who belongs to which account: supplied by the accounts module, which rbac does not import. */
export interface MemberDirectory {
  /** Null when the account does not exist or the user is not its member. */
  accessOf(accountId: string, userId: string): Promise<MemberAccess | null>;
}

/** Turns verified credentials into a Caller: membership, role permissions, plan and mode. */
@Injectable()
export class CallerFactory {
  private directory?: MemberDirectory;

  useMemberDirectory(directory: MemberDirectory): void {
    this.directory = directory;
  }

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
        ...(identity.mcpTools ? { mcpTools: identity.mcpTools } : {}),
      };
    }
    if (!this.directory) throw new Error('No member directory: the accounts module is not loaded');
    const member = await this.directory.accessOf(identity.accountId, identity.userId);
    if (!member) throw new PermissionDeniedError('account', 'You are not a member of this account');
    return {
      kind: 'member',
      userId: identity.userId,
      instanceAdmin: identity.instanceAdmin,
      accountId: identity.accountId,
      livemode: mode !== 'test',
      role: member.role,
      permissions: member.permissions,
      plan: member.plan,
    };
  }
}
