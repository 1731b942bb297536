import { createHash } from 'node:crypto';
import { graphError } from '../fixtures/providers/facebook-login.js';
import { META_ADS_SCOPES, META_LONG_LIVED_SECONDS, startFakeMetaAds, type FakeMetaAds } from '../fixtures/providers/meta-ads.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { toOAuthCredentials } from '../../src/modules/integrations/oauth/token-refresher.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '3456789012345678', clientSecret: 'meta-app-secret-0123456789abcdef', redirectUris: [REDIRECT_URI] };
const GRAPH = 'https://graph.facebook.com/v26.0';
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

let plugin: PluginDefinition;
let meta: Json;
let fake: FakeMetaAds;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('meta-ads');
  meta = plugin.providers[0];
  fake = await startFakeMetaAds();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, META_ADS_SCOPES).accessToken;
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.queued.length = 0;
  fake.state.userCallsPerHour = 200;
  fake.state.insightsCallsPerHour = 600;
  fake.state.adAccountsPageSize = 25;
  fake.state.insightsPageSize = 25;
  for (const account of fake.state.adAccounts) account.insights.clear();
  for (const pixel of fake.state.pixels.values()) {
    pixel.events.length = 0;
    pixel.testEventCodes.length = 0;
  }
});

const us = () => fake.state.adAccounts[0];
const japan = () => fake.state.adAccounts[1];
const closed = () => fake.state.adAccounts[2];
const stranger = () => fake.state.adAccounts[3];
const pixel = () => [...fake.state.pixels.values()][0];
const harness = ({ token = accessToken, settings = {}, metadata = {} }: { token?: string; settings?: Json; metadata?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'meta_ads',
    credentials: { accessToken: token, tokenType: 'bearer' },
    settings,
    integration: { metadata: { userId: fake.state.user.id, ...metadata } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const form = (h: Harness, index: number) => Object.fromEntries(new URLSearchParams(h.requests[index].body));
const mint = (scope: string) => fake.state.oauth.mintTokens(CLIENT.clientId, scope).accessToken;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const now = () => Math.floor(Date.now() / 1000);
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('meta_ads plugin: declaration and OAuth', () => {
  it('declares Facebook Login with the Graph version facebook_live pins, the ads scopes, no refresh, a 60-day fallback lifetime and the documented budgets', async () => {
    expect(meta).toMatchObject({
      id: 'meta_ads',
      category: 'marketing',
      baseUrl: GRAPH,
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://www.facebook.com/v26.0/dialog/oauth',
        tokenUrl: `${GRAPH}/oauth/access_token`,
        scopes: ['ads_read', 'ads_management'],
        scopeSeparator: ',',
        refresh: false,
        assumedLifetimeSeconds: 5_184_000,
      },
      rateLimits: [
        { requests: 200, windowMs: 3_600_000, scope: 'connection', match: ['GET /me'] },
        { requests: 300, windowMs: 3_600_000, scope: 'connection', match: ['GET /act_'] },
      ],
    });
    const facebookLive = (await loadBundledPlugin('facebook-live')).providers[0] as Json;
    expect([meta.baseUrl, meta.auth.authorizationUrl, meta.auth.tokenUrl]).toEqual([
      facebookLive.baseUrl,
      facebookLive.auth.authorizationUrl,
      facebookLive.auth.tokenUrl,
    ]);
    expect(Object.keys(meta.actions)).toEqual(['listAdAccounts', 'sendConversionEvent']);
    expect(meta.sync.defaultFrequency).toBe('6h');
    expect(meta.webhook).toBeUndefined();
  });

  it('runs Facebook’s flow to a long-lived token without refresh token; the host dates it ~60 days out (from expires_in, else the declared lifetime)', async () => {
    const url = new URL(meta.auth.authorizationUrl);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: meta.auth.scopes.join(','),
      state: 'st-meta',
    }))
      url.searchParams.set(key, value);
    const back = await followAuthorizationUrl(url, fake.origins);
    expect(back.searchParams.get('state')).toBe('st-meta');
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };
    const badSecret = await postTokenRequest(meta.auth.tokenUrl, fake.origins, { ...exchange, client_secret: 'wrong' });
    expect(badSecret.body.error).toMatchObject({ code: 1, message: 'Error validating client secret.' });
    const granted = await postTokenRequest(meta.auth.tokenUrl, fake.origins, exchange);
    expect(granted).toEqual({ status: 200, body: { access_token: expect.any(String), token_type: 'bearer', expires_in: META_LONG_LIVED_SECONDS } });

    const before = Date.now();
    const stored = toOAuthCredentials(granted.body, undefined, meta.auth.assumedLifetimeSeconds);
    expect(stored.refreshToken).toBeUndefined();
    expect(Date.parse(stored.expiresAt!) - before).toBeGreaterThanOrEqual(META_LONG_LIVED_SECONDS * 1000 - 5_000);
    expect(Date.parse(stored.expiresAt!) - before).toBeLessThanOrEqual(META_LONG_LIVED_SECONDS * 1000 + 5_000);
    const unnamed = toOAuthCredentials({ access_token: 'x', token_type: 'bearer' }, undefined, meta.auth.assumedLifetimeSeconds);
    expect(Math.round((Date.parse(unnamed.expiresAt!) - Date.now()) / 86_400_000)).toBe(60);

    expect((await harness({ token: granted.body.access_token }).verify()).displayName).toBe('Grace Advertiser');
    const reused = await postTokenRequest(meta.auth.tokenUrl, fake.origins, exchange);
    expect(reused.body.error).toMatchObject({ code: 100, error_subcode: 36009 });
  });
});

