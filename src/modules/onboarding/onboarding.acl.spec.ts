import { subject } from '@casl/ability';
import type { Caller } from '../../core/auth/caller.js';
import { parsePlanCatalog } from '../plans/plan-catalog.js';
import { buildAbility, newAbilityBuilder } from '../rbac/acl.js';
import { onboardingAcl } from './onboarding.acl.js';

const plan = parsePlanCatalog({
  defaultPlan: 'basic',
  plans: { basic: { name: 'Basic', integrations: { default: 'none' }, webhooks: false, apiKeys: { test: 1, live: 'none' } } },
}).plans.get('basic')!;

function ability(caller: Partial<Caller>) {
  const builder = newAbilityBuilder();
  const full: Caller = { kind: 'member', userId: 'u1', instanceAdmin: false, accountId: 'a', livemode: true, role: 'admin', permissions: new Set(), ...caller };
  onboardingAcl.define(builder, { caller: full, plan, usage: {} });
  return buildAbility(builder);
}

describe('onboardingAcl', () => {
  it('lets only owners change requirement levels, whatever else they hold', () => {
    const all = new Set(['integrations.view', 'integrations.manage', 'members.manage']);
    expect(ability({ role: 'owner', permissions: all }).can('change', 'RequirementLevel')).toBe(true);
    expect(ability({ role: 'admin', permissions: all }).can('change', 'RequirementLevel')).toBe(false);
    expect(ability({ kind: 'api_key', apiKeyId: 'k', userId: undefined, role: null, permissions: all }).can('change', 'RequirementLevel')).toBe(false);
  });

  it('lets a member with integrations.view read and change their own notice preferences only', () => {
    const member = ability({ permissions: new Set(['integrations.view']) });
    expect(member.can('change', subject('NoticePreferences', { userId: 'u1' }))).toBe(true);
    expect(member.can('view', subject('NoticePreferences', { userId: 'u2' }))).toBe(false);
    expect(ability({ permissions: new Set(['account.view']) }).can('view', subject('NoticePreferences', { userId: 'u1' }))).toBe(false);
    const key = ability({ kind: 'api_key', apiKeyId: 'k', userId: undefined, role: null, permissions: new Set(['integrations.view']) });
    expect(key.can('view', subject('NoticePreferences', { userId: undefined }))).toBe(false);
  });

  it('is never limited by plan', () => {
    expect(onboardingAcl.planFeature('RequirementLevel', {}, plan)).toEqual({ feature: 'onboarding', limit: null });
  });
});
