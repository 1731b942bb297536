import type { Caller } from '../../core/auth/caller.js';
import { PermissionDeniedError } from '../../core/errors/app-errors.js';
import { OWNER_ROLE } from './permissions.js';

/**
 * The one rule for everything that carries permissions (API keys, members, roles): whoever creates,
 * changes, rolls, revokes or deletes it must hold every permission it holds or would hold. Nobody can
 * therefore hand out a permission they lack, nor take over or disarm someone who has more.
 */
export function assertHoldsAll(caller: Caller, permissions: Iterable<string>, deed: string): void {
  for (const permission of permissions) {
    if (!caller.permissions.has(permission)) {
      throw new PermissionDeniedError(permission, `You cannot ${deed}: it needs "${permission}", which you do not hold`);
    }
  }
}

/** Owners are made, changed and removed only by owners (an admin holds the same permissions, not the account). */
export function assertMayTouchOwners(caller: Caller, deed: string): void {
  if (caller.role !== OWNER_ROLE) throw new PermissionDeniedError('members.manage', `Only an owner can ${deed}`);
}
