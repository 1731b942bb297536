import {
  adsDateTime,
  adsError,
  GOOGLE_ADS_SCOPE,
  googleAdsError,
  startFakeGoogleAds,
  type FakeConversionAction,
  type FakeCustomer,
  type FakeGoogleAds,
} from '../fixtures/providers/google-ads.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '8642-ads.apps.googleusercontent.com', clientSecret: 'GOCSPX-ads-client-secret', redirectUris: [REDIRECT_URI] };
const API = 'https://googleads.googleapis.com/v26';
const DEVELOPER_TOKEN = 'ABcdEF0123456789_ghIJkl';
const DAY_MS = 86_400_000;

let plugin: PluginDefinition;
let ads: Json;
let fake: FakeGoogleAds;
let accessToken: string;
let store: FakeCustomer;
let tokyo: FakeCustomer;
let manager: FakeCustomer;
let client: FakeCustomer;
const ACTION = '987654321';

const isoDay = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);

beforeAll(async () => {
  plugin = await loadBundledPlugin('google-ads');
  ads = plugin.providers[0];
  fake = await startFakeGoogleAds();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, GOOGLE_ADS_SCOPE).accessToken;
  const oldAction: FakeConversionAction = { id: ACTION, name: 'Offline purchase', type: 'UPLOAD_CLICKS', createdAt: Date.now() - 30 * DAY_MS };
  store = fake.state.addCustomer({
    id: '1234567890',
    descriptiveName: 'Acme Store',
    conversionActions: new Map<string, FakeConversionAction>([
      [ACTION, oldAction],
      ['111', { id: '111', name: 'Brand new import', type: 'UPLOAD_CLICKS', createdAt: Date.now() - 3_600_000 }],
      ['222', { id: '222', name: 'Website tag', type: 'WEBPAGE', createdAt: Date.now() - 30 * DAY_MS }],
    ]),
    days: [
      { date: isoDay(5), costMicros: '12345678', impressions: 1000, clicks: 40 },
      { date: isoDay(4), costMicros: '5000000', impressions: 500, clicks: 20 },
      { date: isoDay(3), costMicros: '4995000', impressions: 400, clicks: 10 },
      { date: isoDay(90), costMicros: '1000000', impressions: 1, clicks: 1 },
    ],
  });
  tokyo = fake.state.addCustomer({
    id: '2223334444',
    currencyCode: 'JPY',
    conversionActions: new Map([[ACTION, { ...oldAction }]]),
    days: [{ date: isoDay(2), costMicros: '1500500000', impressions: 3000, clicks: 90 }],
  });
  client = fake.state.addCustomer({ id: '5556667777', conversionActions: new Map([[ACTION, { ...oldAction }]]) }, { accessible: false });
  manager = fake.state.addCustomer({ id: '9990001111', descriptiveName: 'Acme Agency MCC', manager: true, clients: [client.id] });
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.queued.length = 0;
  fake.state.quota.used = 0;
  fake.state.accessLevel = 'basic';
});

