import type { VerifyResult } from '../../../src/sdk/index.js';
import { KLAVIYO_TEST_KEY, klaviyoKey, startFakeKlaviyo, type FakeKlaviyo } from '../../fixtures/providers/klaviyo.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Klaviyo as the host runs it: the bundled plugin in a child process, the private key applied by the
 * host as `Authorization: Klaviyo-API-Key …` with the pinned `revision` header, PROVIDER_ORIGIN_OVERRIDES
 * pointing https://a.klaviyo.com at the local fake.
 */
describe('klaviyo in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeKlaviyo;

  beforeAll(async () => {
    fake = await startFakeKlaviyo();
    host = await startProviderHost({ fakes: [fake], integration: { id: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', accountId: 'acct_klaviyo' } });
  });
  afterAll(() => host?.close());

  const context = (apiKey = KLAVIYO_TEST_KEY) => host.context({ apiKey }, {}, { accountId: 'XyZ123' });

  it('verifies, records an event, and refuses an unknown key or a bad input as 422', async () => {
    const { runner } = host;
    await expect(runner.invoke<VerifyResult>('klaviyo', { kind: 'verify', context: context() })).resolves.toMatchObject({
      displayName: 'Acme Events (Klaviyo)',
      metadata: { accountId: 'XyZ123', publicKey: 'AbC123' },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/accounts',
      headers: expect.objectContaining({ authorization: `Klaviyo-API-Key ${KLAVIYO_TEST_KEY}`, revision: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }),
    });

    const result = await runner.invoke<Json>('klaviyo', {
      kind: 'action',
      name: 'createEvent',
      input: { metric: 'Placed Order', email: 'ana@example.com', amount: 4900, currency: 'EUR', uniqueId: 'ord_1' },
      context: context(),
    });
    expect(result).toMatchObject({ accepted: true, value: 49 });
    expect(fake.state.events.at(-1)).toMatchObject({ metric: 'Placed Order', email: 'ana@example.com', value: 49, properties: { currency: 'EUR' } });

    await expect(runner.invoke('klaviyo', { kind: 'verify', context: context(klaviyoKey()) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('Missing or invalid private key.'),
    });
    await expect(
      runner.invoke('klaviyo', {
        kind: 'action',
        name: 'subscribeToList',
        input: { listId: 'NoSuch1', email: 'bo@example.com', consent: true },
        context: context(),
      }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('A list with id NoSuch1 does not exist.') });
  });
});
