import { subject as asSubject } from '@casl/ability';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { NotFoundError, PermissionDeniedError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { AccessService } from '../../rbac/index.js';
import type { ConnectionOwner, Integration } from '../entities/integration.entity.js';

/** What may be done with a connection: `see` it exists, `view` its details, and the rest as named. */
export type ConnectionAction = 'see' | 'view' | 'connect' | 'configure' | 'use' | 'disconnect';

/** Who owns a connection, as CASL conditions match it. */
export interface OwnerSpec {
  owner: ConnectionOwner;
  memberId: string | null;
  endUserId: string | null;
}

const OWNER_FIELDS = ['owner', 'memberId', 'endUserId'] as const;

export const ownerOf = (connection: Integration): OwnerSpec => ({
  owner: connection.owner,
  memberId: connection.memberId ?? null,
  endUserId: connection.endUserId ?? null,
});

/**
 * Authorization by owner (the `Connection` rules of integrations.acl.ts): what a caller may do with a
 * connection given whose it is. Someone else's connection the caller may not even view answers 404, as
 * another account's would; one the caller may view but not change answers 403.
 */
@Injectable()
export class ConnectionAccess {
  constructor(private readonly access: AccessService) {}

  /** By owner alone: no plan limit governs a `Connection`, so no usage is counted. */
  authorize(caller: AccountCaller, connection: Integration, action: ConnectionAction): void {
    const ability = this.access.uncounted(caller);
    const target = asSubject('Connection', { ...ownerOf(connection) });
    if (ability.can(action, target)) return;
    if (ability.can('view', target)) throw new PermissionDeniedError(permissionFor(connection.owner), `Your role may not ${action} this connection`);
    throw new NotFoundError('Connection');
  }

  /** Whether the caller may read the details of a connection of this owner (else only that it exists). */
  mayView(caller: AccountCaller, owner: OwnerSpec): boolean {
    return this.access.uncounted(caller).can('view', asSubject('Connection', { ...owner }));
  }

  /**
   * `mayView` for the rows of a page: one verdict per owner as the caller's rules tell owners apart (a
   * page of 50 end users' connections is one verdict when no rule names an end user).
   */
  viewVerdicts(caller: AccountCaller): (owner: OwnerSpec) => boolean {
    const conditions = this.access
      .uncounted(caller)
      .rulesFor('view', 'Connection')
      .flatMap((rule) => Object.keys(rule.conditions ?? {}));
    // A rule of operators ($or, …) could name any field: then every field tells owners apart.
    const named = conditions.some((field) => field.startsWith('$')) ? OWNER_FIELDS : OWNER_FIELDS.filter((field) => conditions.includes(field));
    const verdicts = new Map<string, boolean>();
    return (owner) => {
      const key = named.map((field) => owner[field] ?? '').join('\u0000');
      let verdict = verdicts.get(key);
      if (verdict === undefined) verdicts.set(key, (verdict = this.mayView(caller, owner)));
      return verdict;
    };
  }

  /** The owner a new connection gets from what the caller asked, or 400; 403 when the caller may not create it. */
  async ownerForNew(caller: AccountCaller, requested: { owner?: ConnectionOwner; endUserId?: string }): Promise<OwnerSpec> {
    const owner = requested.owner ?? 'account';
    if (owner === 'end_user' && !requested.endUserId) {
      throw new ValidationFailedError('An end user connection names its end user', [{ path: 'endUserId', message: 'is required for owner end_user' }]);
    }
    if (owner !== 'end_user' && requested.endUserId) {
      throw new ValidationFailedError('Only end user connections name an end user', [{ path: 'endUserId', message: 'is allowed only with owner end_user' }]);
    }
    if (owner === 'member' && caller.kind !== 'member') {
      throw new ValidationFailedError('An API key is no member', [
        { path: 'owner', message: 'member connections are created by the member, with their own token' },
      ]);
    }
    const spec: OwnerSpec = { owner, memberId: owner === 'member' ? caller.userId! : null, endUserId: owner === 'end_user' ? requested.endUserId! : null };
    const { ability } = await this.access.context(caller);
    if (!ability.can('connect', asSubject('Connection', { ...spec }))) {
      throw new PermissionDeniedError(permissionFor(owner), `Creating ${owner.replace('_', ' ')} connections needs "${permissionFor(owner)}"`);
    }
    return spec;
  }

  /** Which owners' connections the caller may see at all: all, only end users', or none (403). */
  visibleOwners(caller: AccountCaller): ConnectionOwner[] | 'all' {
    const ability = this.access.uncounted(caller);
    if (ability.can('see', asSubject('Connection', { owner: 'account', memberId: null, endUserId: null }))) return 'all';
    if (ability.can('see', asSubject('Connection', { owner: 'end_user', memberId: null, endUserId: null }))) return ['end_user'];
    throw new PermissionDeniedError('integrations.view', 'Seeing connections needs "integrations.view" (or "connections.manage" for end users\' connections)');
  }
}

function permissionFor(owner: ConnectionOwner): string {
  if (owner === 'end_user') return 'connections.manage';
  return owner === 'member' ? 'integrations.view' : 'integrations.manage';
}
