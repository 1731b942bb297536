import { jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { PLAID_PUBLISHED_WEBHOOK, PLAID_TEST_CLIENT, startFakePlaid, type FakePlaid } from '../fixtures/providers/plaid.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const KEYS = { clientId: PLAID_TEST_CLIENT.clientId, secret: PLAID_TEST_CLIENT.secret };
const SANDBOX = { environment: 'sandbox' };

let plugin: PluginDefinition;
let plaid: Json;
let fake: FakePlaid;

beforeAll(async () => {
  plugin = await loadBundledPlugin('plaid');
  plaid = plugin.providers[0];
  fake = await startFakePlaid();
});
afterAll(() => fake.close());
afterEach(() => jest.restoreAllMocks());

interface Options {
  credentials?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  integration?: Record<string, unknown>;
}
const harness = ({ credentials = KEYS, settings = { clientName: 'Creator Payouts' }, metadata = SANDBOX, integration = {} }: Options = {}) =>
  createHarness(plugin, { credentials, settings, integration: { metadata, ...integration }, http: forwardTo(fake.origins) });
const since = (count: number) => fake.state.requests.slice(count);

/** An end user's Item, linked in the Sandbox and exchanged: the connection's credentials once stored. */
async function linkedItem() {
  const publicToken = fake.state.createPublicToken({ products: ['auth'] });
  const h = harness();
  const exchanged = await h.action<Json>('exchangePublicToken', { publicToken });
  const credentials = { ...KEYS, ...h.storedCredentials };
  return { exchanged, credentials, item: fake.state.item(exchanged.itemId)! };
}

describe('plaid plugin: declaration', () => {
  it('declares a payment provider keyed by client id and secret headers, pinned to an environment and API version', () => {
    expect(plaid).toMatchObject({
      id: 'plaid',
      category: 'payment',
      baseUrl: 'https://{environment}.plaid.com',
      auth: { type: 'api_key', apply: { headers: { 'PLAID-CLIENT-ID': '{clientId}', 'PLAID-SECRET': '{secret}', 'Plaid-Version': '2020-09-14' } } },
      connectionInputs: { required: ['environment'], properties: { environment: { enum: ['sandbox', 'production'] } } },
    });
    for (const field of ['clientId', 'secret', 'accessToken']) expect(plaid.auth.credentialsSchema.properties[field].secret).toBe(true);
    expect(plaid.auth.credentialsSchema.required).toEqual(['clientId', 'secret']);
    expect(plaid.rateLimits).toContainEqual({ requests: 15, windowMs: 60_000, scope: 'connection', match: ['POST /auth/get'] });
    expect(plaid.rateLimits).toContainEqual({ requests: 12_000, windowMs: 60_000, scope: 'account', accountKey: 'clientKey', match: ['POST /auth/get'] });
    expect(Object.keys(plaid.actions)).toEqual(['createLinkToken', 'exchangePublicToken', 'getAuth', 'getAccounts']);
  });

  it('refuses inputs, credentials and settings outside the schemas', () => {
    const ajv = createSchemaCompiler();
    const input = (name: string) => ajv.compile(plaid.actions[name].inputSchema);
    expect(input('createLinkToken')({ userId: 'creator_42', products: ['auth', 'identity'], countryCodes: ['US', 'CA'], language: 'fr' })).toBe(true);
    expect(input('createLinkToken')({})).toBe(false);
    expect(input('createLinkToken')({ userId: 'ana@example.com' })).toBe(false); // no PII as client_user_id
    expect(input('createLinkToken')({ userId: 'u1', products: ['balance'] })).toBe(false);
    expect(input('createLinkToken')({ userId: 'u1', products: [] })).toBe(false);
    expect(input('createLinkToken')({ userId: 'u1', redirectUri: 'https://app.example.com/oauth?x=1' })).toBe(false);
    expect(input('createLinkToken')({ userId: 'u1', webhook: 'http://app.example.com/hook' })).toBe(false);
    expect(input('createLinkToken')({ userId: 'u1', countryCodes: ['JP'] })).toBe(false);
    expect(input('createLinkToken')({ userId: 'u1', clientName: 'x'.repeat(31) })).toBe(false);
    expect(input('createLinkToken')({ userId: 'u1', extra: true })).toBe(false);
    expect(input('exchangePublicToken')({ publicToken: 'public-sandbox-b0e2c4ee-a763-4df5-bfe9-46a46bce993d' })).toBe(true);
    expect(input('exchangePublicToken')({ publicToken: 'access-sandbox-b0e2c4ee-a763-4df5-bfe9-46a46bce993d' })).toBe(false);
    expect(input('getAuth')({ accountIds: ['BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp'], includeFullAccountNumbers: false })).toBe(true);
    expect(input('getAuth')({ accountIds: [] })).toBe(false);
    expect(input('getAccounts')({ accountIds: ['has space'] })).toBe(false);
    const credentials = ajv.compile(plaid.auth.credentialsSchema);
    expect(credentials(KEYS)).toBe(true);
    expect(credentials({ ...KEYS, accessToken: 'access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6', itemId: 'M5eVJqLnv3tbzdngLDp9FL5OlDNxlNhlE55op' })).toBe(
      true,
    );
    expect(credentials({ ...KEYS, itemId: 'M5eVJqLnv3tbzdngLDp9FL5OlDNxlNhlE55op' })).toBe(false); // an item id without its token
    expect(credentials({ ...KEYS, accessToken: 'public-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6' })).toBe(false);
    expect(credentials({ clientId: KEYS.clientId })).toBe(false);
    expect(ajv.compile(plaid.connectionInputs)({ environment: 'development' })).toBe(false);
    expect(ajv.compile(plaid.connectionInputs)({ environment: 'sandbox', host: 'evil.example.com' })).toBe(false);
    const settings = ajv.compile(plaid.settingsSchema);
    expect(
      settings({ clientName: 'Creator Payouts', countryCodes: ['US'], webhookUrl: 'https://plugboard.example.com/v1/hooks/1', allowFullAccountNumbers: true }),
    ).toBe(true);
    expect(settings({ webhookUrl: 'http://plugboard.example.com/v1/hooks/1' })).toBe(false);
  });
});

describe('plaid plugin: connection', () => {
  it('verifies the keys alone with /institutions/get, sending them as headers with the API version', async () => {
    const before = fake.state.requests.length;
    const verified = await harness().verify();
    expect(verified).toEqual({
      displayName: 'Plaid sandbox (no bank linked yet)',
      metadata: { environment: 'sandbox', clientKey: expect.stringMatching(/^[0-9a-f]{24}$/), itemId: null },
    });
    expect(JSON.stringify(verified)).not.toContain(KEYS.clientId);
    const [sent] = since(before);
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/institutions/get',
      body: { count: 1, offset: 0, country_codes: ['US'] },
      headers: expect.objectContaining({ 'plaid-client-id': KEYS.clientId, 'plaid-secret': KEYS.secret, 'plaid-version': '2020-09-14' }),
    });
    expect(sent.rawBody).not.toContain(KEYS.secret);
  });

  it('verifies a linked Item with /item/get and names its bank', async () => {
    const { credentials, item } = await linkedItem();
    const before = fake.state.requests.length;
    await expect(harness({ credentials }).verify()).resolves.toEqual({
      displayName: `Plaid sandbox: First Platypus Bank (Item …${item.item_id.slice(-6)})`,
      metadata: expect.objectContaining({
        environment: 'sandbox',
        itemId: item.item_id,
        institutionId: 'ins_109508',
        institutionName: 'First Platypus Bank',
        itemError: null,
      }),
    });
    expect(since(before)).toEqual([expect.objectContaining({ path: '/item/get', body: { access_token: item.access_token } })]);
    await expect(harness({ credentials: { ...credentials, itemId: 'SomeOtherItem000000000000000000000000' } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining(`belongs to Plaid Item ${item.item_id}`),
    });
    await harness({ credentials }).healthCheck();
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/item/get' });
  });

  it('turns INVALID_API_KEYS into a refusal with Plaid’s message and what to do, and refuses a missing environment', async () => {
    await expect(harness({ credentials: { clientId: KEYS.clientId, secret: 'ffffffffffffffffffffffffffffff' } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Plaid INVALID_INPUT INVALID_API_KEYS: invalid client_id or secret provided — check the client ID .*\(request_id \w+\)$/),
    });
    await expect(harness({ metadata: {} }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('No Plaid environment'),
    });
  });

  it('reads RATE_LIMIT_EXCEEDED as a rate limit', async () => {
    const { credentials } = await linkedItem();
    fake.state.throttle.set('/auth/get', 1);
    await expect(harness({ credentials }).action('getAuth', {})).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining('RATE_LIMIT_EXCEEDED AUTH_LIMIT'),
    });
  });
});

