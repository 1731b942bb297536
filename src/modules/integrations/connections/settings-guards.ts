import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import type { ConnectionOwner } from '../entities/integration.entity.js';

/** A change to a connection that a guard is asked about: its settings before and after (equal when only credentials or the default change). */
export interface SettingsChange {
  provider: string;
  owner: ConnectionOwner;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** Throws (403, 400) when the caller may not make this change. */
export type SettingsGuard = (caller: AccountCaller, change: SettingsChange) => Promise<void>;

/**
 * Rules that modules above integrations set on changing connections of their providers — the SSO
 * broker's: whoever configures (or changes a connection that has) member provisioning must be allowed
 * to add members with its role. Asked whenever settings, credentials or the default connection change.
 */
@Injectable()
export class SettingsGuards {
  private readonly guards = new Map<string, SettingsGuard[]>();

  register(providers: readonly string[], guard: SettingsGuard): void {
    for (const provider of providers) this.guards.set(provider, [...(this.guards.get(provider) ?? []), guard]);
  }

  async check(caller: AccountCaller, change: SettingsChange): Promise<void> {
    for (const guard of this.guards.get(change.provider) ?? []) await guard(caller, change);
  }
}
