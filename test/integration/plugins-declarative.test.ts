import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { ACME_CRM_KEY, providerOriginOverrides, startFakeAcmeCrm, type FakeAcmeCrm } from '../fixtures/providers/index.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';

const integration = { id: '5b0e7a9c-3f1d-4e8a-9c2b-6d7e8f9a0b13', accountId: 'acct_decl', livemode: true, metadata: {} };

describe.each(['process', 'none'])('a declarative (SDK 1.1) plugin in the host (PLUGIN_ISOLATION=%s)', (isolation) => {
  let fake: FakeAcmeCrm;
  let t: TestApp;
  let runner: PluginRunner;
  beforeAll(async () => {
    fake = await startFakeAcmeCrm();
    fake.state.contacts = [{ id: 'c_1', email: 'ada@example.com', name: 'Ada', updated_at: '2026-01-01T00:00:00Z' }];
    t = await startTestApp(
      pluginEnv(pluginDir(['declarative']), { PLUGIN_ISOLATION: isolation, PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins) }),
    );
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  const context = (apiKey = ACME_CRM_KEY) => ({ credentials: { apiKey }, settings: {}, integration });

  it('verifies, runs a declared action and a declared sync through ctx.http and SafeHttp', async () => {
    await expect(runner.invoke('acme_crm', { kind: 'verify', context: context() })).resolves.toEqual({
      displayName: 'Acme Ltd',
      metadata: { accountId: 'acct_42', region: 'eu' },
    });
    await expect(runner.invoke('acme_crm', { kind: 'action', name: 'getContact', input: { id: 'c_1' }, context: context() })).resolves.toMatchObject({
      email: 'ada@example.com',
    });
    await expect(runner.invoke('acme_crm', { kind: 'sync', context: context() })).resolves.toMatchObject({
      records: { contacts: [{ id: 'c_1' }], deals: [] },
      highWaterMarks: { contacts: '2026-01-01T00:00:00Z' },
    });
  });

  it('publishes an action’s declared output schema with the provider', async () => {
    const { ownerToken } = await createAccount(t);
    const provider = await t.http.get('/v1/providers/acme_crm').set(bearer(ownerToken));
    const actions = Object.fromEntries(provider.body.actions.map((action: { name: string }) => [action.name, action]));
    expect(actions.createContact.outputSchema).toMatchObject({ required: ['id', 'email'] });
    expect(actions.getContact.outputSchema).toBeUndefined();
  });

  it("answers a refusal as 422 provider_rejected with the provider's message, the key redacted", async () => {
    await expect(runner.invoke('acme_crm', { kind: 'verify', context: context('acme_wrong_key_1') })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Invalid API key: [redacted]',
    });
  });

  it("answers the provider's 429 as 429 provider_rate_limited with its Retry-After", async () => {
    fake.state.limited = true;
    try {
      await expect(runner.invoke('acme_crm', { kind: 'action', name: 'getContact', input: { id: 'c_1' }, context: context() })).rejects.toMatchObject({
        status: 429,
        code: 'provider_rate_limited',
        headers: { 'Retry-After': '3' },
      });
    } finally {
      fake.state.limited = false;
    }
  });
});
