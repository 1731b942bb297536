import { type ModuleAcl, PLAN_REASON } from '../rbac/index.js';

/** Subject `ApiKey` with attribute `{ mode }`: the plan caps test and live keys separately. */
export const apiKeysAcl: ModuleAcl = {
  subjects: ['ApiKey'],
  define({ can, cannot }, { caller, plan, usage }) {
    if (caller.permissions.has('api_keys.view')) can('view', 'ApiKey');
    if (caller.permissions.has('api_keys.manage')) can(['create', 'revoke', 'roll'], 'ApiKey');
    for (const mode of ['test', 'live'] as const) {
      const limit = plan.apiKeys[mode];
      if (limit === 0) {
        cannot(['create', 'roll'], 'ApiKey', { mode }).because(`${PLAN_REASON}the ${plan.name} plan does not include ${mode} API keys`);
      } else if (limit !== null && (usage[`api_keys.${mode}`] ?? 0) >= limit) {
        cannot('create', 'ApiKey', { mode }).because(`${PLAN_REASON}the ${plan.name} plan allows ${limit} active ${mode} API key${limit === 1 ? '' : 's'}`);
      }
    }
  },
  planFeature: (_subject, attributes, plan) => {
    const mode = attributes.mode === 'live' ? 'live' : 'test';
    return { feature: `api_keys.${mode}`, limit: plan.apiKeys[mode] };
  },
};
