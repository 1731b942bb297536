import { integrationLimit } from '../plans/index.js';
import { type ModuleAcl, PLAN_REASON } from '../rbac/index.js';

/**
 * Subject `SsoSignIn`: redeeming a sign-in code needs `sso.exchange`, and a plan that includes
 * authentication integrations (a downgrade suspends the integration too, so no new sign-in starts).
 */
export const ssoAcl: ModuleAcl = {
  subjects: ['SsoSignIn'],
  define({ can, cannot }, { caller, plan }) {
    if (caller.permissions.has('sso.exchange')) can('exchange', 'SsoSignIn');
    if (integrationLimit(plan, 'authentication') === 0) {
      cannot('exchange', 'SsoSignIn').because(`${PLAN_REASON}the ${plan.name} plan does not include authentication integrations`);
    }
  },
  planFeature: (_subject, _attributes, plan) => ({ feature: 'integrations.authentication', limit: integrationLimit(plan, 'authentication') }),
};
