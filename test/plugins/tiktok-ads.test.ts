import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import { validateDescription } from '../../src/modules/plugins/plugin-manifest.js';
import { describeDefinition } from '../../src/modules/plugins/runtime/description.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import {
  followAuthorizationUrl,
  postTikTokTokenRequest,
  startFakeTikTokAds,
  TIKTOK_TEST_APP,
  type FakeTikTokAds,
  type TikTokAdvertiser,
} from '../fixtures/providers/tiktok-ads.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let tiktok: Json;
let helpers: Json;
let fake: FakeTikTokAds;
let usd: TikTokAdvertiser;
let jpy: TikTokAdvertiser;
let other: TikTokAdvertiser;
let pixel: string;
let token: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('tiktok-ads');
  // The plugin's exported helpers (money, phone), loaded the way the host loads the plugin.
  helpers = (await import(pathToFileURL(resolve('plugins', 'tiktok-ads', 'index.js')).href)) as Json;
  tiktok = plugin.providers[0];
  fake = await startFakeTikTokAds();
  usd = fake.state.addAdvertiser('Acme US', 'USD', { display_timezone: 'America/New_York' });
  jpy = fake.state.addAdvertiser('Acme Japan', 'JPY', { display_timezone: 'Asia/Tokyo', country: 'JP' });
  other = fake.state.addAdvertiser('Not authorized', 'EUR');
  pixel = fake.state.addPixel(usd.advertiser_id, 'CABCDEFGHIJ1234567890');
  fake.state.authorizeAdvertiserIds = [usd.advertiser_id, jpy.advertiser_id];
  token = fake.state.mintToken(TIKTOK_TEST_APP.appId).token;
});
afterAll(() => fake.close());

/** Credentials as the host keeps them after the code exchange: the token, and the rest of `data` as raw. */
const harness = (options: { accessToken?: string; advertiserIds?: string[]; settings?: Json } = {}) =>
  createHarness(plugin, {
    credentials: {
      accessToken: options.accessToken ?? token,
      raw: { advertiser_ids: options.advertiserIds ?? [usd.advertiser_id, jpy.advertiser_id], scope: [1, 2, 3] },
    },
    settings: options.settings ?? {},
    http: forwardTo(fake.origins),
  });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const since = () => fake.state.requests.length;
const received = (from: number) => fake.state.requests.slice(from);

