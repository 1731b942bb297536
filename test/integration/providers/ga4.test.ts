import type { VerifyResult } from '../../../src/sdk/index.js';
import { GA4_API_SECRET, GA4_MEASUREMENT_ID, startFakeGa4, type FakeGa4 } from '../../fixtures/providers/ga4.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * GA4 as the host runs it: the bundled plugin in a child process, the measurement id and API secret
 * applied by the host as query parameters, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://www.google-analytics.com (collect and the validation server) at the local fake.
 */
describe('ga4 in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeGa4;

  beforeAll(async () => {
    fake = await startFakeGa4();
    host = await startProviderHost({ fakes: [fake], integration: { id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', accountId: 'acct_ga4' } });
  });
  afterAll(() => host?.close());

  const context = () => host.context({ apiSecret: GA4_API_SECRET }, {}, { measurementId: GA4_MEASUREMENT_ID });

  it('verifies on the validation server, sends an event, and refuses a reserved event name as 422', async () => {
    const { runner } = host;
    await expect(runner.invoke<VerifyResult>('ga4', { kind: 'verify', context: context() })).resolves.toEqual({
      displayName: `Google Analytics 4 (${GA4_MEASUREMENT_ID})`,
      metadata: { measurementId: GA4_MEASUREMENT_ID, apiSecretChecked: false },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/debug/mp/collect',
      query: { measurement_id: GA4_MEASUREMENT_ID, api_secret: GA4_API_SECRET },
    });

    const result = await runner.invoke<Json>('ga4', {
      kind: 'action',
      name: 'sendEvent',
      input: { clientId: '555.777', events: [{ name: 'generate_lead', params: { value: 10, currency: 'USD' } }] },
      context: context(),
    });
    expect(result).toEqual({ sent: true, eventCount: 1 });
    expect(fake.state.collected.at(-1)).toMatchObject({ clientId: '555.777', name: 'generate_lead', params: { value: 10, currency: 'USD' } });

    const before = fake.state.requests.length;
    await expect(
      runner.invoke('ga4', { kind: 'action', name: 'sendEvent', input: { clientId: '555.777', events: [{ name: 'first_visit' }] }, context: context() }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('"first_visit" is reserved') });
    expect(fake.state.requests.length).toBe(before);
  });
});