describe('plaid plugin: linking an end user’s bank', () => {
  it('creates a Link token for the end user with the settings’ name, language, countries and webhook', async () => {
    const before = fake.state.requests.length;
    const settings = { clientName: 'Creator Payouts', language: 'en', countryCodes: ['US', 'CA'], webhookUrl: 'https://plugboard.example.com/v1/hooks/c0ffee' };
    const created = await harness({ settings }).action<Json>('createLinkToken', {
      userId: 'creator_42',
      products: ['auth', 'identity'],
      redirectUri: 'https://app.example.com/plaid-oauth',
    });
    expect(created).toEqual({ linkToken: expect.stringMatching(/^link-sandbox-/), expiration: expect.stringMatching(/Z$/), requestId: expect.any(String) });
    expect(since(before)[0]).toMatchObject({
      path: '/link/token/create',
      body: {
        client_name: 'Creator Payouts',
        language: 'en',
        country_codes: ['US', 'CA'],
        user: { client_user_id: 'creator_42' },
        products: ['auth', 'identity'],
        webhook: 'https://plugboard.example.com/v1/hooks/c0ffee',
        redirect_uri: 'https://app.example.com/plaid-oauth',
      },
    });
    expect(Date.parse(created.expiration) - Date.now()).toBeGreaterThan(3.9 * 3600_000);
    await expect(harness({ settings: {} }).action('createLinkToken', { userId: 'creator_42' })).rejects.toMatchObject({
      message: expect.stringContaining('clientName'),
    });
  });

  it('exchanges the public token once and keeps the access token in the credentials, never in its answer; refuses a used token with Plaid’s message', async () => {
    const publicToken = fake.state.createPublicToken();
    const before = fake.state.requests.length;
    const h = harness();
    const exchanged = await h.action<Json>('exchangePublicToken', { publicToken });
    const item = fake.state.item(exchanged.itemId)!;
    expect(exchanged).toEqual({ itemId: item.item_id, requestId: expect.any(String) });
    expect(h.storedCredentials).toEqual({ accessToken: item.access_token, itemId: item.item_id });
    expect(JSON.stringify(exchanged)).not.toContain(item.access_token);
    expect(since(before)).toEqual([expect.objectContaining({ path: '/item/public_token/exchange', body: { public_token: publicToken } })]);
    await expect(harness().action('exchangePublicToken', { publicToken })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('INVALID_PUBLIC_TOKEN: provided public token is expired'),
    });
    // A connection holds one Item: no second exchange, no second Link session for a new bank.
    const credentials = { ...KEYS, accessToken: item.access_token, itemId: item.item_id };
    await expect(harness({ credentials }).action('exchangePublicToken', { publicToken: fake.state.createPublicToken() })).rejects.toMatchObject({
      code: 'provider_rejected',
    });
    await expect(harness({ credentials }).action('createLinkToken', { userId: 'creator_42' })).rejects.toMatchObject({
      message: expect.stringContaining('update: true'),
    });
    await expect(harness().action('exchangePublicToken', { publicToken: 'public-production-b0e2c4ee-a763-4df5-bfe9-46a46bce993d' })).rejects.toMatchObject({
      message: expect.stringContaining('not one of Plaid sandbox'),
    });
  });

  it('fails rather than answer the access token on a host that cannot keep it', async () => {
    const h = harness();
    const { storeCredentials: _none, ...ctx } = { ...h.context(), storeCredentials: undefined };
    await expect(h.provider.actions!.exchangePublicToken.run(ctx, { publicToken: fake.state.createPublicToken() })).rejects.toThrow(/storeCredentials/);
  });

  it('starts update mode for a broken Item with its access token and no products', async () => {
    const { credentials, item } = await linkedItem();
    fake.state.breakItem(item.access_token);
    await expect(harness({ credentials }).action('getAccounts', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('ITEM_ERROR ITEM_LOGIN_REQUIRED'),
    });
    const before = fake.state.requests.length;
    await harness({ credentials }).action('createLinkToken', { userId: 'creator_42', update: true });
    const sent = since(before)[0].body as Json;
    expect(sent.access_token).toBe(item.access_token);
    expect(sent.products).toBeUndefined();
  });
});

