import { type ModuleAcl, PLAN_REASON } from '../rbac/index.js';

/** Subject `WebhookEndpoint`: creating or enabling one needs webhooks.manage and a plan with webhooks. */
export const webhooksAcl: ModuleAcl = {
  subjects: ['WebhookEndpoint'],
  define({ can, cannot }, { caller, plan }) {
    if (caller.permissions.has('webhooks.view')) can('view', 'WebhookEndpoint');
    if (caller.permissions.has('webhooks.manage')) can(['create', 'enable', 'update', 'delete', 'send'], 'WebhookEndpoint');
    if (!plan.webhooks) {
      cannot(['create', 'enable', 'send'], 'WebhookEndpoint').because(`${PLAN_REASON}the ${plan.name} plan does not include webhooks`);
    }
  },
  planFeature: () => ({ feature: 'webhooks', limit: 0 }),
};
