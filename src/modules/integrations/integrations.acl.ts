import { type ModuleAcl, PLAN_REASON } from '../rbac/index.js';
import { PROVIDER_CATEGORIES } from '../../sdk/index.js';
import { integrationLimit } from '../plans/index.js';

/**
 * Subject `Integration` with attributes `{ category, counted }`: `counted` is true when the integration
 * already occupies a place in its category (re-connecting it takes no new place).
 */
export const integrationsAcl: ModuleAcl = {
  subjects: ['Integration'],
  define({ can, cannot }, { caller, plan, usage }) {
    if (caller.permissions.has('integrations.view')) can('view', 'Integration');
    if (caller.permissions.has('integrations.manage')) can(['connect', 'configure', 'use', 'disconnect'], 'Integration');
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
