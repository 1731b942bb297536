import { createHash } from 'node:crypto';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { META_ADS_SCOPES, startFakeMetaAds, type FakeMetaAds } from '../../fixtures/providers/meta-ads.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Meta Ads as the host runs it: the bundled plugin in a child process (node:crypto hashing included),
 * the user token applied by the host as a bearer header under the Graph base URL, and
 * PROVIDER_ORIGIN_OVERRIDES pointing Facebook's origins at the local fake.
 */
describe('meta_ads in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeMetaAds;

  beforeAll(async () => {
    fake = await startFakeMetaAds();
    host = await startProviderHost({ fakes: [fake], integration: { id: '6c5d4e3f-2a1b-4c9d-8e7f-6a5b4c3d2e1f', accountId: 'acct_meta_ads' } });
  });
  afterAll(() => host?.close());

  it('verifies, sends a hashed conversion event, syncs insights, and refuses an expired token as 422', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: '4567890123456789', clientSecret: 'meta-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('4567890123456789', META_ADS_SCOPES);
    const [account] = fake.state.adAccounts;
    const pixel = [...fake.state.pixels.values()][0];
    const settings = { adAccountIds: [account.id], pixelId: pixel.id };

    const verified = await runner.invoke<VerifyResult>('meta_ads', { kind: 'verify', context: host.context({ accessToken, tokenType: 'bearer' }, settings) });
    expect(verified).toMatchObject({ displayName: 'Grace Advertiser', metadata: { userId: fake.state.user.id, adAccountIds: [account.id] } });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const context = host.context({ accessToken, tokenType: 'bearer' }, settings, verified.metadata);
    const sent = await runner.invoke<Json>('meta_ads', {
      kind: 'action',
      name: 'sendConversionEvent',
      input: {
        eventName: 'Lead',
        eventTime: Math.floor(Date.now() / 1000) - 30,
        actionSource: 'website',
        eventSourceUrl: 'https://shop.example.com/signup',
        userData: { email: ' Joe@Example.com ', clientUserAgent: 'Mozilla/5.0' },
      },
      context,
    });
    expect(sent).toMatchObject({ pixelId: pixel.id, eventsReceived: 1 });
    expect(pixel.events.at(-1)!.user_data).toEqual({
      em: createHash('sha256').update('joe@example.com').digest('hex'),
      client_user_agent: 'Mozilla/5.0',
    });

    const today = new Date().toISOString().slice(0, 10);
    fake.state.setInsights(account.id, today, { spend: '42.10', impressions: 900, clicks: 12 });
    const synced = await runner.invoke<Json>('meta_ads', { kind: 'sync', context });
    expect(synced.records.insights).toEqual([
      expect.objectContaining({ id: `${account.id}:${today}`, spend: 4210, currency: 'USD', impressions: 900, clicks: 12 }),
    ]);

    fake.state.oauth.expireAccessToken(accessToken);
    await expect(runner.invoke('meta_ads', { kind: 'verify', context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('connect Meta Ads again'),
    });
  });
});