const connected = (options: { settings?: Json; metadata?: Json; token?: string; developerToken?: string | null } = {}) =>
  createHarness(plugin, {
    credentials: {
      accessToken: options.token ?? accessToken,
      tokenType: 'Bearer',
      ...(options.developerToken === null ? {} : { app: { developerToken: options.developerToken ?? DEVELOPER_TOKEN } }),
    },
    settings: options.settings ?? {},
    integration: { metadata: options.metadata ?? {} },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const hoursAgoDateTime = (hours: number) => adsDateTime(Date.now() - hours * 3_600_000);
/** The same instant written at UTC-08:00, as a Pacific-time advertiser would send it. */
const pacific = (hours: number) => `${new Date(Date.now() - hours * 3_600_000 - 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')}-08:00`;

describe('google_ads plugin: declaration and OAuth', () => {
  it('declares Google OAuth with the adwords scope, the developer token as an app secret, v26 and the access-level budgets', () => {
    expect(ads).toMatchObject({
      id: 'google_ads',
      category: 'marketing',
      baseUrl: API,
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: [GOOGLE_ADS_SCOPE],
        pkce: true,
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
        appSecrets: ['developerToken'],
      },
    });
    expect(ads.rateLimits).toEqual([
      { requests: 15_000, windowMs: DAY_MS, scope: 'app' },
      { requests: 5, windowMs: 1000, scope: 'connection' },
    ]);
    expect(Object.keys(ads.actions)).toEqual(['listAccessibleCustomers', 'uploadClickConversion']);
    expect(ads.sync.defaultFrequency).toBe('1d');
    expect(Object.keys(ads.connectionInputs.properties)).toEqual(['loginCustomerId']);
  });

  it('the fake runs Google’s flow: PKCE, an offline refresh token, and a refreshed token the API accepts', async () => {
    const url = new URL(ads.auth.authorizationUrl);
    const params = {
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: ads.auth.scopes.join(' '),
      state: 'st-ads',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...ads.auth.authorizationParams,
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value as string);
    const back = await followAuthorizationUrl(url, fake.origins);
    const token = (form: Record<string, string>) => postTokenRequest(ads.auth.tokenUrl, fake.origins, form);
    const granted = await token({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    });
    expect(granted.body).toMatchObject({ refresh_token: expect.any(String), scope: GOOGLE_ADS_SCOPE, expires_in: 3599 });
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    await expect(connected({ token: refreshed.body.access_token }).healthCheck()).resolves.toBeUndefined();
    fake.state.oauth.revokeRefreshToken(granted.body.refresh_token);
    await expect(connected({ token: refreshed.body.access_token }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      reason: 'OAUTH_TOKEN_INVALID',
      message: expect.stringMatching(
        /^Google refused the access token: connect Google Ads again\. Oauth token in the header is not valid\. \(authenticationError: OAUTH_TOKEN_INVALID\) \[request \S+\]$/,
      ),
    });
  });
});

describe('google_ads plugin: verify, health and accessible customers', () => {
  it('verifies with the accessible customers, sending the developer token and no login-customer-id', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'Google Ads (3 accounts)',
      metadata: {
        customerIds: [store.id, tokyo.id, manager.id],
        customerResourceNames: [`customers/${store.id}`, `customers/${tokyo.id}`, `customers/${manager.id}`],
      },
    });
    expect(calls(h)).toEqual([`GET ${API}/customers:listAccessibleCustomers`]);
    const sent = fake.state.requests.at(-1)!;
    expect(sent.headers).toMatchObject({ authorization: `Bearer ${accessToken}`, 'developer-token': DEVELOPER_TOKEN });
    expect(sent.headers['login-customer-id']).toBeUndefined();
  });

  it('works without a developer token (Google ignores it since September 2026) and keeps the manager account, dashes stripped', async () => {
    const h = connected({ developerToken: null, metadata: { loginCustomerId: '999-000-1111' } });
    expect((await h.verify()).metadata).toMatchObject({ loginCustomerId: manager.id });
    expect(fake.state.requests.at(-1)!.headers['developer-token']).toBeUndefined();
    expect(fake.state.requests.at(-1)!.headers['login-customer-id']).toBe(manager.id);
    expect(await h.action('listAccessibleCustomers', {})).toEqual({
      customers: [store.id, tokyo.id, manager.id].map((customerId) => ({ customerId, resourceName: `customers/${customerId}` })),
    });
  });

  it('refuses a Google account without Google Ads accounts, and a token without the adwords scope', async () => {
    const accessible = fake.state.accessible;
    fake.state.accessible = [];
    try {
      await expect(connected().verify()).rejects.toMatchObject({
        code: 'provider_rejected',
        reason: 'NOT_ADS_USER',
        message: expect.stringContaining('has no Google Ads account'),
      });
    } finally {
      fake.state.accessible = accessible;
    }
    const narrow = fake.state.oauth.mintTokens(CLIENT.clientId, 'openid email').accessToken;
    await expect(connected({ token: narrow }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Request had insufficient authentication scopes.',
    });
  });

  it('reads a spent quota as a rate limit with Google’s retry delay, and a 500 as an outage', async () => {
    fake.state.quota.used = fake.state.quota.limit;
    const gclid = fake.state.addClick(store.id);
    const error = await connected()
      .action('uploadClickConversion', { customerId: store.id, gclid, conversionAction: ACTION, conversionDateTime: hoursAgoDateTime(1) })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 86_400,
      message: expect.stringContaining('(Number of operations for basic access)'),
    });
    expect((error as Error).message).toContain('(quotaError: RESOURCE_EXHAUSTED)');
    fake.state.queued.push({ ...googleAdsError(500, [adsError('internalError', 'INTERNAL_ERROR', 'An internal error has occurred.')]) });
    const outage = await connected()
      .healthCheck()
      .catch((caught: unknown) => caught);
    expect(outage).toBeInstanceOf(Error);
    expect(outage).not.toHaveProperty('code');
    expect((outage as Error).message).toMatch(/^Google Ads answered HTTP 500: An internal error has occurred\. \(internalError: INTERNAL_ERROR\)/);
  });
});