describe('tiktok-ads plugin: declaration and OAuth', () => {
  it('declares TikTok’s non-RFC 6749 authorization, the API base URL and TikTok’s per-app rate limits', () => {
    expect(tiktok).toMatchObject({ id: 'tiktok_ads', category: 'marketing', baseUrl: 'https://business-api.tiktok.com/open_api/v1.3' });
    expect(tiktok.auth).toEqual({
      type: 'oauth2',
      authorizationUrl: 'https://business-api.tiktok.com/portal/auth',
      tokenUrl: 'https://business-api.tiktok.com/open_api/v1.3/oauth2/access_token/',
      scopes: [],
      refresh: false,
      clientIdParameter: 'app_id',
      codeParameter: 'auth_code',
      tokenRequest: { body: { app_id: '{clientId}', secret: '{clientSecret}', auth_code: '{code}' }, result: '/data' },
      apply: { headers: { 'Access-Token': '{accessToken}' } },
    });
    expect(tiktok.rateLimits).toEqual([
      { requests: 10, windowMs: 1000, scope: 'app', match: ['GET /'] },
      { requests: 600, windowMs: 60_000, scope: 'app', match: ['GET /'] },
      { requests: 1000, windowMs: 1000, scope: 'app', match: ['POST /event/track/'] },
      { requests: 600_000, windowMs: 60_000, scope: 'app', match: ['POST /event/track/'] },
    ]);
    expect(Object.keys(tiktok.actions)).toEqual(['listAdvertisers', 'sendEvent']);
  });

  it('is accepted by the plugin registry’s definition checks, the new oauth2 fields included', () => {
    const description = describeDefinition(plugin);
    expect(() => validateDescription(description)).not.toThrow();
    expect(description.providers[0].auth).toMatchObject({ clientIdParameter: 'app_id', codeParameter: 'auth_code', tokenRequest: { result: '/data' } });
  });

  it('the fake authorizes like TikTok: app_id in, auth_code, code and state back; the JSON exchange answers 200 with a code', async () => {
    const redirectUri = 'https://plugboard.example/v1/oauth/callback';
    const authorization = new URL('https://business-api.tiktok.com/portal/auth');
    authorization.search = new URLSearchParams({ app_id: TIKTOK_TEST_APP.appId, state: 'st_123', redirect_uri: redirectUri }).toString();
    const callback = await followAuthorizationUrl(authorization, fake.origins);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    const authCode = callback.searchParams.get('auth_code')!;
    expect(authCode).toMatch(/^[0-9a-f]{40}$/);
    expect(callback.searchParams.get('code')).toBe(authCode);
    expect(callback.searchParams.get('state')).toBe('st_123');

    const wrong = await postTikTokTokenRequest(fake.origins, { app_id: TIKTOK_TEST_APP.appId, secret: 'not-the-secret', auth_code: authCode });
    expect(wrong).toMatchObject({ status: 200, body: { code: 40101, message: expect.stringContaining('secret'), data: {} } });

    const granted = await postTikTokTokenRequest(fake.origins, { app_id: TIKTOK_TEST_APP.appId, secret: TIKTOK_TEST_APP.secret, auth_code: authCode });
    expect(granted).toEqual({
      status: 200,
      body: {
        code: 0,
        message: 'OK',
        request_id: expect.any(String),
        data: { access_token: expect.stringMatching(/^[0-9a-f]{40}$/), advertiser_ids: [usd.advertiser_id, jpy.advertiser_id], scope: expect.any(Array) },
      },
    });
    const reused = await postTikTokTokenRequest(fake.origins, { app_id: TIKTOK_TEST_APP.appId, secret: TIKTOK_TEST_APP.secret, auth_code: authCode });
    expect(reused.body).toMatchObject({ code: 40110, message: expect.stringContaining('auth_code') });

    // The exchanged token works with the plugin.
    await expect(harness({ accessToken: granted.body.data.access_token }).healthCheck()).resolves.toBeUndefined();
  });
});

