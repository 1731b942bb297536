import { PlanLimitError, UnauthenticatedError } from '../../core/errors/app-errors.js';
import { parsePlanCatalog } from '../plans/plan-catalog.js';
import { judgeKey, KeyRecord } from './api-key-verifier.js';

const catalog = parsePlanCatalog({
  defaultPlan: 'basic',
  plans: {
    basic: { name: 'Basic', integrations: { default: 'none' }, webhooks: false, apiKeys: { test: 1, live: 'none' } },
    business: { name: 'Business', integrations: { default: 'unlimited' }, webhooks: true, apiKeys: { test: 'unlimited', live: 'unlimited' } },
  },
});
const basic = catalog.plans.get('basic')!;
const business = catalog.plans.get('business')!;
const NOW = Date.UTC(2026, 0, 1);

function record(overrides: Partial<KeyRecord> = {}): KeyRecord {
  const mode = overrides.mode ?? 'test';
  return {
    identity: { kind: 'api_key', apiKeyId: 'k1', accountId: 'a1', livemode: mode === 'live', permissions: [], plan: 'basic' },
    mode,
    expiresAt: null,
    revoked: false,
    planRank: 0,
    ...overrides,
  };
}

function reasonOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof UnauthenticatedError) return error.extra.reason;
    if (error instanceof PlanLimitError) return { status: error.status, ...error.extra };
    throw error;
  }
  return 'accepted';
}

describe('judgeKey', () => {
  it('accepts a current key within its plan', () => {
    expect(judgeKey(record(), NOW, undefined, basic)).toMatchObject({ apiKeyId: 'k1', livemode: false });
    expect(judgeKey(record({ expiresAt: NOW + 1 }), NOW, 'test', basic)).toMatchObject({ apiKeyId: 'k1' });
  });

  it('refuses revoked, expired and wrong-mode keys with a reason', () => {
    expect(reasonOf(() => judgeKey(record({ revoked: true }), NOW, undefined, basic))).toBe('key_revoked');
    expect(reasonOf(() => judgeKey(record({ expiresAt: NOW }), NOW, undefined, basic))).toBe('key_expired');
    expect(reasonOf(() => judgeKey(record(), NOW, 'live', basic))).toBe('key_wrong_mode');
    expect(reasonOf(() => judgeKey(record({ mode: 'live' }), NOW, 'TEST', business))).toBe('key_wrong_mode');
  });

  it('answers 402 for keys the plan does not allow, keeping the oldest allowed', () => {
    expect(reasonOf(() => judgeKey(record({ mode: 'live' }), NOW, undefined, basic))).toEqual({
      status: 402,
      plan: 'basic',
      feature: 'api_keys.live',
      limit: 0,
    });
    expect(reasonOf(() => judgeKey(record({ planRank: 0 }), NOW, undefined, basic))).toBe('accepted');
    expect(reasonOf(() => judgeKey(record({ planRank: 1 }), NOW, undefined, basic))).toEqual({
      status: 402,
      plan: 'basic',
      feature: 'api_keys.test',
      limit: 1,
    });
    expect(reasonOf(() => judgeKey(record({ mode: 'live', planRank: 40 }), NOW, undefined, business))).toBe('accepted');
  });
});
