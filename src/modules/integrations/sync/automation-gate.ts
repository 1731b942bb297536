import { Injectable } from '@nestjs/common';

/** Whether a provider's automatic work may run for an account in one mode. */
export type AutomationCheck = (scope: { accountId: string; livemode: boolean }, provider: string) => Promise<boolean>;

/**
 * What lets a module above integrations pause a provider's automatic work for an account (the
 * onboarding module's integration feature flags) without integrations knowing why: onEvent reactions
 * and scheduled syncs ask every registered check before they run, and run only when all allow it. The
 * connection itself, manual syncs, actions and the proxy are not affected.
 */
@Injectable()
export class AutomationGate {
  private readonly checks: AutomationCheck[] = [];

  register(check: AutomationCheck): void {
    this.checks.push(check);
  }

  async allows(scope: { accountId: string; livemode: boolean }, provider: string): Promise<boolean> {
    for (const check of this.checks) if (!(await check({ accountId: scope.accountId, livemode: scope.livemode }, provider))) return false;
    return true;
  }
}