describe('tiktok-ads plugin: verify and advertisers', () => {
  it('verify reads the user and the authorized advertiser accounts, sending the token as Access-Token', async () => {
    const from = since();
    await expect(harness().verify()).resolves.toEqual({
      displayName: 'Ada Marketing',
      metadata: {
        coreUserId: '7012345678901234561',
        displayName: 'Ada Marketing',
        email: 'ada@example.com',
        advertiserIds: [usd.advertiser_id, jpy.advertiser_id],
        advertisers: [
          { advertiserId: usd.advertiser_id, name: 'Acme US', currency: 'USD', timezone: 'America/New_York' },
          { advertiserId: jpy.advertiser_id, name: 'Acme Japan', currency: 'JPY', timezone: 'Asia/Tokyo' },
        ],
      },
    });
    const [user, info] = received(from);
    expect(user).toMatchObject({ method: 'GET', path: '/open_api/v1.3/user/info/', headers: expect.objectContaining({ 'access-token': token }) });
    expect(info).toMatchObject({ method: 'GET', path: '/open_api/v1.3/advertiser/info/', headers: expect.objectContaining({ 'access-token': token }) });
    expect(JSON.parse(info.query.advertiser_ids)).toEqual([usd.advertiser_id, jpy.advertiser_id]);
    expect(JSON.parse(info.query.fields)).toEqual(expect.arrayContaining(['advertiser_id', 'name', 'currency', 'display_timezone']));
  });

  it('verify with no authorized advertisers makes one request; healthCheck is /user/info/', async () => {
    const from = since();
    const result = await harness({ advertiserIds: [] }).verify();
    expect(result.metadata).toMatchObject({ advertiserIds: [], advertisers: [] });
    await harness().healthCheck();
    expect(received(from).map((request) => request.path)).toEqual(['/open_api/v1.3/user/info/', '/open_api/v1.3/user/info/']);
  });

  it('listAdvertisers lists every authorized account or the chosen ones, and refuses one the user did not authorize', async () => {
    const all = await harness().action<Json>('listAdvertisers', {});
    expect(all.advertisers).toEqual([
      {
        advertiserId: usd.advertiser_id,
        name: 'Acme US',
        currency: 'USD',
        timezone: 'America/New_York',
        status: 'STATUS_ENABLE',
        country: 'US',
        company: 'Acme Events Inc.',
      },
      {
        advertiserId: jpy.advertiser_id,
        name: 'Acme Japan',
        currency: 'JPY',
        timezone: 'Asia/Tokyo',
        status: 'STATUS_ENABLE',
        country: 'JP',
        company: 'Acme Events Inc.',
      },
    ]);
    const one = await harness().action<Json>('listAdvertisers', { advertiserIds: [jpy.advertiser_id] });
    expect(one.advertisers.map((advertiser: Json) => advertiser.name)).toEqual(['Acme Japan']);
    const from = since();
    await expect(harness().action('listAdvertisers', { advertiserIds: [other.advertiser_id] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('reconnect TikTok'),
    });
    expect(received(from)).toEqual([]);
    // TikTok itself refuses a token that does not cover the account (code 40001).
    await expect(harness({ advertiserIds: [other.advertiser_id] }).action('listAdvertisers', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/code 40001: No permission to operate advertiser .*reconnect TikTok.*request id/),
    });
  });
});

