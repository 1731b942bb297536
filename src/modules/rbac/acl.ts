import { AbilityBuilder, createMongoAbility, MongoAbility } from '@casl/ability';
import type { Caller } from '../../core/auth/caller.js';
import type { Limit, Plan } from '../plans/index.js';

/**
 * "manage" is an ordinary action here (integrations.manage), so CASL's wildcard action and subject
 * are renamed out of the way.
 */
export const ANY_ACTION = '*';
export const ANY_SUBJECT = 'all';

export type AppAbility = MongoAbility;

/** Counts of what the account already has, keyed like the plan features (`integrations.payment`, `api_keys.test`). */
export type Usage = Record<string, number>;

/**
 * What an ACL may know of the caller. Abilities are shared by every caller alike in these (with the
 * same plan and usage), so a rule can depend on nothing else: not the account, the key or the mode.
 */
export type AclCaller = Pick<Caller, 'kind' | 'userId' | 'role' | 'permissions'>;

export interface AclContext {
  caller: AclCaller;
  plan: Plan;
  usage: Usage;
}

export interface PlanFeature {
  feature: string;
  limit: Limit;
}

/** A module's CASL rules: what its permissions grant and what the account's plan forbids. */
export interface ModuleAcl {
  /** The subject types this ACL speaks for. */
  subjects: readonly string[];
  define(builder: AbilityBuilder<AppAbility>, context: AclContext): void;
  /** The plan feature behind a plan denial of this subject, for the 402 body. */
  planFeature(subjectType: string, attributes: Record<string, unknown>, plan: Plan): PlanFeature;
}

/** A plan rule's reason starts with this marker, so a denial can be told apart from a role denial. */
export const PLAN_REASON = 'plan: ';

export function newAbilityBuilder(): AbilityBuilder<AppAbility> {
  return new AbilityBuilder<AppAbility>(createMongoAbility);
}

export function buildAbility(builder: AbilityBuilder<AppAbility>): AppAbility {
  return builder.build({ anyAction: ANY_ACTION, anySubjectType: ANY_SUBJECT });
}

/** The CASL action and subject a permission grants: `integrations.view` → view on `integrations`. */
export function permissionRule(permission: string): { action: string; subject: string } {
  const dot = permission.lastIndexOf('.');
  return { subject: permission.slice(0, dot), action: permission.slice(dot + 1) };
}
