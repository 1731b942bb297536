import { KLAVIYO_TEST_KEY, klaviyoKey, startFakeKlaviyo, type FakeKlaviyo } from '../fixtures/providers/klaviyo.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let klaviyo: Json;
let fake: FakeKlaviyo;

beforeAll(async () => {
  plugin = await loadBundledPlugin('klaviyo');
  klaviyo = plugin.providers[0];
  fake = await startFakeKlaviyo();
});
afterAll(() => fake.close());

const harness = (credentials: Record<string, unknown> = { apiKey: KLAVIYO_TEST_KEY }, metadata: Record<string, unknown> = {}) =>
  createHarness(plugin, { provider: 'klaviyo', credentials, http: forwardTo(fake.origins), integration: { metadata: { accountId: 'XyZ123', ...metadata } } });

const event = (type: string, data: Record<string, unknown>): PlugboardEvent => ({
  id: `evt_${type}`,
  event: type,
  timestamp: '2026-03-05T15:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});

const last = () => fake.state.requests.at(-1)!;

describe('klaviyo plugin', () => {
  it('declares a marketing provider with a private key, the public key as a plain connection input, and the revision header', () => {
    expect(klaviyo).toMatchObject({ id: 'klaviyo', category: 'marketing', baseUrl: 'https://a.klaviyo.com/api', auth: { type: 'api_key' } });
    const schema = klaviyo.auth.credentialsSchema;
    expect(schema.properties.apiKey.secret).toBe(true);
    const inputs = createSchemaCompiler().compile(klaviyo.connectionInputs);
    expect(inputs({ publicKey: 'AbC123' })).toBe(true);
    expect(inputs({ publicKey: 'https://evil.test' })).toBe(false);
    expect(klaviyo.auth.apply.headers).toEqual({ Authorization: 'Klaviyo-API-Key {apiKey}', revision: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    const validate = createSchemaCompiler().compile(schema);
    expect(validate({ apiKey: KLAVIYO_TEST_KEY })).toBe(true);
    expect(validate({ apiKey: 'sk_live_123' })).toBe(false);
  });

  it('declares per-endpoint burst and steady limits for the endpoints it calls', () => {
    const limits = klaviyo.rateLimits as Array<{ requests: number; windowMs: number; match: string[]; scope: string }>;
    expect(limits).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ requests: 1, windowMs: 1000, match: ['GET /accounts'] }),
        expect.objectContaining({ requests: 15, windowMs: 60_000, match: ['GET /accounts'] }),
        expect.objectContaining({ requests: 700, windowMs: 60_000, match: ['POST /profile-import'] }),
        expect.objectContaining({ requests: 3500, windowMs: 60_000, match: ['POST /events'] }),
      ]),
    );
    expect(new Set(limits.map((limit) => limit.scope))).toEqual(new Set(['account']));
  });

  it('verifies through GET /accounts with the key and revision header, naming the account', async () => {
    const result = await harness({ apiKey: KLAVIYO_TEST_KEY }, { publicKey: 'AbC123' }).verify();
    expect(result).toEqual({
      displayName: 'Acme Events (Klaviyo)',
      metadata: {
        accountId: 'XyZ123',
        organizationName: 'Acme Events',
        publicKey: 'AbC123',
        timezone: 'America/New_York',
        preferredCurrency: 'USD',
        testAccount: false,
      },
    });
    expect(last()).toMatchObject({ method: 'GET', path: '/api/accounts' });
    expect(last().headers.authorization).toBe(`Klaviyo-API-Key ${KLAVIYO_TEST_KEY}`);
    expect(last().headers.revision).toBe(klaviyo.auth.apply.headers.revision);
    await harness().healthCheck();
    expect(last().path).toBe('/api/accounts');
  });

  it('refuses an unknown key, a key without the scope, and a public key of another account', async () => {
    const unknown = klaviyoKey();
    await expect(harness({ apiKey: unknown }).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: 'Missing or invalid private key.' });
    const limited = klaviyoKey();
    fake.state.keys.set(limited, ['events:write']);
    await expect(harness({ apiKey: limited }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'This API key is missing required scopes: accounts:read.',
    });
    await expect(harness({ apiKey: KLAVIYO_TEST_KEY }, { publicKey: 'Zzz999' }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('public key does not belong'),
    });
  });

  it('the fake refuses a request without the revision header, as Klaviyo does', async () => {
    const response = await fetch(`${fake.url}/api/accounts`, { headers: { authorization: `Klaviyo-API-Key ${KLAVIYO_TEST_KEY}` } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).errors[0]).toMatchObject({ status: 400, code: 'invalid', source: { pointer: '/headers/revision' } });
  });

  it('creates, then updates, a profile through /profile-import', async () => {
    const created = await harness().action<Json>('upsertProfile', { email: 'Ana@Example.com', firstName: 'Ana', properties: { plan: 'pro' } });
    const stored = fake.state.profiles.get('ana@example.com')!;
    expect(created).toEqual({ id: stored.id, email: 'ana@example.com', created: true });
    expect(last().body).toEqual({ data: { type: 'profile', attributes: { email: 'Ana@Example.com', first_name: 'Ana', properties: { plan: 'pro' } } } });
    expect(last().headers['content-type']).toContain('application/vnd.api+json');
    const updated = await harness().action<Json>('upsertProfile', { email: 'ana@example.com', properties: { seats: 3 } });
    expect(updated).toEqual({ id: stored.id, email: 'ana@example.com', created: false });
    expect(fake.state.profiles.get('ana@example.com')!.attributes).toMatchObject({ first_name: 'Ana', properties: { plan: 'pro', seats: 3 } });
  });

  it('passes Klaviyo’s JSON:API refusal on with its detail and field', async () => {
    await expect(harness().action('upsertProfile', { email: 'bo@example.com', phoneNumber: '+0123' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Invalid phone number format (Example of a valid format: +12345678901) (/data/attributes/phone_number)',
    });
    await expect(harness().action('subscribeToList', { listId: 'NoSuch1', email: 'bo@example.com', consent: true })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'A list with id NoSuch1 does not exist. (/data/relationships/list/data/id)',
    });
  });

  it('subscribes with consent as a bulk subscription job, and refuses without consent without calling Klaviyo', async () => {
    const result = await harness().action<Json>('subscribeToList', {
      listId: 'Y6nRLr',
      email: 'cy@example.com',
      consent: true,
      customSource: 'Webinar signup',
    });
    expect(result).toEqual({ subscribed: true, listId: 'Y6nRLr', email: 'cy@example.com' });
    expect(last()).toMatchObject({ method: 'POST', path: '/api/profile-subscription-bulk-create-jobs' });
    expect(last().body).toEqual({
      data: {
        type: 'profile-subscription-bulk-create-job',
        attributes: {
          custom_source: 'Webinar signup',
          profiles: {
            data: [{ type: 'profile', attributes: { email: 'cy@example.com', subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } } } }],
          },
        },
        relationships: { list: { data: { type: 'list', id: 'Y6nRLr' } } },
      },
    });
    const profile = fake.state.profiles.get('cy@example.com')!;
    expect(profile.consent).toBe('SUBSCRIBED');
    expect([...profile.lists]).toEqual(['Y6nRLr']);

    const before = fake.state.requests.length;
    await expect(harness().action('subscribeToList', { listId: 'Y6nRLr', email: 'di@example.com', consent: false })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('consent'),
    });
    expect(fake.state.requests.length).toBe(before);
    expect(fake.state.profiles.has('di@example.com')).toBe(false);
  });

  it('creates an event with the metric by name, the profile by email, and money in major units', async () => {
    const result = await harness().action<Json>('createEvent', {
      metric: 'Bought Ticket',
      email: 'ana@example.com',
      amount: 1999,
      currency: 'KWD',
      uniqueId: 'tkt_1',
      properties: { tier: 'vip' },
    });
    expect(result).toEqual({ accepted: true, metric: 'Bought Ticket', email: 'ana@example.com', value: 1.999, uniqueId: 'tkt_1' });
    expect(last().body).toEqual({
      data: {
        type: 'event',
        attributes: {
          properties: { tier: 'vip', currency: 'KWD' },
          metric: { data: { type: 'metric', attributes: { name: 'Bought Ticket' } } },
          profile: { data: { type: 'profile', attributes: { email: 'ana@example.com' } } },
          value: 1.999,
          unique_id: 'tkt_1',
        },
      },
    });
    await harness().action('createEvent', { metric: 'Bought Ticket', email: 'bo@example.com', amount: 500, currency: 'JPY' });
    expect(fake.state.events.at(-1)).toMatchObject({ email: 'bo@example.com', value: 500, properties: { currency: 'JPY' } });
    await harness().action('createEvent', { metric: 'Scored', email: 'bo@example.com', value: 7.5 });
    expect(fake.state.events.at(-1)).toMatchObject({ metric: 'Scored', value: 7.5, properties: {} });
  });

  it('refuses by schema an amount without currency, extra fields, and a bad email', () => {
    const validate = createSchemaCompiler().compile(klaviyo.actions.createEvent.inputSchema);
    expect(validate({ metric: 'X', email: 'a@example.com', amount: 100, currency: 'USD' })).toBe(true);
    expect(validate({ metric: 'X', email: 'a@example.com', amount: 100 })).toBe(false);
    expect(validate({ metric: 'X', email: 'a@example.com', extra: 1 })).toBe(false);
    expect(validate({ metric: 'X', email: 'nope' })).toBe(false);
    const subscribe = createSchemaCompiler().compile(klaviyo.actions.subscribeToList.inputSchema);
    expect(subscribe({ listId: 'Y6nRLr', email: 'a@example.com' })).toBe(false);
  });

  it('records Registered and Attended on the person’s profile', async () => {
    const h = harness();
    await klaviyo.onEvent['registration.received'](
      h.context(),
      event('registration.received', { registrationId: 'reg_7', sessionId: 'sess_9', email: 'eve@example.com', name: 'Eve  da Silva' }),
    );
    expect(fake.state.events.at(-1)).toMatchObject({
      metric: 'Registered',
      email: 'eve@example.com',
      uniqueId: 'reg_7',
      time: '2026-03-05T15:00:00Z',
      properties: { RegistrationId: 'reg_7', SessionId: 'sess_9' },
    });
    expect((last().body as Json).data.attributes.profile.data.attributes).toEqual({ email: 'eve@example.com', first_name: 'Eve', last_name: 'da Silva' });
    await klaviyo.onEvent['participant.joined'](
      h.context(),
      event('participant.joined', { participantId: 'p_1', sessionId: 'sess_9', roomId: 'room_1', email: 'eve@example.com', joinedAt: '2026-03-06T10:00:00Z' }),
    );
    expect(fake.state.events.at(-1)).toMatchObject({ metric: 'Attended', email: 'eve@example.com', uniqueId: 'sess_9:p_1', time: '2026-03-06T10:00:00Z' });
  });

  it('records Placed Order once per order with its value in major units and its currency', async () => {
    const h = harness();
    const order = {
      orderId: 'ord_42',
      provider: 'shopify',
      orderNumber: '#1042',
      email: 'fay@example.com',
      totalAmount: 4900,
      currency: 'USD',
      lineItems: [{ productId: 'p1', title: 'Ticket', quantity: 2 }],
    };
    await klaviyo.onEvent['order.created'](h.context(), event('order.created', order));
    await klaviyo.onEvent['order.paid'](h.context(), event('order.paid', { ...order, financialStatus: 'paid' }));
    const placed = fake.state.events.filter((item) => item.metric === 'Placed Order' && item.email === 'fay@example.com');
    expect(placed).toHaveLength(1);
    expect(placed[0]).toMatchObject({
      value: 49,
      uniqueId: 'ord_42',
      properties: { OrderId: 'ord_42', OrderNumber: '#1042', currency: 'USD', ItemNames: ['Ticket'] },
    });
    expect(
      fake.state.requests.filter((request) => request.path === '/api/events' && (request.body as Json).data.attributes.unique_id === 'ord_42'),
    ).toHaveLength(2);
  });

  it('skips reactions without an email', async () => {
    const h = harness();
    const before = fake.state.requests.length;
    await klaviyo.onEvent['order.paid'](h.context(), event('order.paid', { orderId: 'ord_x', provider: 'shopify', totalAmount: 100, currency: 'USD' }));
    expect(fake.state.requests.length).toBe(before);
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn' });
  });

  it('turns Klaviyo’s 429 into a rate limit with its Retry-After', async () => {
    fake.state.throttle = 3;
    await expect(harness().action('createEvent', { metric: 'X', email: 'a@example.com' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 2,
      message: 'Request was throttled. Expected available in 2 seconds.',
    });
    fake.state.throttle = 0;
  });
});