describe('tiktok-ads plugin: sendEvent (Events API 2.0)', () => {
  it('hashes email, phone and external id exactly as TikTok requires, leaves ip and user agent clear, and sends money in major units', async () => {
    // Test vectors computed independently (printf '%s' … | sha256sum).
    expect(sha256('ada.lovelace@example.com')).toBe('e814ff3dc480a94c7ce9334062ec4733c75a002f4bcec0197f62ffea64059e2f');
    expect(sha256('+12133734253')).toBe('9f7ec22d72092cd3c0b58726ed9c2d91b92e51a3f29837508fb2948bb22dd2fd');
    expect(sha256('cust-0042')).toBe('04f18369b9f09f7908b299d2535b6d99d3df2e17e8f953553f269e38ed7281d8');

    const from = since();
    const events = fake.state.events.length;
    const result = await harness().action<Json>('sendEvent', {
      pixelCode: pixel,
      event: 'CompletePayment',
      timestamp: '2026-03-02T15:00:00+01:00',
      eventId: 'order_100234',
      user: {
        email: '  Ada.Lovelace@Example.COM ',
        phone: '+1 (213) 373-4253',
        externalId: ' cust-0042 ',
        ip: '127.0.0.1',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
        ttclid: 'E.C.P.v3abc',
        ttp: '2Xyz_ttp',
      },
      properties: {
        value: 1999,
        currency: 'USD',
        contentType: 'product',
        contents: [{ contentId: 'SKU-1', contentName: 'Ticket', price: 999, quantity: 2 }],
        orderId: '100234',
      },
      page: { url: 'https://shop.example/thank-you' },
    });
    expect(result).toEqual({ requestId: expect.any(String), event: 'CompletePayment', eventId: 'order_100234', eventTime: 1772460000, pixelCode: pixel });
    const [request] = received(from);
    expect(request).toMatchObject({ method: 'POST', path: '/open_api/v1.3/event/track/', headers: expect.objectContaining({ 'access-token': token }) });
    expect(request.body).toEqual({
      event_source: 'web',
      event_source_id: pixel,
      data: [
        {
          event: 'CompletePayment',
          event_time: 1772460000,
          event_id: 'order_100234',
          user: {
            email: 'e814ff3dc480a94c7ce9334062ec4733c75a002f4bcec0197f62ffea64059e2f',
            phone: '9f7ec22d72092cd3c0b58726ed9c2d91b92e51a3f29837508fb2948bb22dd2fd',
            external_id: '04f18369b9f09f7908b299d2535b6d99d3df2e17e8f953553f269e38ed7281d8',
            ttclid: 'E.C.P.v3abc',
            ttp: '2Xyz_ttp',
            ip: '127.0.0.1',
            user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
          },
          properties: {
            value: 19.99,
            currency: 'USD',
            content_type: 'product',
            contents: [{ content_id: 'SKU-1', content_name: 'Ticket', price: 9.99, quantity: 2 }],
            order_id: '100234',
          },
          page: { url: 'https://shop.example/thank-you' },
        },
      ],
    });
    expect(fake.state.events.length).toBe(events + 1);
  });

  it('converts by the currency’s exponent, takes custom events and test event codes, and a 00 prefix as +', async () => {
    const from = since();
    await harness().action('sendEvent', {
      pixelCode: pixel,
      event: 'Webinar_Joined',
      testEventCode: 'TEST12345',
      user: { phone: '0044 20 7946 0958' },
      properties: { value: 1500, currency: 'JPY' },
    });
    await harness().action('sendEvent', { pixelCode: pixel, event: 'Purchase', user: { email: 'a@b.co' }, properties: { value: 12345, currency: 'KWD' } });
    const [custom, kwd] = received(from).map((request) => request.body as Json);
    expect(custom).toMatchObject({
      test_event_code: 'TEST12345',
      data: [{ event: 'Webinar_Joined', user: { phone: sha256('+442079460958') }, properties: { value: 1500, currency: 'JPY' } }],
    });
    expect(Math.abs(custom.data[0].event_time - Date.now() / 1000)).toBeLessThan(60);
    expect(kwd.data[0].properties).toEqual({ value: 12.345, currency: 'KWD' });
  });

  it('schemas refuse what TikTok would: unknown shapes, bad events, phones, money without currency', () => {
    const input = createSchemaCompiler().compile(tiktok.actions.sendEvent.inputSchema);
    const base = { pixelCode: pixel, event: 'CompletePayment', user: { email: 'a@b.co' } };
    expect(input(base)).toBe(true);
    expect(input({ ...base, event: 'Lead' })).toBe(true);
    expect(input({ ...base, event: 'My Custom Event' })).toBe(false);
    expect(input({ ...base, event: '1stEvent' })).toBe(false);
    expect(input({ ...base, user: {} })).toBe(false);
    expect(input({ ...base, user: { phone: '213 373 4253' } })).toBe(false);
    expect(input({ ...base, user: { email: 'not-an-email' } })).toBe(false);
    expect(input({ ...base, user: { ip: 'not-an-address' } })).toBe(false);
    expect(input({ ...base, user: { ip: '::1' } })).toBe(true);
    expect(input({ ...base, user: { emailHash: 'x' } })).toBe(false);
    expect(input({ ...base, properties: { value: 100 } })).toBe(false);
    expect(input({ ...base, properties: { value: 1.5, currency: 'USD' } })).toBe(false);
    expect(input({ ...base, properties: { value: 100, currency: 'usd' } })).toBe(false);
    expect(input({ ...base, timestamp: 'yesterday' })).toBe(false);
    expect(input({ ...base, pixelCode: 'bad code' })).toBe(false);
    expect(input({ ...base, extra: true })).toBe(false);
    const list = createSchemaCompiler().compile(tiktok.actions.listAdvertisers.inputSchema);
    expect(list({})).toBe(true);
    expect(list({ advertiserIds: ['abc'] })).toBe(false);
  });

  it('refuses a price without a currency and a phone that is no E.164 number before calling TikTok', async () => {
    const from = since();
    await expect(
      harness().action('sendEvent', {
        pixelCode: pixel,
        event: 'AddToCart',
        user: { email: 'a@b.co' },
        properties: { contents: [{ contentId: 'x', price: 100 }] },
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('currency') });
    await expect(harness().action('sendEvent', { pixelCode: pixel, event: 'AddToCart', user: { phone: '+0 12' } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('E.164'),
    });
    expect(received(from)).toEqual([]);
  });

  it('TikTok’s refusal of an unknown pixel reads as its message', async () => {
    await expect(harness().action('sendEvent', { pixelCode: 'CUNKNOWNPIXEL0000000', event: 'Lead', user: { email: 'a@b.co' } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('code 40002: event_source_id: Invalid pixel code CUNKNOWNPIXEL0000000'),
    });
  });
});

describe('tiktok-ads plugin: dailySpend sync', () => {
  beforeAll(() => {
    for (let offset = -40; offset <= 0; offset += 1) {
      fake.state.addReport(usd.advertiser_id, isoDay(offset), `${100 + offset}.345`, 1000 + offset, 10);
      if (offset >= -4) fake.state.addReport(jpy.advertiser_id, isoDay(offset), '1500.00', 500, 5);
    }
    fake.state.addReport(other.advertiser_id, isoDay(0), '9.99', 1, 1);
  });
  afterEach(() => {
    fake.state.pageSizeCap = 1000;
  });

  it('reads every page of 30-day windows per advertiser, with spend in minor units of the account currency', async () => {
    fake.state.pageSizeCap = 7;
    const from = since();
    const result = await harness({ settings: { syncDays: 35 } }).sync();
    const records = result.records!.dailySpend;
    const usdRecords = records.filter((record) => record.advertiserId === usd.advertiser_id);
    expect(usdRecords).toHaveLength(35);
    expect(usdRecords.at(-1)).toEqual({
      id: `${usd.advertiser_id}:${isoDay(0)}`,
      advertiserId: usd.advertiser_id,
      date: isoDay(0),
      spend: 10035, // "100.345" USD, half up
      currency: 'USD',
      impressions: 1000,
      clicks: 10,
    });
    expect(usdRecords[0]).toMatchObject({ date: isoDay(-34), spend: 6635 });
    expect(records.filter((record) => record.advertiserId === jpy.advertiser_id).map((record) => record.spend)).toEqual([1500, 1500, 1500, 1500, 1500]);
    expect(records.some((record) => record.advertiserId === other.advertiser_id)).toBe(false);
    expect(result.highWaterMarks).toEqual({ dailySpend: isoDay(0) });

    const reports = received(from).filter((request) => request.path === '/open_api/v1.3/report/integrated/get/');
    const usdReports = reports.filter((request) => request.query.advertiser_id === usd.advertiser_id);
    // Window 1: 30 days in pages of 7 (5 pages); window 2: the last 5 days (1 page).
    expect(usdReports.map((request) => [request.query.start_date, request.query.end_date, request.query.page])).toEqual([
      ...[1, 2, 3, 4, 5].map((page) => [isoDay(-34), isoDay(-5), String(page)]),
      [isoDay(-4), isoDay(0), '1'],
    ]);
    expect(usdReports[0].query).toMatchObject({
      report_type: 'BASIC',
      data_level: 'AUCTION_ADVERTISER',
      dimensions: '["advertiser_id","stat_time_day"]',
      metrics: '["spend","impressions","clicks"]',
      page_size: '1000',
    });
    expect(usdReports[0].headers['access-token']).toBe(token);
  });

  it('continues from the high-water mark, fetching again the days TikTok may still revise', async () => {
    const from = since();
    const result = await harness().sync({ highWaterMarks: { dailySpend: isoDay(-1) } });
    const reports = received(from).filter((request) => request.path === '/open_api/v1.3/report/integrated/get/');
    expect(reports.map((request) => [request.query.advertiser_id, request.query.start_date, request.query.end_date])).toEqual([
      [usd.advertiser_id, isoDay(-4), isoDay(0)],
      [jpy.advertiser_id, isoDay(-4), isoDay(0)],
    ]);
    expect(result.records!.dailySpend).toHaveLength(10);
    expect(result.highWaterMarks).toEqual({ dailySpend: isoDay(0) });
  });
});

describe('tiktok-ads plugin: TikTok’s HTTP 200 error envelope', () => {
  it('classifies return codes: 0 ok, throttling rate limited, token codes rejected with a reconnect hint, service errors outages', () => {
    const { classify, message } = tiktok.errors;
    expect(classify({ code: 0, message: 'OK', data: {} }, 200)).toBe('ok');
    for (const code of [40016, 40100, 40132, 40133]) expect(classify({ code, message: 'Requests made too frequently.' }, 200)).toBe('rate_limited');
    for (const code of [40001, 40102, 40104, 40105, 40106]) {
      expect(classify({ code, message: 'x' }, 200)).toBe('rejected');
      expect(message({ code, message: 'x', request_id: 'r1' })).toMatch(/reconnect TikTok|connect TikTok again/);
    }
    expect(classify({ code: 40002, message: 'Parameter error' }, 200)).toBe('rejected');
    for (const code of [50000, 50002, 60001, 40202]) expect(classify({ code, message: 'System error' }, 200)).toBe('outage');
    expect(classify('404 page not found', 404)).toBeUndefined();
    expect(message({ code: 40105, message: 'Access token is incorrect or has been revoked.', request_id: 'r42' })).toBe(
      'TikTok refused the request (code 40105: Access token is incorrect or has been revoked.): the TikTok authorization is no longer valid, connect TikTok again. (request id r42)',
    );
  });

  it('a throttled call is a rate limit; an expired or unknown token a refusal asking to reconnect; a system error an outage', async () => {
    fake.state.throttleNext = 1;
    await expect(harness().healthCheck()).rejects.toMatchObject({ code: 'provider_rate_limited', message: expect.stringContaining('code 40100') });

    fake.state.failNext = { code: 40133, message: "Advertiser's QPS reaches QPS limit for current path." };
    await expect(harness().action('listAdvertisers', {})).rejects.toMatchObject({ code: 'provider_rate_limited' });

    const expired = fake.state.mintToken(TIKTOK_TEST_APP.appId);
    expired.expired = true;
    await expect(harness({ accessToken: expired.token }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^TikTok refused the request \(code 40102: Access token has expired.*connect TikTok again/),
    });
    await expect(harness({ accessToken: 'f'.repeat(40) }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('code 40105'),
    });
    await expect(harness({ accessToken: '' }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('no access token'),
    });

    fake.state.failNext = { code: 50000, message: 'System error' };
    const outage = await harness()
      .healthCheck()
      .then(
        (): Json => ({}),
        (error: unknown) => error as Json,
      );
    expect(outage).toBeInstanceOf(Error);
    expect(outage.code).toBeUndefined();
    expect(outage.message).toContain('code 50000');
  });

  it('money helpers: decimal strings to minor units exactly, by the currency exponent', () => {
    expect(helpers.toMinorUnits('12.34', 'USD')).toBe(1234);
    expect(helpers.toMinorUnits('12.345', 'USD')).toBe(1235);
    expect(helpers.toMinorUnits('12.344', 'USD')).toBe(1234);
    expect(helpers.toMinorUnits('0.1', 'USD')).toBe(10);
    expect(helpers.toMinorUnits('1500.00', 'JPY')).toBe(1500);
    expect(helpers.toMinorUnits('1500.5', 'JPY')).toBe(1501);
    expect(helpers.toMinorUnits('1.2345', 'KWD')).toBe(1235);
    expect(helpers.toMinorUnits('123456789.99', 'USD')).toBe(12345678999);
    expect(helpers.toMinorUnits('abc', 'USD')).toBeUndefined();
    expect(helpers.toMajorUnits(1999, 'EUR')).toBe(19.99);
    expect(helpers.normalizePhone('+1 (213) 373-4253')).toBe('+12133734253');
    expect(helpers.normalizePhone('213 373 4253')).toBeUndefined();
  });
});
