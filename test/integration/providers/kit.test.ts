import type { VerifyResult } from '../../../src/sdk/index.js';
import { KIT_TEST_KEY, kitKey, startFakeKit, type FakeKit } from '../../fixtures/providers/kit.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Kit as the host runs it: the bundled plugin loaded by the real loader into a child process, its
 * V4 API key applied by the host as `X-Kit-Api-Key`, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://api.kit.com at the local fake.
 */
describe('kit in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeKit;

  beforeAll(async () => {
    fake = await startFakeKit();
    host = await startProviderHost({ fakes: [fake], integration: { id: '7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b', accountId: 'acct_kit' } });
  });
  afterAll(() => host?.close());

  const context = (apiKey = KIT_TEST_KEY) => host.context({ apiKey });

  it('verifies, adds a tagged subscriber, and refuses an unknown key or an unknown tag as 422', async () => {
    const { runner } = host;
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