describe('plaid plugin: accounts and Auth numbers', () => {
  it('reads accounts with balances in minor units', async () => {
    const { credentials, item } = await linkedItem();
    const result = await harness({ credentials }).action<Json>('getAccounts', {});
    expect(result.item).toEqual({ itemId: item.item_id, institutionId: 'ins_109508', institutionName: 'First Platypus Bank', error: null });
    expect(result.accounts).toEqual([
      expect.objectContaining({
        id: item.accounts[0].account_id,
        name: 'Plaid Checking',
        mask: '0000',
        subtype: 'checking',
        balances: { available: 10_000, current: 11_000, limit: null, currency: 'USD', unofficialCurrency: null },
      }),
      expect.objectContaining({ id: item.accounts[1].account_id, mask: '1111', balances: expect.objectContaining({ available: 20_055, current: 21_001 }) }),
    ]);
  });

  it('masks account numbers to their last 4 digits, and reveals them only when the setting and the input both ask', async () => {
    const { credentials, item } = await linkedItem();
    const before = fake.state.requests.length;
    const auth = await harness({ credentials }).action<Json>('getAuth', { accountIds: [item.accounts[0].account_id] });
    expect(since(before)[0].body).toEqual({ access_token: item.access_token, options: { account_ids: [item.accounts[0].account_id] } });
    expect(auth.masked).toBe(true);
    expect(auth.numbers.ach).toEqual([
      { accountId: item.accounts[0].account_id, account: '••••0000', routing: '011401533', wireRouting: '021000021', tokenized: false },
    ]);
    expect(JSON.stringify(auth)).not.toContain('1111222233330000');
    expect(JSON.stringify(auth)).not.toContain(item.access_token);

    await expect(harness({ credentials }).action('getAuth', { includeFullAccountNumbers: true })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('allowFullAccountNumbers'),
    });
    const full = await harness({ credentials, settings: { allowFullAccountNumbers: true } }).action<Json>('getAuth', { includeFullAccountNumbers: true });
    expect(full.masked).toBe(false);
    expect(full.numbers.ach.map((entry: Json) => entry.account)).toEqual(['1111222233330000', '1111222233331111']);

    await expect(harness({ credentials }).action('getAuth', { accountIds: ['NotAnAccountOfThisItem00000000000000'] })).rejects.toMatchObject({
      message: expect.stringContaining('INVALID_ACCOUNT_ID'),
    });
    await expect(harness().action('getAuth', {})).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('no linked bank yet') });
  });
});

