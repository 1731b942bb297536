import { subject } from '@casl/ability';
import type { Caller } from '../../core/auth/caller.js';
import { parsePlanCatalog } from '../plans/plan-catalog.js';
import { buildAbility, newAbilityBuilder, Usage } from '../rbac/acl.js';
import { apiKeysAcl } from './api-keys.acl.js';

const catalog = parsePlanCatalog({
  defaultPlan: 'basic',
  plans: {
    basic: { name: 'Basic', integrations: { default: 'none' }, webhooks: false, apiKeys: { test: 1, live: 'none' } },
    business: { name: 'Business', integrations: { default: 'unlimited' }, webhooks: true, apiKeys: { test: 'unlimited', live: 'unlimited' } },
  },
});

function ability(planKey: string, permissions: string[], usage: Usage = {}) {
  const caller: Caller = { kind: 'member', userId: 'u', instanceAdmin: false, accountId: 'a', livemode: true, role: 'x', permissions: new Set(permissions) };
  const builder = newAbilityBuilder();
  apiKeysAcl.define(builder, { caller, plan: catalog.plans.get(planKey)!, usage });
  return buildAbility(builder);
}

const key = (mode: string) => subject('ApiKey', { mode });

describe('apiKeysAcl', () => {
  const manager = ['api_keys.view', 'api_keys.manage'];

  it('grants view with api_keys.view and create/revoke/roll with api_keys.manage', () => {
    expect(ability('business', ['api_keys.view']).can('view', key('live'))).toBe(true);
    expect(ability('business', ['api_keys.view']).can('create', key('live'))).toBe(false);
    for (const action of ['create', 'revoke', 'roll']) expect(ability('business', manager).can(action, key('live'))).toBe(true);
    expect(ability('business', ['account.view']).can('revoke', key('test'))).toBe(false);
  });

  it('on Basic allows one test key and no live keys', () => {
    expect(ability('basic', manager, { 'api_keys.test': 0 }).can('create', key('test'))).toBe(true);
    const full = ability('basic', manager, { 'api_keys.test': 1 });
    expect(full.can('create', key('test'))).toBe(false);
    expect(full.relevantRuleFor('create', key('test'))?.reason).toMatch(/^plan: .*1 active test API key$/);
    expect(full.can('roll', key('test'))).toBe(true);
    expect(full.can('revoke', key('test'))).toBe(true);
    for (const action of ['create', 'roll']) expect(full.can(action, key('live'))).toBe(false);
    expect(full.can('revoke', key('live'))).toBe(true);
    expect(apiKeysAcl.planFeature('ApiKey', { mode: 'live' }, catalog.plans.get('basic')!)).toEqual({ feature: 'api_keys.live', limit: 0 });
  });

  it('on Business is unlimited in both modes', () => {
    const busy = ability('business', manager, { 'api_keys.test': 500, 'api_keys.live': 500 });
    expect(busy.can('create', key('test'))).toBe(true);
    expect(busy.can('create', key('live'))).toBe(true);
  });
});
