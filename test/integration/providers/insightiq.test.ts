import type { VerifyResult } from '../../../src/sdk/index.js';
import {
  INSIGHTIQ_TEST_CLIENT,
  INSIGHTIQ_WEBHOOK_SECRET,
  INSTAGRAM_WORK_PLATFORM_ID,
  signInsightIQWebhook,
  startFakeInsightIQ,
  type FakeInsightIQ,
} from '../../fixtures/providers/insightiq.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * InsightIQ as the host runs it: the bundled plugin in a child process, HTTP Basic applied by the host
 * once verify stored the environment's host, PROVIDER_ORIGIN_OVERRIDES pointing the InsightIQ hosts at the fake.
 */
describe('insightiq in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeInsightIQ;
  const credentials = { ...INSIGHTIQ_TEST_CLIENT, webhookSecret: INSIGHTIQ_WEBHOOK_SECRET };
  const basic = `Basic ${Buffer.from(`${INSIGHTIQ_TEST_CLIENT.clientId}:${INSIGHTIQ_TEST_CLIENT.clientSecret}`).toString('base64')}`;

  beforeAll(async () => {
    fake = await startFakeInsightIQ();
    host = await startProviderHost({ fakes: [fake], integration: { id: '7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b', accountId: 'acct_insightiq' } });
  });
  afterAll(() => host?.close());

  it('verifies, gets a creator profile, mints an SDK token, checks a webhook signature, and refuses wrong credentials as 422', async () => {
    const { runner } = host;
    const verified = await runner.invoke<VerifyResult>('insightiq', { kind: 'verify', context: host.context(credentials, {}, { environment: 'sandbox' }) });
    expect(verified).toEqual({ displayName: 'InsightIQ sandbox', metadata: { apiHost: 'api.sandbox.insightiq.ai', workPlatformsListed: true } });

    const context = host.context(credentials, {}, { environment: 'sandbox', ...verified.metadata });
    fake.state.addCreator(INSTAGRAM_WORK_PLATFORM_ID, 'natgeo', 283_000_000);
    const profile = await runner.invoke<Json>('insightiq', {
      kind: 'action',
      name: 'getProfile',
      input: { workPlatformId: INSTAGRAM_WORK_PLATFORM_ID, identifier: 'natgeo' },
      context,
    });
    expect(profile).toMatchObject({ platformUsername: 'natgeo', followerCount: 283_000_000 });
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/v1/social/creators/profiles/analytics',
      headers: expect.objectContaining({ authorization: basic }),
    });

    const token = await runner.invoke<Json>('insightiq', {
      kind: 'action',
      name: 'createSdkToken',
      input: { externalId: 'creator_7', products: ['IDENTITY', 'ENGAGEMENT'] },
      context,
    });
    expect(token).toMatchObject({ sdkToken: expect.stringMatching(/^eyJ/), userCreated: true });

    const rawBody = JSON.stringify({ id: 'evt_1', event: 'PROFILES.UPDATED', name: 'profiles updated', data: { account_id: 'acc_1' } });
    const inbound = (signature: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-signatures': signature },
      query: {},
      rawBody,
    });
    await expect(runner.invoke('insightiq', { kind: 'webhookVerify', input: inbound(signInsightIQWebhook(rawBody)), context })).resolves.toBe(true);
    await expect(runner.invoke('insightiq', { kind: 'webhookVerify', input: inbound('f'.repeat(64)), context })).resolves.toBe(false);

    await expect(
      runner.invoke('insightiq', {
        kind: 'verify',
        context: host.context({ clientId: INSIGHTIQ_TEST_CLIENT.clientId, clientSecret: 'not-the-secret-0000' }, {}, { environment: 'sandbox' }),
      }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('Invalid client id or secret') });
  });
});
