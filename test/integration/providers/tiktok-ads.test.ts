import { createHash } from 'node:crypto';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeTikTokAds, TIKTOK_TEST_APP, type FakeTikTokAds } from '../../fixtures/providers/tiktok-ads.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * TikTok Ads as the host runs it: the bundled plugin in a child process, its own Access-Token header
 * through the host's HTTP client, PROVIDER_ORIGIN_OVERRIDES pointing https://business-api.tiktok.com
 * at the fake; TikTok's HTTP 200 error envelopes classified into 422 and 429 answers.
 */
describe('tiktok_ads in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeTikTokAds;

  beforeAll(async () => {
    fake = await startFakeTikTokAds();
    host = await startProviderHost({ fakes: [fake], integration: { id: '3c1d9e7a-5b2f-4c8d-9e0a-7f6b5c4d3e2f', accountId: 'acct_tiktok' } });
  });
  afterAll(() => host?.close());

  it('verifies, lists advertisers, sends a hashed event, syncs spend, and maps TikTok’s error codes', async () => {
    const { runner } = host;
    const usd = fake.state.addAdvertiser('Acme US', 'USD');
    const pixel = fake.state.addPixel(usd.advertiser_id, 'CHOSTPIXEL0000000001');
    const today = new Date().toISOString().slice(0, 10);
    fake.state.addReport(usd.advertiser_id, today, '42.10', 900, 12);
    const token = fake.state.mintToken(TIKTOK_TEST_APP.appId, [usd.advertiser_id]).token;
    const context = (accessToken = token) => host.context({ accessToken, raw: { advertiser_ids: [usd.advertiser_id], scope: [1, 2] } });

    await expect(runner.invoke<VerifyResult>('tiktok_ads', { kind: 'verify', context: context() })).resolves.toEqual({
      displayName: 'Ada Marketing',
      metadata: {
        coreUserId: '7012345678901234561',
        displayName: 'Ada Marketing',
        email: 'ada@example.com',
        advertiserIds: [usd.advertiser_id],
        advertisers: [{ advertiserId: usd.advertiser_id, name: 'Acme US', currency: 'USD', timezone: 'Etc/GMT' }],
      },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/open_api/v1.3/advertiser/info/', headers: expect.objectContaining({ 'access-token': token }) });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBeUndefined();

    const listed = await runner.invoke<Json>('tiktok_ads', { kind: 'action', name: 'listAdvertisers', input: {}, context: context() });
    expect(listed.advertisers).toEqual([expect.objectContaining({ advertiserId: usd.advertiser_id, currency: 'USD' })]);

    const sent = await runner.invoke<Json>('tiktok_ads', {
      kind: 'action',
      name: 'sendEvent',
      input: { pixelCode: pixel, event: 'CompletePayment', user: { email: ' Ada@Example.com', ip: '127.0.0.1' }, properties: { value: 4210, currency: 'USD' } },
      context: context(),
    });
    expect(sent).toMatchObject({ event: 'CompletePayment', pixelCode: pixel });
    expect(fake.state.events.at(-1)).toEqual({
      pixelCode: pixel,
      event: expect.objectContaining({
        user: { email: createHash('sha256').update('ada@example.com').digest('hex'), ip: '127.0.0.1' },
        properties: { value: 42.1, currency: 'USD' },
      }),
    });

    const synced = await runner.invoke<Json>('tiktok_ads', { kind: 'sync', context: context() });
    expect(synced.records.dailySpend).toEqual([expect.objectContaining({ id: `${usd.advertiser_id}:${today}`, spend: 4210, currency: 'USD', clicks: 12 })]);

    const expired = fake.state.mintToken(TIKTOK_TEST_APP.appId, [usd.advertiser_id]);
    expired.expired = true;
    await expect(runner.invoke('tiktok_ads', { kind: 'verify', context: context(expired.token) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('connect TikTok again'),
    });
    fake.state.throttleNext = 1;
    await expect(runner.invoke('tiktok_ads', { kind: 'healthCheck', context: context() })).rejects.toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
    });
  });
});
