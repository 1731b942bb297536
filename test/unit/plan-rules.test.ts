import { subject } from '@casl/ability';
import type { Caller } from '../../src/core/auth/caller.js';
import { apiKeysAcl } from '../../src/modules/api-keys/api-keys.acl.js';
import { integrationsAcl } from '../../src/modules/integrations/integrations.acl.js';
import { loadPlanCatalog } from '../../src/modules/plans/plan-catalog.js';
import { createAbility as composeAbility } from '../../src/modules/rbac/ability.factory.js';
import type { AclContext, Usage } from '../../src/modules/rbac/acl.js';
import { builtInRole } from '../../src/modules/rbac/permissions.js';
import { permissionsAcl } from '../../src/modules/rbac/rbac.acl.js';
import { webhooksAcl } from '../../src/modules/webhooks/webhooks.acl.js';

/** Every module's ACL, as the modules register them: the rules compose across modules. */
const createAbility = (context: AclContext) => composeAbility([permissionsAcl, integrationsAcl, webhooksAcl, apiKeysAcl], context);

const catalog = loadPlanCatalog('config/plans.yaml');
const basic = catalog.plans.get('basic')!;
const business = catalog.plans.get('business')!;

function caller(role = 'owner'): Caller {
  return {
    kind: 'member',
    userId: 'u',
    instanceAdmin: false,
    accountId: 'a',
    livemode: true,
    role,
    permissions: new Set(builtInRole(role)!.permissions),
  };
}

const canConnect = (plan = basic, category: string, usage: Usage = {}, counted = false, role = 'owner') =>
  createAbility({ caller: caller(role), plan, usage }).can('connect', subject('Integration', { category, counted }));

describe('plan rules (config/plans.yaml) as CASL rules', () => {
  const excludedOnBasic = ['email', 'cloud_storage', 'authentication', 'crm', 'sms', 'live_streaming', 'marketing', 'analytics', 'other'];

  it.each(excludedOnBasic)('Basic cannot connect %s integrations; Business can', (category) => {
    expect(canConnect(basic, category)).toBe(false);
    expect(canConnect(business, category)).toBe(true);
  });

  it.each(['payment', 'calendar'])('Basic allows one %s integration; Business is unlimited', (category) => {
    expect(canConnect(basic, category, {})).toBe(true);
    expect(canConnect(basic, category, { [`integrations.${category}`]: 1 })).toBe(false);
    expect(canConnect(basic, category, { [`integrations.${category}`]: 1 }, true)).toBe(true);
    expect(canConnect(business, category, { [`integrations.${category}`]: 50 })).toBe(true);
  });

  it('gives the plan denial a reason naming the plan', () => {
    const ability = createAbility({ caller: caller(), plan: basic, usage: { 'integrations.payment': 1 } });
    const rule = ability.relevantRuleFor('connect', subject('Integration', { category: 'payment', counted: false }));
    expect(rule?.inverted).toBe(true);
    expect(rule?.reason).toBe('plan: the Basic plan allows 1 connected payment integration');
  });

  it('Basic has no webhooks; Business does', () => {
    expect(createAbility({ caller: caller(), plan: basic, usage: {} }).can('create', 'WebhookEndpoint')).toBe(false);
    expect(createAbility({ caller: caller(), plan: business, usage: {} }).can('create', 'WebhookEndpoint')).toBe(true);
  });

  it('Basic allows one test key and no live keys; Business is unlimited', () => {
    const on = (plan = basic, usage: Usage, mode: string) => createAbility({ caller: caller(), plan, usage }).can('create', subject('ApiKey', { mode }));
    expect(on(basic, {}, 'test')).toBe(true);
    expect(on(basic, { 'api_keys.test': 1 }, 'test')).toBe(false);
    expect(on(basic, {}, 'live')).toBe(false);
    expect(on(business, { 'api_keys.test': 9, 'api_keys.live': 9 }, 'live')).toBe(true);
    expect(on(business, { 'api_keys.test': 9 }, 'test')).toBe(true);
  });

  it('role rules come first: a host may connect nothing, whatever the plan', () => {
    expect(canConnect(business, 'crm', {}, false, 'host')).toBe(false);
    expect(createAbility({ caller: caller('host'), plan: business, usage: {} }).can('view', 'Integration')).toBe(false);
    expect(createAbility({ caller: caller('developer'), plan: business, usage: {} }).can('view', 'Integration')).toBe(true);
  });

  it('connections by owner: members use their own, managers the account’s and members’, connections.manage end users’', () => {
    const connection = (owner: string, memberId: string | null = null) =>
      subject('Connection', { owner, memberId, endUserId: owner === 'end_user' ? 'eu_1' : null });
    const developer = createAbility({ caller: caller('developer'), plan: business, usage: {} });
    expect(developer.can('connect', connection('account'))).toBe(false);
    expect(developer.can('view', connection('account'))).toBe(true);
    for (const action of ['connect', 'view', 'use', 'configure', 'disconnect']) expect(developer.can(action, connection('member', 'u'))).toBe(true);
    expect(developer.can('use', connection('member', 'someone'))).toBe(false);
    expect(developer.can('view', connection('member', 'someone'))).toBe(false);
    expect(developer.can('see', connection('member', 'someone'))).toBe(true);
    expect(developer.can('use', connection('end_user'))).toBe(false);
    const owner = createAbility({ caller: caller('owner'), plan: business, usage: {} });
    for (const target of [connection('account'), connection('member', 'someone'), connection('end_user')]) expect(owner.can('use', target)).toBe(true);
    expect(createAbility({ caller: caller('host'), plan: business, usage: {} }).can('see', connection('account'))).toBe(false);
  });

  it('grants each held permission as a CASL rule', () => {
    const ability = createAbility({ caller: caller('host'), plan: business, usage: {} });
    expect(ability.can('view', 'account')).toBe(true);
    expect(ability.can('view', 'events')).toBe(true);
    expect(ability.can('view', 'integrations')).toBe(false);
  });
});
