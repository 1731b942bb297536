import { subject as asSubject } from '@casl/ability';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { AccountCaller, Caller } from '../../core/auth/caller.js';
import { PermissionDeniedError, PlanLimitError } from '../../core/errors/app-errors.js';
import { limitsByCount, type Plan, PlansService } from '../plans/index.js';
import { createAbility } from './ability.factory.js';
import { AclRegistry } from './acl-registry.js';
import { type AclCaller, AppAbility, PLAN_REASON, Usage } from './acl.js';

export interface AccessContext {
  ability: AppAbility;
  plan: Plan;
  /** What the account has, counted when the plan's verdicts depend on it or when asked for (else empty). */
  usage: Usage;
}

interface KeptContext {
  context: Promise<AccessContext>;
  counted: boolean;
}

/** Usage at which every counted limit is reached, listing no feature of its own. */
const EVERY_LIMIT_REACHED: Usage = new Proxy({}, { get: () => Number.POSITIVE_INFINITY });

/** Abilities kept: one per distinct (caller kind, member, role, permissions, plan, usage) in use. */
const MAX_ABILITIES = 1000;

/**
 * CASL abilities composed from every module's ACL: role permissions and plan limits together, so one
 * check answers "may this caller do this". An ability is built from what an ACL may know of the caller
 * (`AclCaller`), the plan and the usage, and nothing else, so it is kept by exactly those and shared by
 * every request they are the same for: building one was most of what a request allocated. A change of
 * role, permissions, plan or usage makes a new key, never a stale hit.
 */
@Injectable()
export class AccessService {
  /** The context of each request's caller: usage is read at most once per request. */
  private readonly contexts = new WeakMap<Caller, KeptContext>();
  /** The uncounted ability of each request's caller, found once per request (a page asks for it per row). */
  private readonly uncountedAbilities = new WeakMap<Caller, AppAbility>();
  private readonly abilities = new LRUCache<string, AppAbility>({ max: MAX_ABILITIES });

  constructor(
    private readonly plans: PlansService,
    private readonly acls: AclRegistry,
  ) {}

  /**
   * The caller's ability under the plan as it applies now. The usage is counted (one query) only when a
   * limit of the plan is a number to reach, or when `withUsage` asks for it (`/v1/me` shows it): on a
   * plan that only allows or refuses, no verdict depends on it.
   */
  context(caller: AccountCaller, { withUsage = false } = {}): Promise<AccessContext> {
    let kept = this.contexts.get(caller);
    if (!kept || (withUsage && !kept.counted)) {
      const plan = this.plans.get(caller.plan);
      const limited = limitsByCount(plan);
      const counted = withUsage || limited;
      kept = { context: this.build(caller, plan, counted, limited), counted };
      this.contexts.set(caller, kept);
    }
    return kept.context;
  }

  /**
   * The caller's ability without counting the plan's usage (no query): for checks no limit depends on —
   * who may see, view, configure or use what. A check that does depend on usage (connecting, creating a
   * key) is refused by it, as if every limit were reached, so using it by mistake fails closed.
   */
  uncounted(caller: AccountCaller): AppAbility {
    let ability = this.uncountedAbilities.get(caller);
    if (!ability) {
      ability = this.ability(caller, this.plans.get(caller.plan), undefined);
      this.uncountedAbilities.set(caller, ability);
    }
    return ability;
  }

  /** Throws 402 when the plan forbids it, 403 when the role does. */
  async ensure(caller: AccountCaller, action: string, subjectType: string, attributes: Record<string, unknown> = {}): Promise<void> {
    const { ability, plan } = await this.context(caller);
    const target = asSubject(subjectType, { ...attributes });
    if (ability.can(action, target)) return;
    const rule = ability.relevantRuleFor(action, target);
    if (rule?.inverted && rule.reason?.startsWith(PLAN_REASON)) {
      const { feature, limit } = this.acls.forSubject(subjectType)!.planFeature(subjectType, attributes, plan);
      const reason = rule.reason.slice(PLAN_REASON.length);
      throw new PlanLimitError(reason.charAt(0).toUpperCase() + reason.slice(1), { plan: plan.key, feature, limit });
    }
    throw new PermissionDeniedError(`${subjectType}:${action}`, `Your role may not ${action} this ${subjectType}`);
  }

  /** `limited`: a count decides some verdict of the plan; else the ability is built and kept without the usage, counted or not. */
  private async build(caller: AccountCaller, plan: Plan, counted: boolean, limited: boolean): Promise<AccessContext> {
    const usage = counted ? await this.plans.usage(caller.accountId, caller.livemode) : {};
    return { ability: this.ability(caller, plan, limited ? usage : {}), plan, usage };
  }

  /** The ability for the caller, the plan and the usage (none: every limit reached). */
  private ability(caller: Caller, plan: Plan, usage: Usage | undefined): AppAbility {
    const aclCaller: AclCaller = { kind: caller.kind, userId: caller.userId, role: caller.role, permissions: caller.permissions };
    const acls = this.acls.all();
    const key = JSON.stringify([
      // The registry only grows: an ACL registered late (modules register at start-up) makes new keys.
      acls.length,
      aclCaller.kind,
      aclCaller.userId ?? null,
      aclCaller.role,
      [...aclCaller.permissions].sort(),
      plan.key,
      usage ? Object.entries(usage).sort(([a], [b]) => (a < b ? -1 : 1)) : null,
    ]);
    let ability = this.abilities.get(key);
    if (!ability) {
      ability = createAbility(acls, { caller: aclCaller, plan, usage: usage ?? EVERY_LIMIT_REACHED });
      this.abilities.set(key, ability);
    }
    return ability;
  }
}
