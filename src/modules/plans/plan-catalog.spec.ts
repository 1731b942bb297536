import { integrationLimit, limitsByCount, loadPlanCatalog, parsePlanCatalog, PlanFileError } from './plan-catalog.js';

describe('plan catalog', () => {
  it('reads the shipped plans with the contract table', () => {
    const { defaultPlan, plans } = loadPlanCatalog('config/plans.yaml');
    expect(defaultPlan).toBe('basic');
    const basic = plans.get('basic')!;
    expect(integrationLimit(basic, 'payment')).toBe(1);
    expect(integrationLimit(basic, 'calendar')).toBe(1);
    expect(integrationLimit(basic, 'crm')).toBe(0);
    expect(basic.webhooks).toBe(false);
    expect(basic.apiKeys).toEqual({ test: 1, live: 0 });
    const business = plans.get('business')!;
    expect(integrationLimit(business, 'crm')).toBeNull();
    expect(business.apiKeys).toEqual({ test: null, live: null });
  });

  it('tells the plans whose verdicts depend on a count from those that only refuse or allow', () => {
    const { plans } = loadPlanCatalog('config/plans.yaml');
    expect(limitsByCount(plans.get('basic')!)).toBe(true);
    expect(limitsByCount(plans.get('business')!)).toBe(false);
    const plan = (integrations: Record<string, unknown>, apiKeys: Record<string, unknown>) =>
      parsePlanCatalog({ defaultPlan: 'p', plans: { p: { name: 'P', integrations, webhooks: true, apiKeys } } }).plans.get('p')!;
    expect(limitsByCount(plan({ default: 'none', crm: 'unlimited' }, { test: 'unlimited', live: 'none' }))).toBe(false);
    expect(limitsByCount(plan({ default: 'unlimited', crm: 3 }, { test: 'unlimited', live: 'unlimited' }))).toBe(true);
    expect(limitsByCount(plan({ default: 'unlimited' }, { test: 'unlimited', live: 2 }))).toBe(true);
  });

  it('names the bad value in an operator-edited file', () => {
    const plans = { defaultPlan: 'pro', plans: { pro: { name: 'Pro', integrations: { default: 'lots' }, webhooks: true, apiKeys: { test: 1, live: 1 } } } };
    expect(() => parsePlanCatalog(plans)).toThrow(new PlanFileError('plans: plans.pro.integrations.default must be unlimited, none or a whole number'));
    expect(() => parsePlanCatalog({ defaultPlan: 'x', plans: {} })).toThrow(/plans must be a non-empty mapping/);
  });
});
