import type { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { EntityRows } from '../../core/database/entity-rows.js';
import { ValidationFailedError } from '../../core/errors/app-errors.js';
import { loadPlanCatalog, Plan, PlanCatalog } from './plan-catalog.js';

/**
 * Counts what an account has in one mode: a statement answering rows of `feature` (a plan feature,
 * `integrations.payment`, `api_keys.test`) and `count`, with its parameters for the account and mode.
 * Every module's counter runs in one statement, one round trip for the whole usage.
 */
export interface UsageCounter {
  sql: string;
  params: (accountId: string, livemode: boolean) => unknown[];
}

/**
 * Brings a module's resources in line with a new plan inside the plan change's transaction: a
 * downgrade suspends what the plan no longer allows, an upgrade restores exactly what was suspended.
 */
export type PlanChangeHandler = (em: EntityManager, accountId: string, plan: Plan) => Promise<void> | void;

@Injectable()
export class PlansService {
  private readonly catalog: PlanCatalog;
  private readonly counters: UsageCounter[] = [];
  private readonly planChangeHandlers: PlanChangeHandler[] = [];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly rows: EntityRows,
  ) {
    this.catalog = loadPlanCatalog(config.plansFile);
  }

  get defaultPlan(): string {
    return this.catalog.defaultPlan;
  }

  keys(): string[] {
    return [...this.catalog.plans.keys()];
  }

  /** The plan by key; an account whose plan was removed from plans.yaml falls back to the default plan. */
  get(key: string): Plan {
    return this.catalog.plans.get(key) ?? this.catalog.plans.get(this.catalog.defaultPlan)!;
  }

  assertExists(key: string): void {
    if (!this.catalog.plans.has(key)) {
      throw new ValidationFailedError('Unknown plan', [{ path: 'plan', message: `must be one of ${this.keys().join(', ')}` }]);
    }
  }

  /** Modules that own counted resources register how to count them. */
  registerUsageCounter(counter: UsageCounter): void {
    this.counters.push(counter);
  }

  async usage(accountId: string, livemode: boolean): Promise<Record<string, number>> {
    if (this.counters.length === 0) return {};
    const rows = await this.rows.query(
      this.counters.map((counter) => `(${counter.sql})`).join(' union all '),
      this.counters.flatMap((counter) => counter.params(accountId, livemode)),
    );
    return Object.fromEntries(rows.map((row) => [String(row.feature), Number(row.count)]));
  }

  registerPlanChangeHandler(handler: PlanChangeHandler): void {
    this.planChangeHandlers.push(handler);
  }

  async applyPlan(em: EntityManager, accountId: string, planKey: string): Promise<void> {
    const plan = this.get(planKey);
    for (const handler of this.planChangeHandlers) await handler(em, accountId, plan);
  }
}
