import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** null means unlimited; 0 means not included. */
export type Limit = number | null;

export interface Plan {
  key: string;
  name: string;
  integrations: { default: Limit; [category: string]: Limit };
  /** Connections of one provider one owner (the account, a member, an end user) may have at once. */
  connectionsPerOwner: Limit;
  webhooks: boolean;
  apiKeys: { test: Limit; live: Limit };
}

export interface PlanCatalog {
  defaultPlan: string;
  plans: Map<string, Plan>;
}

export class PlanFileError extends Error {}

const DEFAULT_CONNECTIONS_PER_OWNER = 25;

/** Loads and validates config/plans.yaml; a bad file stops start-up with the path of the bad value. */
export function loadPlanCatalog(file: string): PlanCatalog {
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PlanFileError(`${file}: ${(error as Error).message}`);
  }
  return parsePlanCatalog(document, file);
}

export function parsePlanCatalog(document: unknown, source = 'plans'): PlanCatalog {
  const fail = (path: string, expected: string): never => {
    throw new PlanFileError(`${source}: ${path} must be ${expected}`);
  };
  if (!isObject(document)) fail('the document', 'a mapping with defaultPlan and plans');
  const root = document as Record<string, unknown>;
  if (!isObject(root.plans) || Object.keys(root.plans).length === 0) fail('plans', 'a non-empty mapping');
  const plans = new Map<string, Plan>();
  for (const [key, raw] of Object.entries(root.plans as Record<string, unknown>)) {
    if (!/^[a-z][a-z0-9_]*$/.test(key)) fail(`plans.${key}`, 'named with lower-case letters, digits and _');
    if (!isObject(raw)) fail(`plans.${key}`, 'a mapping');
    const plan = raw as Record<string, unknown>;
    if (typeof plan.name !== 'string') fail(`plans.${key}.name`, 'a string');
    if (!isObject(plan.integrations)) fail(`plans.${key}.integrations`, 'a mapping of category to limit');
    const integrations: Plan['integrations'] = { default: 0 };
    for (const [category, limit] of Object.entries(plan.integrations as Record<string, unknown>)) {
      integrations[category] = parseLimit(limit, `plans.${key}.integrations.${category}`, fail);
    }
    if (typeof plan.webhooks !== 'boolean') fail(`plans.${key}.webhooks`, 'true or false');
    if (!isObject(plan.apiKeys)) fail(`plans.${key}.apiKeys`, 'a mapping with test and live');
    const apiKeys = plan.apiKeys as Record<string, unknown>;
    plans.set(key, {
      key,
      name: plan.name as string,
      integrations,
      connectionsPerOwner:
        plan.connectionsPerOwner === undefined ? DEFAULT_CONNECTIONS_PER_OWNER : parseLimit(plan.connectionsPerOwner, `plans.${key}.connectionsPerOwner`, fail),
      webhooks: plan.webhooks as boolean,
      apiKeys: {
        test: parseLimit(apiKeys.test, `plans.${key}.apiKeys.test`, fail),
        live: parseLimit(apiKeys.live, `plans.${key}.apiKeys.live`, fail),
      },
    });
  }
  const defaultPlan = root.defaultPlan;
  if (typeof defaultPlan !== 'string' || !plans.has(defaultPlan)) fail('defaultPlan', `one of ${[...plans.keys()].join(', ')}`);
  return { defaultPlan: defaultPlan as string, plans };
}

function parseLimit(value: unknown, path: string, fail: (path: string, expected: string) => never): Limit {
  if (value === 'unlimited') return null;
  if (value === 'none' || value === false) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  return fail(path, 'unlimited, none or a whole number');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The limit a plan sets on a category of integrations. */
export function integrationLimit(plan: Plan, category: string): Limit {
  return category in plan.integrations ? plan.integrations[category] : plan.integrations.default;
}

/**
 * Whether the plan's verdicts can depend on what the account has: only a positive limit is reached by
 * counting (`none` refuses and `unlimited` allows whatever the count). Connections per owner are
 * counted where one is created, not in the usage.
 */
export function limitsByCount(plan: Plan): boolean {
  return [...Object.values(plan.integrations), plan.apiKeys.test, plan.apiKeys.live].some((limit) => limit !== null && limit > 0);
}
