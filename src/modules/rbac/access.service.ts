import { subject as asSubject } from '@casl/ability';
import { Injectable } from '@nestjs/common';
import type { AccountCaller, Caller } from '../../core/auth/caller.js';
import { PermissionDeniedError, PlanLimitError } from '../../core/errors/app-errors.js';
import { type Plan, PlansService } from '../plans/index.js';
import { createAbility } from './ability.factory.js';
import { AclRegistry } from './acl-registry.js';
import { AppAbility, PLAN_REASON, Usage } from './acl.js';

export interface AccessContext {
  ability: AppAbility;
  plan: Plan;
  usage: Usage;
}

/** Usage at which every counted limit is reached, listing no feature of its own. */
const EVERY_LIMIT_REACHED: Usage = new Proxy({}, { get: () => Number.POSITIVE_INFINITY });

/**
 * One CASL ability per caller (cached for the request) composed from every module's ACL: role
 * permissions and plan limits together, so one check answers "may this caller do this".
 */
@Injectable()
export class AccessService {
  private readonly contexts = new WeakMap<Caller, Promise<AccessContext>>();
  private readonly uncountedAbilities = new WeakMap<Caller, AppAbility>();

  constructor(
    private readonly plans: PlansService,
    private readonly acls: AclRegistry,
  ) {}

  context(caller: AccountCaller): Promise<AccessContext> {
    let context = this.contexts.get(caller);
    if (!context) {
      context = this.build(caller);
      this.contexts.set(caller, context);
    }
    return context;
  }

  /**
   * The caller's ability without counting the plan's usage (no query): for checks no limit depends on —
   * who may see, view, configure or use what. A check that does depend on usage (connecting, creating a
   * key) is refused by it, as if every limit were reached, so using it by mistake fails closed.
   */
  uncounted(caller: AccountCaller): AppAbility {
    let ability = this.uncountedAbilities.get(caller);
    if (!ability) {
      ability = createAbility(this.acls.all(), { caller, plan: this.plans.get(caller.plan), usage: EVERY_LIMIT_REACHED });
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

  private async build(caller: AccountCaller): Promise<AccessContext> {
    const plan = this.plans.get(caller.plan);
    const usage = await this.plans.usage(caller.accountId, caller.livemode);
    return { ability: createAbility(this.acls.all(), { caller, plan, usage }), plan, usage };
  }
}