describe('google_ads plugin: uploadClickConversion', () => {
  const upload = (input: Json, options: Parameters<typeof connected>[0] = {}) => {
    const h = connected(options);
    return { h, result: h.action<Json>('uploadClickConversion', input) };
  };

  it('uploads with partialFailure, the action built from its id, and the value from minor units by the currency', async () => {
    const gclid = fake.state.addClick(store.id);
    const when = pacific(7);
    const { h, result } = upload({
      customerId: '123-456-7890',
      gclid,
      conversionAction: ACTION,
      conversionDateTime: when,
      value: 4999,
      currency: 'usd',
      orderId: 'ORD-1001',
    });
    expect(await result).toEqual({
      customerId: store.id,
      gclid,
      conversionAction: `customers/${store.id}/conversionActions/${ACTION}`,
      conversionDateTime: when,
      conversionValue: 49.99,
      currency: 'USD',
      jobId: expect.stringMatching(/^\d+$/),
      uploaded: true,
      duplicate: false,
      validateOnly: false,
    });
    expect(calls(h)).toEqual([`POST ${API}/customers/${store.id}:uploadClickConversions`]);
    expect(h.requests[0].json()).toEqual({
      conversions: [
        {
          gclid,
          conversionAction: `customers/${store.id}/conversionActions/${ACTION}`,
          conversionDateTime: when,
          conversionValue: 49.99,
          currencyCode: 'USD',
          orderId: 'ORD-1001',
        },
      ],
      partialFailure: true,
    });
    expect(fake.state.uploads.at(-1)).toMatchObject({ customerId: store.id, gclid, conversionValue: 49.99, currencyCode: 'USD', orderId: 'ORD-1001' });
  });

  it('converts zero-decimal and three-decimal currencies by their exponent', async () => {
    const gclid = fake.state.addClick(tokyo.id);
    const { h, result } = upload({
      customerId: tokyo.id,
      gclid,
      conversionAction: ACTION,
      conversionDateTime: hoursAgoDateTime(1),
      value: 1500,
      currency: 'JPY',
    });
    expect(await result).toMatchObject({ conversionValue: 1500, currency: 'JPY' });
    expect((h.requests[0].json() as Json).conversions[0]).toMatchObject({ conversionValue: 1500, currencyCode: 'JPY' });
    const kwd = fake.state.addClick(store.id);
    const second = upload({
      customerId: store.id,
      gclid: kwd,
      conversionAction: ACTION,
      conversionDateTime: hoursAgoDateTime(1),
      value: 12345,
      currency: 'KWD',
      validateOnly: true,
    });
    expect(await second.result).toMatchObject({ conversionValue: 12.345, uploaded: false, validateOnly: true, jobId: expect.any(String) });
    expect(second.h.requests[0].json()).toMatchObject({ validateOnly: true, partialFailure: true });
    expect(fake.state.uploads.some((entry) => entry.gclid === kwd)).toBe(false);
  });

  it('answers a repeated upload (same click, action and time, or the same order) as a duplicate, not an error', async () => {
    const gclid = fake.state.addClick(store.id);
    const input = {
      customerId: store.id,
      gclid,
      conversionAction: `customers/${store.id}/conversionActions/${ACTION}`,
      conversionDateTime: hoursAgoDateTime(3),
    };
    await expect(upload(input).result).resolves.toMatchObject({ uploaded: true, duplicate: false });
    await expect(upload(input).result).resolves.toMatchObject({ uploaded: false, duplicate: true });
    const other = fake.state.addClick(store.id);
    await upload({ ...input, gclid: other, orderId: 'ORD-7' }).result;
    await expect(upload({ ...input, gclid: fake.state.addClick(store.id), orderId: 'ORD-7' }).result).resolves.toMatchObject({ duplicate: true });
    expect(fake.state.uploads.filter((entry) => entry.gclid === gclid)).toHaveLength(1);
  });

  it('turns a partial failure answered with HTTP 200 into a refusal naming the error code and what to do', async () => {
    const old = fake.state.addClick(store.id, 24 * 120);
    await expect(upload({ customerId: store.id, gclid: old, conversionAction: ACTION, conversionDateTime: hoursAgoDateTime(1) }).result).rejects.toMatchObject({
      code: 'provider_rejected',
      reason: 'EXPIRED_EVENT',
      message: expect.stringMatching(
        /^Google Ads did not accept the conversion: The imported event can't be recorded because its click occurred before this conversion's click-through window\. \(gclid\) \[conversionUploadError: EXPIRED_EVENT\] The click is older than the conversion action’s click-through window: it can no longer be imported\. \[request \S+\]$/,
      ),
    });
    const answered = fake.state.requests.at(-1)!;
    expect(answered.path).toBe(`/v26/customers/${store.id}:uploadClickConversions`);

    const gclid = fake.state.addClick(store.id);
    const cases: Array<[Json, string, string]> = [
      [{ conversionAction: '111' }, 'TOO_RECENT_CONVERSION_ACTION', 'less than 6 hours ago'],
      [{ conversionAction: '222' }, 'INVALID_CONVERSION_ACTION_TYPE', 'type UPLOAD_CLICKS'],
      [{ conversionAction: '333' }, 'NO_CONVERSION_ACTION_FOUND', 'does not exist in this customer'],
      [{ gclid: 'Cj0KCQunknownclickidentifier0000' }, 'EVENT_NOT_FOUND', 'check the customer and the gclid'],
      [{ gclid: fake.state.addClick(tokyo.id) }, 'INVALID_CUSTOMER_FOR_CLICK', 'belongs to another Google Ads account'],
      [{ conversionDateTime: adsDateTime(Date.now() - 100 * 3_600_000) }, 'CONVERSION_PRECEDES_EVENT', 'earlier than the click'],
      [{ gclid: fake.state.addClick(store.id, 1) }, 'TOO_RECENT_EVENT', 'less than 6 hours ago'],
    ];
    for (const [change, reason, advice] of cases) {
      await expect(
        upload({ customerId: store.id, gclid, conversionAction: ACTION, conversionDateTime: hoursAgoDateTime(1), ...change }).result,
      ).rejects.toMatchObject({ code: 'provider_rejected', reason, message: expect.stringContaining(advice) });
    }
  });

  it('refuses a client account reached without its manager, with the login-customer-id hint; the manager’s id makes it work', async () => {
    const gclid = fake.state.addClick(client.id);
    const input = { customerId: client.id, gclid, conversionAction: ACTION, conversionDateTime: hoursAgoDateTime(1) };
    await expect(upload(input).result).rejects.toMatchObject({
      code: 'provider_rejected',
      reason: 'USER_PERMISSION_DENIED',
      message: expect.stringContaining(
        '(authorizationError: USER_PERMISSION_DENIED) If this customer is reached through a manager (MCC) account, set that manager’s customer id as loginCustomerId in the connection’s settings.',
      ),
    });
    const through = upload(input, { settings: { loginCustomerId: '999-000-1111' } });
    await expect(through.result).resolves.toMatchObject({ uploaded: true, customerId: client.id });
    expect(through.h.requests[0].headers['login-customer-id']).toBe(manager.id);
    expect(fake.state.requests.at(-1)!.headers['login-customer-id']).toBe(manager.id);

    // A manager that does not manage the account.
    await expect(
      upload({ ...input, customerId: store.id, gclid: fake.state.addClick(store.id) }, { metadata: { loginCustomerId: manager.id } }).result,
    ).rejects.toMatchObject({
      reason: 'INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION',
      message: expect.stringContaining('The manager account 999-000-1111 given as loginCustomerId does not manage this customer'),
    });
  });

  it('explains a Cloud project with Test access only', async () => {
    fake.state.accessLevel = 'test';
    await expect(
      upload({ customerId: store.id, gclid: fake.state.addClick(store.id), conversionAction: ACTION, conversionDateTime: hoursAgoDateTime(1) }).result,
    ).rejects.toMatchObject({
      reason: 'CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION',
      message: expect.stringContaining('apply for Explorer, Basic or Standard access at https://console.cloud.google.com/google/ads-apis/overview'),
    });
  });

  it('validates the input before sending: schema, Google’s date-time format, real dates, future times, value with currency', async () => {
    const validate = createSchemaCompiler().compile(ads.actions.uploadClickConversion.inputSchema);
    const good = { customerId: '1234567890', gclid: 'Cj0KCQabc_DEF-123', conversionAction: ACTION, conversionDateTime: '2026-03-01 12:32:45-08:00' };
    expect(validate(good)).toBe(true);
    expect(
      validate({
        ...good,
        customerId: '123-456-7890',
        conversionAction: 'customers/1234567890/conversionActions/42',
        value: 100,
        currency: 'EUR',
        orderId: 'A1',
      }),
    ).toBe(true);
    for (const bad of [
      { ...good, conversionDateTime: '2026-03-01T12:32:45-08:00' },
      { ...good, conversionDateTime: '2026-03-01 12:32:45' },
      { ...good, conversionDateTime: '2026-03-01 12:32:45Z' },
      { ...good, conversionDateTime: '2026-03-01 12:32:45-0800' },
      { ...good, customerId: '12345' },
      { ...good, conversionAction: 'conversionActions/42' },
      { ...good, gclid: 'has spaces' },
      { ...good, value: 12.5, currency: 'USD' },
      { ...good, value: -1, currency: 'USD' },
      { ...good, currency: 'US' },
      { ...good, extra: true },
    ])
      expect(validate(bad)).toBe(false);

    const h = connected();
    const refused = (change: Json) => h.action('uploadClickConversion', { ...good, ...change });
    await expect(refused({ conversionDateTime: '2026-02-30 10:00:00+01:00' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('is not a real date'),
    });
    await expect(refused({ conversionDateTime: '2026-03-01 24:00:00+01:00' })).rejects.toMatchObject({
      message: expect.stringContaining('is not a real date'),
    });
    await expect(refused({ conversionDateTime: '2026-03-01 10:00:00+15:00' })).rejects.toMatchObject({ message: expect.stringContaining('valid offset') });
    await expect(refused({ conversionDateTime: adsDateTime(Date.now() + DAY_MS) })).rejects.toMatchObject({
      message: expect.stringContaining('is in the future'),
    });
    await expect(refused({ value: 100 })).rejects.toMatchObject({ message: expect.stringContaining('together with its ISO 4217 currency') });
    expect(h.requests).toHaveLength(0);
  });
});

describe('google_ads plugin: dailySpend sync', () => {
  it('reads each customer’s days through searchStream batches, micros to minor units by currency, skipping the manager', async () => {
    fake.state.batchSize = 2;
    try {
      const h = connected({ settings: { syncDays: 30 } });
      const result = await h.sync();
      const from = isoDay(30);
      const to = isoDay(0);
      expect(calls(h)).toEqual([
        `GET ${API}/customers:listAccessibleCustomers`,
        `POST ${API}/customers/${store.id}/googleAds:searchStream`,
        `POST ${API}/customers/${tokyo.id}/googleAds:searchStream`,
        `POST ${API}/customers/${manager.id}/googleAds:searchStream`,
      ]);
      expect(h.requests[1].json()).toEqual({
        query: `SELECT segments.date, customer.id, customer.currency_code, metrics.cost_micros, metrics.impressions, metrics.clicks FROM customer WHERE segments.date BETWEEN '${from}' AND '${to}' ORDER BY segments.date`,
      });
      expect(h.requests[1].headers['developer-token']).toBe(DEVELOPER_TOKEN);
      expect(result.records!.dailySpend).toEqual([
        {
          id: `${store.id}:${isoDay(5)}`,
          customerId: store.id,
          date: isoDay(5),
          currency: 'USD',
          spend: 1235,
          costMicros: '12345678',
          impressions: 1000,
          clicks: 40,
        },
        {
          id: `${store.id}:${isoDay(4)}`,
          customerId: store.id,
          date: isoDay(4),
          currency: 'USD',
          spend: 500,
          costMicros: '5000000',
          impressions: 500,
          clicks: 20,
        },
        {
          id: `${store.id}:${isoDay(3)}`,
          customerId: store.id,
          date: isoDay(3),
          currency: 'USD',
          spend: 500,
          costMicros: '4995000',
          impressions: 400,
          clicks: 10,
        },
        {
          id: `${tokyo.id}:${isoDay(2)}`,
          customerId: tokyo.id,
          date: isoDay(2),
          currency: 'JPY',
          spend: 1501,
          costMicros: '1500500000',
          impressions: 3000,
          clicks: 90,
        },
      ]);
      expect(result.highWaterMarks).toEqual({ dailySpend: isoDay(2) });
      expect(h.logs).toContainEqual({
        level: 'info',
        message: 'Google Ads customer skipped',
        fields: { customerId: manager.id, reason: 'REQUESTED_METRICS_FOR_MANAGER' },
      });
    } finally {
      fake.state.batchSize = 10_000;
    }
  });

  it('syncs incrementally from a few days before the mark, only the configured accounts', async () => {
    const h = connected({ settings: { customerIds: ['123-456-7890'] } });
    const result = await h.sync({ highWaterMarks: { dailySpend: isoDay(3) } });
    expect(calls(h)).toEqual([`POST ${API}/customers/${store.id}/googleAds:searchStream`]);
    expect((h.requests[0].json() as Json).query).toContain(`BETWEEN '${isoDay(6)}' AND '${isoDay(0)}'`);
    expect(result.records!.dailySpend.map((record) => record.date)).toEqual([isoDay(5), isoDay(4), isoDay(3)]);
    expect(result.highWaterMarks).toEqual({ dailySpend: isoDay(3) });

    const quiet = await connected({ metadata: { customerIds: [client.id] }, settings: { loginCustomerId: manager.id } }).sync({
      highWaterMarks: { dailySpend: isoDay(1) },
    });
    expect(quiet).toEqual({ records: { dailySpend: [] }, highWaterMarks: { dailySpend: isoDay(1) } });
  });

  it('fails on an error a stream reports inside its HTTP 200 array', async () => {
    const failed = googleAdsError(429, [adsError('quotaError', 'RESOURCE_TEMPORARILY_EXHAUSTED', 'Too many requests in a short amount of time.')]);
    fake.state.queued.push({
      match: `POST /v26/customers/${store.id}/googleAds:searchStream`,
      status: 200,
      body: [{ results: [], fieldMask: 'segments.date', requestId: 'r1' }, failed.body],
    });
    await expect(connected({ settings: { customerIds: [store.id] } }).sync()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining('(quotaError: RESOURCE_TEMPORARILY_EXHAUSTED)'),
    });
  });

  it('fails the sync on a refusal other than a manager or a cancelled account', async () => {
    fake.state.queued.push({
      match: `POST /v26/customers/${store.id}/googleAds:searchStream`,
      ...googleAdsError(400, [adsError('queryError', 'UNRECOGNIZED_FIELD', "Unrecognized field in the query: 'metrics.cost'.")]),
    });
    await expect(connected({ settings: { customerIds: [store.id] } }).sync()).rejects.toMatchObject({
      code: 'provider_rejected',
      reason: 'UNRECOGNIZED_FIELD',
    });
  });
});
