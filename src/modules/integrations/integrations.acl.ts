import { type ModuleAcl, PLAN_REASON } from '../rbac/index.js';
import { PROVIDER_CATEGORIES } from '../../sdk/index.js';
import { integrationLimit } from '../plans/index.js';

const CONNECTION_ACTIONS = ['see', 'view', 'connect', 'configure', 'use', 'disconnect'];

/**
 * Two subjects:
 * - `Connection` with `{ owner, memberId, endUserId }` — who may do what by owner: `integrations.view`
 *   sees every connection and has full use of the member's own; `integrations.manage` manages the
 *   account's and every member's; `connections.manage` manages end users' connections.
 * - `Integration` with `{ category, counted }` — what the plan allows: `counted` is true when the
 *   provider already occupies a place in its category (another connection to it takes no new place).
 */
export const integrationsAcl: ModuleAcl = {
  subjects: ['Connection', 'Integration'],
  define({ can, cannot }, { caller, plan, usage }) {
    const permissions = caller.permissions;
    if (permissions.has('integrations.view')) {
      can(['see', 'view'], 'Connection', { owner: 'account' });
      can('see', 'Connection');
      if (caller.kind === 'member') can(CONNECTION_ACTIONS, 'Connection', { owner: 'member', memberId: caller.userId });
    }
    if (permissions.has('integrations.manage')) can(CONNECTION_ACTIONS, 'Connection', { owner: { $in: ['account', 'member'] } });
    if (permissions.has('connections.manage')) can(CONNECTION_ACTIONS, 'Connection', { owner: 'end_user' });
    // Whoever may act on a connection by owner is then limited by the plan alone.
    if (permissions.has('integrations.view') || permissions.has('connections.manage'))
      can(['view', 'connect', 'configure', 'use', 'disconnect'], 'Integration');
    const categories = new Set([...PROVIDER_CATEGORIES, ...Object.keys(plan.integrations), ...Object.keys(usage).map(categoryOfUsageKey)]);
    // Later rules win in CASL: the catch-all for unlisted categories first, named categories after.
    if (plan.integrations.default === 0) {
      // Categories outside the SDK's list (a plugin's own) fall under the default too.
      const listed = [...categories].filter((key) => integrationLimit(plan, key) !== 0);
      cannot(['connect', 'use'], 'Integration', { category: { $nin: listed } }).because(
        `${PLAN_REASON}the ${plan.name} plan does not include this category of integrations`,
      );
    }
    for (const category of categories) {
      if (!category || category === 'default') continue;
      const limit = integrationLimit(plan, category);
      if (limit === 0) {
        cannot(['connect', 'use'], 'Integration', { category }).because(`${PLAN_REASON}the ${plan.name} plan does not include ${category} integrations`);
      } else if (limit !== null && (usage[`integrations.${category}`] ?? 0) >= limit) {
        cannot('connect', 'Integration', { category, counted: false }).because(
          `${PLAN_REASON}the ${plan.name} plan allows ${limit} connected ${category} integration${limit === 1 ? '' : 's'}`,
        );
      }
    }
  },
  planFeature: (_subject, attributes, plan) => {
    const category = String(attributes.category);
    return { feature: `integrations.${category}`, limit: integrationLimit(plan, category) };
  },
};

function categoryOfUsageKey(key: string): string {
  return key.startsWith('integrations.') ? key.slice('integrations.'.length) : '';
}
