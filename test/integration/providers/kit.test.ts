import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { KIT_TEST_KEY, kitKey, startFakeKit, type FakeKit } from '../../fixtures/providers/kit.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = { id: '7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b', accountId: 'acct_kit', livemode: false, metadata: {} };

/**
 * Kit as the host runs it: the bundled plugin loaded by the real loader into a child process, its
 * V4 API key applied by the host as `X-Kit-Api-Key`, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://api.kit.com at the local fake.
 */
describe('kit in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeKit;

  beforeAll(async () => {
    fake = await startFakeKit();
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const context = (apiKey = KIT_TEST_KEY) => ({ credentials: { apiKey }, settings: {}, integration });

  it('verifies, adds a tagged subscriber, and refuses an unknown key or an unknown tag as 422', async () => {
    await expect(runner.invoke<VerifyResult>('kit', { kind: 'verify', context: context() })).resolves.toEqual({
      displayName: 'Acme Events (hello@acme.test)',
      metadata: { kitAccountId: 26, accountName: 'Acme Events', primaryEmail: 'hello@acme.test', planType: 'creator', userEmail: 'owner@acme.test' },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v4/account',
      headers: expect.objectContaining({ 'x-kit-api-key': KIT_TEST_KEY }),
    });

    const tag = fake.state.addTag('Registered');
    const added = await runner.invoke<Json>('kit', {
      kind: 'action',
      name: 'addSubscriber',
      input: { email: 'ana@example.com', firstName: 'Ana', tagIds: [tag.id] },
      context: context(),
    });
    const stored = fake.state.subscribers.find((subscriber) => subscriber.email_address === 'ana@example.com')!;
    expect(added).toMatchObject({ id: stored.id, state: 'active', created: true, tagIds: [tag.id] });
    expect(tag.subscribers.has(stored.id)).toBe(true);

    await expect(runner.invoke('kit', { kind: 'verify', context: context(kitKey()) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('The access token is invalid'),
    });
    await expect(
      runner.invoke('kit', { kind: 'action', name: 'addSubscriber', input: { email: 'bo@example.com', tagIds: [999999] }, context: context() }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Not Found',
    });
  });
});