describe('plaid plugin: webhooks', () => {
  const delivery = (rawBody: string, jwt: string) => ({ headers: { 'Plaid-Verification': jwt, 'Content-Type': 'application/json' }, rawBody });
  const verifiedBody = (itemId: string, accountId: string) =>
    JSON.stringify({ account_id: accountId, environment: 'sandbox', item_id: itemId, webhook_code: 'AUTOMATICALLY_VERIFIED', webhook_type: 'AUTH' }, null, 2);

  it('verifies the webhook Plaid signed (published key and body) at its time, and nothing a minute past 5 minutes', async () => {
    const metadata = { environment: 'production' };
    const { jwt, body, iat } = PLAID_PUBLISHED_WEBHOOK;
    const production = await startFakePlaid({ environment: 'production' });
    try {
      const h = () => createHarness(plugin, { credentials: KEYS, integration: { metadata }, http: forwardTo(production.origins) });
      jest.spyOn(Date, 'now').mockReturnValue((iat + 30) * 1000);
      await expect(h().webhookVerify(delivery(body, jwt))).resolves.toBe(true);
      expect(production.state.requests.at(-1)).toMatchObject({ path: '/webhook_verification_key/get', body: { key_id: PLAID_PUBLISHED_WEBHOOK.key.kid } });
      await expect(h().webhookVerify(delivery(`${body}\n`, jwt))).resolves.toBe(false); // one byte more
      await expect(h().webhookVerify(delivery(body.replace('390', '391'), jwt))).resolves.toBe(false);
      const tampered = jwt.slice(0, -3) + (jwt.endsWith('cwQ') ? 'cwA' : 'cwQ');
      await expect(h().webhookVerify(delivery(body, tampered))).resolves.toBe(false);
      jest.spyOn(Date, 'now').mockReturnValue((iat + 6 * 60) * 1000);
      await expect(h().webhookVerify(delivery(body, jwt))).resolves.toBe(false);
    } finally {
      await production.close();
    }
  });

  it('maps AUTOMATICALLY_VERIFIED to bank_account.verified after checking the fake’s ES256 signature, and caches the key', async () => {
    const { credentials, item } = await linkedItem();
    const body = verifiedBody(item.item_id, item.accounts[0].account_id);
    const jwt = fake.state.signWebhook(body);
    const h = harness({ credentials, integration: { endUserId: 'creator_42' } });
    await expect(h.webhookVerify(delivery(body, jwt))).resolves.toBe(true);
    await expect(h.webhookVerify(delivery(body, fake.state.signWebhook(body)))).resolves.toBe(true);
    expect(
      fake.state.requests.filter((request) => request.path === '/webhook_verification_key/get' && (request.body as Json).key_id === fake.state.kid),
    ).toHaveLength(1);
    await expect(h.webhookToEvents(delivery(body, jwt))).resolves.toEqual([
      {
        event: 'bank_account.verified',
        data: {
          provider: 'plaid',
          itemId: item.item_id,
          accountIds: [item.accounts[0].account_id],
          endUserId: 'creator_42',
          verificationStatus: 'automatically_verified',
        },
      },
    ]);
  });

  it('refuses unsigned, stale, foreign-key, wrong-algorithm, unknown-kid and other-Item webhooks', async () => {
    const { credentials, item } = await linkedItem();
    const body = verifiedBody(item.item_id, item.accounts[0].account_id);
    const h = harness({ credentials });
    const now = Math.floor(Date.now() / 1000);
    await expect(h.webhookVerify({ rawBody: body })).resolves.toBe(false);
    await expect(h.webhookVerify(delivery(body, fake.state.signWebhook(body, { iat: now - 301 })))).resolves.toBe(false);
    await expect(h.webhookVerify(delivery(body, fake.state.signWebhook(body, { iat: now + 600 })))).resolves.toBe(false);
    await expect(
      h.webhookVerify(delivery(body, fake.state.signWebhook(body, { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }))),
    ).resolves.toBe(false);
    await expect(h.webhookVerify(delivery(body, fake.state.signWebhook(body, { alg: 'HS256' })))).resolves.toBe(false);
    const before = fake.state.requests.length;
    await expect(h.webhookVerify(delivery(body, fake.state.signWebhook(body, { kid: '00000000-0000-4000-8000-00000000dead' })))).resolves.toBe(false);
    expect(since(before)).toEqual([expect.objectContaining({ path: '/webhook_verification_key/get' })]);
    const other = verifiedBody('AnotherItemOfAnotherEndUser0000000000', item.accounts[0].account_id);
    await expect(h.webhookVerify(delivery(other, fake.state.signWebhook(other)))).resolves.toBe(false);
    const production = JSON.stringify({ ...JSON.parse(body), environment: 'production' });
    await expect(h.webhookVerify(delivery(production, fake.state.signWebhook(production)))).resolves.toBe(false);
  });

  it('acknowledges expiry, changed numbers and Item errors without events, logging them', async () => {
    const h = harness();
    const events = async (payload: Json) => h.webhookToEvents({ rawBody: JSON.stringify(payload, null, 2) });
    await expect(
      events({ webhook_type: 'AUTH', webhook_code: 'VERIFICATION_EXPIRED', item_id: 'I1', account_id: 'A1', environment: 'sandbox' }),
    ).resolves.toEqual([]);
    await expect(
      events({
        webhook_type: 'AUTH',
        webhook_code: 'DEFAULT_UPDATE',
        item_id: 'I1',
        account_ids_with_new_auth: [],
        account_ids_with_updated_auth: { A1: ['ACCOUNT_NUMBER'] },
        error: null,
      }),
    ).resolves.toEqual([]);
    await expect(
      events({ webhook_type: 'ITEM', webhook_code: 'ERROR', item_id: 'I1', error: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED' } }),
    ).resolves.toEqual([]);
    expect(h.logs.map((line) => [line.level, line.fields])).toEqual([
      ['warn', { itemId: 'I1', accountId: 'A1', code: 'VERIFICATION_EXPIRED' }],
      ['warn', { itemId: 'I1', accountIds: ['A1'] }],
      ['warn', { itemId: 'I1', errorCode: 'ITEM_LOGIN_REQUIRED' }],
    ]);
    await expect(
      events({ webhook_type: 'AUTH', webhook_code: 'SMS_MICRODEPOSITS_VERIFICATION', status: 'MANUALLY_VERIFIED', item_id: 'I1', account_id: 'A1' }),
    ).resolves.toEqual([
      { event: 'bank_account.verified', data: { provider: 'plaid', itemId: 'I1', accountIds: ['A1'], verificationStatus: 'manually_verified' } },
    ]);
  });
});