describe('meta_ads plugin: verify, health and ad accounts', () => {
  it('verifies the user and every page of their ad accounts into metadata, with the token as a bearer header', async () => {
    fake.state.adAccountsPageSize = 2;
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: 'Grace Advertiser',
      metadata: {
        userId: fake.state.user.id,
        name: 'Grace Advertiser',
        adAccounts: [
          { id: us().id, name: 'Acme US', currency: 'USD', status: 'ACTIVE' },
          { id: japan().id, name: 'Acme Japan', currency: 'JPY', status: 'ACTIVE' },
          { id: closed().id, name: 'Acme Legacy', currency: 'EUR', status: 'CLOSED' },
        ],
        adAccountIds: [us().id, japan().id, closed().id],
      },
    });
    const first = `${GRAPH}/me/adaccounts?fields=account_id%2Cname%2Ccurrency%2Caccount_status&limit=100`;
    expect(calls(h)).toEqual([
      `GET ${GRAPH}/me?fields=id%2Cname`,
      `GET ${first}`,
      `GET ${first}&after=${new URL(h.requests[2].url).searchParams.get('after')}`,
    ]);
    expect(h.requests.every((request) => request.headers.authorization === `Bearer ${accessToken}`)).toBe(true);
    expect(h.requests.some((request) => request.url.includes('access_token'))).toBe(false);
  });

  it('keeps the ad accounts chosen in the settings, and refuses ones the user cannot reach', async () => {
    const chosen = await harness({ settings: { adAccountIds: [japan().id] } }).verify();
    expect(chosen.metadata?.adAccountIds).toEqual([japan().id]);
    await expect(harness({ settings: { adAccountIds: [us().id, stranger().id] } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `The Facebook user Grace Advertiser has no access to the ad account ${stranger().id}. Their ad accounts: ${us().id}, ${japan().id}, ${closed().id}.`,
    });
  });

  it('rejects an expired token (190/463) and a token of an app the user removed (190/458) with a reconnect hint', async () => {
    const stale = mint(META_ADS_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(harness({ token: stale }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^Meta no longer accepts this connection's access token \(Error validating access token: Session has expired .*\): connect Meta Ads again\.$/,
      ),
    });
    const removed = mint(META_ADS_SCOPES);
    fake.state.oauth.accessTokens.get(removed)!.revoked = true;
    await expect(harness({ token: removed }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('has not authorized application'),
    });
    await expect(harness({ token: mint('public_profile') }).action('listAdAccounts', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Meta refused for lack of permission ((#200) Requires ads_management or ads_read permission'),
    });
  });

  it('checks health with GET /me?fields=id and notices a token of another user', async () => {
    const h = harness();
    await h.healthCheck();
    expect(calls(h)).toEqual([`GET ${GRAPH}/me?fields=id`]);
    await expect(harness({ metadata: { userId: '42' } }).healthCheck()).rejects.toMatchObject({ message: expect.stringContaining('another Facebook user') });
  });

  it('lists ad accounts across cursor pages with the settings’ choice marked', async () => {
    fake.state.adAccountsPageSize = 1;
    const h = harness({ settings: { adAccountIds: [japan().id] } });
    const listed = await h.action<Json>('listAdAccounts', {});
    expect(listed).toEqual({
      truncated: false,
      adAccounts: [
        { id: us().id, accountId: us().accountId, name: 'Acme US', currency: 'USD', status: 'ACTIVE', statusCode: 1, selected: false },
        { id: japan().id, accountId: japan().accountId, name: 'Acme Japan', currency: 'JPY', status: 'ACTIVE', statusCode: 1, selected: true },
        { id: closed().id, accountId: closed().accountId, name: 'Acme Legacy', currency: 'EUR', status: 'CLOSED', statusCode: 101, selected: false },
      ],
    });
    expect(h.requests).toHaveLength(3);
    expect(new URL(h.requests[1].url).searchParams.get('after')).toBe(Buffer.from('index:0').toString('base64url'));
  });
});

describe('meta_ads plugin: sendConversionEvent (Conversions API)', () => {
  const website = (overrides: Json = {}) => ({
    pixelId: pixel().id,
    eventName: 'Purchase',
    eventTime: now() - 60,
    eventId: 'order-1001',
    eventSourceUrl: 'https://shop.example.com/checkout/thanks',
    customData: { value: 1999, currency: 'USD', orderId: '1001', contentIds: ['sku-1'], contentType: 'product', numItems: 1 },
    userData: { email: 'joe@example.com', clientUserAgent: UA },
    ...overrides,
  });

  it('normalises and hashes customer information exactly as Meta documents, and sends the plain fields unhashed', async () => {
    const h = harness();
    const result = await h.action<Json>(
      'sendConversionEvent',
      website({
        userData: {
          email: '  John_Smith@gmail.com ',
          phone: '+1 (650) 555-1212',
          firstName: 'Mary',
          lastName: 'Valéry',
          city: 'South San Francisco',
          state: 'CA',
          zip: '94035-1234',
          country: 'US',
          externalId: ' customer-42 ',
          clientIpAddress: '127.0.0.1',
          clientUserAgent: UA,
          fbc: 'fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890',
          fbp: 'fb.1.1558571054389.1098115397',
        },
      }),
    );
    expect(calls(h)).toEqual([`POST ${GRAPH}/${pixel().id}/events`]);
    expect(h.requests[0].headers['content-type']).toContain('application/x-www-form-urlencoded');
    const [sent] = JSON.parse(form(h, 0).data) as Json[];
    // The documented examples' SHA-256 values, written out (checked independently of this code).
    const documented = {
      em: '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f', // john_smith@gmail.com
      ph: 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176', // 16505551212
      fn: '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec', // mary
      ln: '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c', // valéry
    };
    expect(sent.user_data).toEqual({
      ...documented,
      ct: sha256('southsanfrancisco'),
      st: sha256('ca'),
      zp: sha256('94035'),
      country: sha256('us'),
      external_id: sha256('customer-42'),
      client_ip_address: '127.0.0.1',
      client_user_agent: UA,
      fbc: 'fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890',
      fbp: 'fb.1.1558571054389.1098115397',
    });
    expect(sha256('john_smith@gmail.com')).toBe(documented.em);
    expect(sent).toMatchObject({
      event_name: 'Purchase',
      event_id: 'order-1001',
      action_source: 'website',
      event_source_url: 'https://shop.example.com/checkout/thanks',
      custom_data: { value: 19.99, currency: 'usd', order_id: '1001', content_ids: ['sku-1'], content_type: 'product', num_items: 1 },
    });
    expect(pixel().events).toHaveLength(1);
    expect(result).toEqual({
      pixelId: pixel().id,
      eventsReceived: 1,
      messages: [],
      fbtraceId: expect.any(String),
      eventId: 'order-1001',
      userDataFields: Object.keys(sent.user_data),
      value: 19.99,
      currency: 'USD',
    });
  });

  it('hashes joe@example.com to its known SHA-256, keeps UK postcodes whole, passes hashed values on, and converts zero- and three-decimal currencies', async () => {
    const h = harness({ settings: { pixelId: pixel().id } });
    await h.action('sendConversionEvent', {
      ...website({ pixelId: undefined, customData: { value: 500, currency: 'JPY' } }),
      userData: { email: 'Joe@Example.com', zip: 'M1 1AE', country: 'gb', clientUserAgent: UA },
      testEventCode: 'TEST12345',
    });
    const params = form(h, 0);
    const [first] = JSON.parse(params.data) as Json[];
    expect(first.user_data).toMatchObject({
      em: '2481f36dfc515ca76451aaadf1399026942a01ee50c6d0a61988b43cef039bc2',
      zp: sha256('m11ae'),
      country: sha256('gb'),
    });
    expect(first.custom_data).toEqual({ value: 500, currency: 'jpy' });
    expect(params.test_event_code).toBe('TEST12345');
    expect(pixel().testEventCodes).toEqual(['TEST12345']);

    const hashed = sha256('joe@example.com');
    await h.action('sendConversionEvent', {
      ...website({ customData: { value: 1234, currency: 'KWD' } }),
      userData: { email: hashed.toUpperCase(), clientUserAgent: UA },
    });
    const [second] = JSON.parse(form(h, 1).data) as Json[];
    expect(second.user_data.em).toBe(hashed);
    expect(second.custom_data.value).toBe(1.234);
  });

  it('refuses events older than 7 days, in the future, website events without their URL or user agent, and Purchase without value, sending nothing', async () => {
    const h = harness();
    await expect(h.action('sendConversionEvent', website({ eventTime: now() - 7 * 86_400 - 60 }))).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('is more than 7 days ago'),
    });
    await expect(h.action('sendConversionEvent', website({ eventTime: now() + 3600 }))).rejects.toMatchObject({
      message: expect.stringContaining('is in the future'),
    });
    await expect(h.action('sendConversionEvent', website({ userData: { email: 'joe@example.com' } }))).rejects.toMatchObject({
      message: expect.stringContaining('Website events need eventSourceUrl and userData.clientUserAgent'),
    });
    await expect(h.action('sendConversionEvent', website({ customData: undefined }))).rejects.toMatchObject({
      message: 'Meta requires customData.value and customData.currency on Purchase events.',
    });
    await expect(h.action('sendConversionEvent', website({ pixelId: undefined }))).rejects.toMatchObject({
      message: expect.stringContaining('Name the Meta pixel'),
    });
    await expect(h.action('sendConversionEvent', website({ userData: { phone: '+1 555-12', clientUserAgent: UA } }))).rejects.toMatchObject({
      message: expect.stringContaining('userData.phone must be a phone number with its country code'),
    });
    expect(h.requests).toHaveLength(0);
    // A store event needs neither URL nor user agent.
    await harness().action('sendConversionEvent', {
      pixelId: pixel().id,
      eventName: 'Lead',
      eventTime: now(),
      actionSource: 'physical_store',
      userData: { phone: '0044 20 7946 0958' },
    });
    expect(pixel().events.at(-1)!.user_data).toEqual({ ph: sha256('442079460958') });
  });

  it('turns Meta’s own refusals into messages: unknown pixel (100/33), old events (2804003), expired token (190), throttling (17)', async () => {
    await expect(harness().action('sendConversionEvent', website({ pixelId: '1234567890' }))).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Unsupported post request\. Object with ID '1234567890' does not exist.* \(fbtrace_id \S+\)$/),
    });
    fake.state.queued.push(
      graphError(400, 100, 'Invalid parameter', {
        subcode: 2804003,
        userTitle: 'Event Timestamp Too Old',
        userMessage: 'The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred.',
      }),
    );
    await expect(harness().action('sendConversionEvent', website())).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Invalid parameter: The timestamp for this event is too far in the past.'),
    });
    const stale = mint(META_ADS_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(harness({ token: stale }).action('sendConversionEvent', website())).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect Meta Ads again'),
    });
    fake.state.queued.push(
      graphError(400, 17, '(#17) User request limit reached', {
        subcode: 2446079,
        headers: { 'x-business-use-case-usage': JSON.stringify({ '123': [{ type: 'ads_management', call_count: 100, estimated_time_to_regain_access: 7 }] }) },
      }),
    );
    await expect(harness().action('sendConversionEvent', website())).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Meta is rate limiting these calls: (#17) User request limit reached',
      retryAfterSeconds: 420,
    });
    expect(pixel().events).toHaveLength(0);
  });

  it('the fake itself refuses unhashed customer information (code 100)', async () => {
    const reply = await fetch(`${fake.url}/v26.0/${pixel().id}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
      body: new URLSearchParams({
        data: JSON.stringify([{ event_name: 'Lead', event_time: now(), action_source: 'email', user_data: { em: 'joe@example.com' } }]),
      }),
    });
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as Json).error).toMatchObject({ code: 100, error_user_title: 'Unhashed Customer Information' });
  });
});

describe('meta_ads plugin: insights sync', () => {
  it('reads daily account insights of the chosen accounts across pages, spend in minor units of each account’s currency', async () => {
    fake.state.insightsPageSize = 2;
    fake.state.setInsights(us().id, day(-2), { spend: '12.34', impressions: 1000, clicks: 25 });
    fake.state.setInsights(us().id, day(-1), { spend: '0.5', impressions: 80, clicks: 1 });
    fake.state.setInsights(us().id, day(0), { spend: '7.005', impressions: 40, clicks: 0 });
    fake.state.setInsights(us().id, day(-40), { spend: '99.00', impressions: 1, clicks: 1 });
    fake.state.setInsights(japan().id, day(-1), { spend: '1500', impressions: 300, clicks: 9 });
    const h = harness({ settings: { adAccountIds: [us().id, japan().id] } });
    const result = await h.sync();
    expect(result).toEqual({
      records: {
        insights: [
          { id: `${us().id}:${day(-2)}`, adAccountId: us().id, date: day(-2), dateStop: day(-2), spend: 1234, currency: 'USD', impressions: 1000, clicks: 25 },
          { id: `${us().id}:${day(-1)}`, adAccountId: us().id, date: day(-1), dateStop: day(-1), spend: 50, currency: 'USD', impressions: 80, clicks: 1 },
          { id: `${us().id}:${day(0)}`, adAccountId: us().id, date: day(0), dateStop: day(0), spend: 701, currency: 'USD', impressions: 40, clicks: 0 },
          {
            id: `${japan().id}:${day(-1)}`,
            adAccountId: japan().id,
            date: day(-1),
            dateStop: day(-1),
            spend: 1500,
            currency: 'JPY',
            impressions: 300,
            clicks: 9,
          },
        ],
      },
      highWaterMarks: { insights: day(0) },
    });
    expect(h.requests.map((request) => new URL(request.url).pathname)).toEqual([
      `/v26.0/${us().id}/insights`,
      `/v26.0/${us().id}/insights`,
      `/v26.0/${japan().id}/insights`,
    ]);
    const first = new URL(h.requests[0].url).searchParams;
    expect(Object.fromEntries(first)).toEqual({
      level: 'account',
      time_increment: '1',
      fields: 'spend,impressions,clicks,date_start,date_stop,account_currency',
      time_range: JSON.stringify({ since: day(-29), until: day(0) }),
      limit: '100',
    });
    expect(new URL(h.requests[1].url).searchParams.get('after')).toBe(Buffer.from('index:1').toString('base64url'));
  });

  it('continues from the high-water mark minus three days, and covers every ad account when none is chosen', async () => {
    fake.state.setInsights(closed().id, day(-3), { spend: '3.00', impressions: 10, clicks: 1 });
    const h = harness();
    const result = await h.sync({ highWaterMarks: { insights: day(-1) } });
    expect(h.requests.map((request) => new URL(request.url).pathname)).toEqual([
      '/v26.0/me/adaccounts',
      `/v26.0/${us().id}/insights`,
      `/v26.0/${japan().id}/insights`,
      `/v26.0/${closed().id}/insights`,
    ]);
    expect(new URL(h.requests[1].url).searchParams.get('time_range')).toBe(JSON.stringify({ since: day(-4), until: day(0) }));
    expect(result.records?.insights).toEqual([expect.objectContaining({ adAccountId: closed().id, spend: 300, currency: 'EUR' })]);
    expect(result.highWaterMarks).toEqual({ insights: day(-1) });
  });

  it('skips an ad account Meta refuses, but stops on the Ads Insights limit (80000) with the Business Use Case regain time', async () => {
    const h = harness({ settings: { adAccountIds: [stranger().id, us().id] } });
    fake.state.setInsights(us().id, day(-1), { spend: '1.00', impressions: 1, clicks: 0 });
    const result = await h.sync();
    expect(result.records?.insights).toHaveLength(1);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ adAccountId: stranger().id }) }));

    fake.state.insightsCallsPerHour = 0;
    await expect(harness({ settings: { adAccountIds: [us().id] } }).sync()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining('too many calls from this ad-account'),
      retryAfterSeconds: 3600,
    });
  });
});

describe('meta_ads plugin: schemas', () => {
  it('refuses what Meta would refuse, and anything undeclared', () => {
    const ajv = createSchemaCompiler();
    const send = ajv.compile(meta.actions.sendConversionEvent.inputSchema);
    const ok = { pixelId: '123456', eventName: 'Purchase', eventTime: now(), userData: { email: 'joe@example.com' } };
    expect(send(ok)).toBe(true);
    expect(send({ ...ok, userData: {} })).toBe(false);
    expect(send({ ...ok, userData: { email: 'not-an-email' } })).toBe(false);
    expect(send({ ...ok, userData: { ssn: '123' } })).toBe(false);
    expect(send({ ...ok, userData: { country: 'USA' } })).toBe(false);
    expect(send({ ...ok, userData: { clientIpAddress: 'localhost' } })).toBe(false);
    expect(send({ ...ok, userData: { fbp: 'abc' } })).toBe(false);
    expect(send({ ...ok, eventTime: Date.now() })).toBe(false);
    expect(send({ ...ok, eventTime: '2026-01-01' })).toBe(false);
    expect(send({ ...ok, actionSource: 'tv' })).toBe(false);
    expect(send({ ...ok, pixelId: '../me' })).toBe(false);
    expect(send({ ...ok, customData: { value: 19.99, currency: 'USD' } })).toBe(false);
    expect(send({ ...ok, customData: { value: 1999 } })).toBe(false);
    expect(send({ ...ok, customData: { value: 1999, currency: 'usd' } })).toBe(false);
    expect(send({ ...ok, eventSourceUrl: 'javascript:alert(1)' })).toBe(false);
    expect(send({ ...ok, testEventCode: 'abc' })).toBe(false);
    expect(send({ ...ok, extra: true })).toBe(false);
    expect(ajv.compile(meta.actions.listAdAccounts.inputSchema)({ limit: 5 })).toBe(false);
    const settings = ajv.compile(meta.settingsSchema);
    expect(settings({ adAccountIds: ['act_123', 'act_456'], pixelId: '987' })).toBe(true);
    expect(settings({ adAccountIds: ['123'] })).toBe(false);
    expect(settings({ adAccountIds: ['act_1', 'act_1'] })).toBe(false);
    expect(settings({ accessToken: 'EAAG' })).toBe(false);
  });
});
