import { GA4_API_SECRET, GA4_MEASUREMENT_ID, startFakeGa4, type FakeGa4 } from '../fixtures/providers/ga4.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let ga4: Json;
let fake: FakeGa4;

beforeAll(async () => {
  plugin = await loadBundledPlugin('ga4');
  ga4 = plugin.providers[0];
  fake = await startFakeGa4();
});
afterAll(() => fake.close());

const harness = (apiSecret = GA4_API_SECRET, measurementId = GA4_MEASUREMENT_ID) =>
  createHarness(plugin, { provider: 'ga4', credentials: { apiSecret }, integration: { metadata: { measurementId } }, http: forwardTo(fake.origins) });

const last = () => fake.state.requests.at(-1)!;
const event = (type: string, data: Record<string, unknown>): PlugboardEvent => ({
  id: `evt_${type}`,
  event: type,
  timestamp: new Date(Date.now() - 60_000).toISOString(),
  accountId: 'acct_test',
  livemode: false,
  data,
});

describe('ga4 plugin', () => {
  it('declares an analytics provider: the API secret a secret credential, the measurement id a plain connection input', () => {
    expect(ga4).toMatchObject({ id: 'ga4', category: 'analytics', baseUrl: 'https://www.google-analytics.com', auth: { type: 'api_key' } });
    expect(ga4.auth.credentialsSchema.properties.apiSecret.secret).toBe(true);
    expect(ga4.auth.apply).toEqual({ query: { api_secret: '{apiSecret}' } });
    const inputs = createSchemaCompiler().compile(ga4.connectionInputs);
    expect(inputs({ measurementId: GA4_MEASUREMENT_ID })).toBe(true);
    expect(inputs({ measurementId: 'UA-12345-1' })).toBe(false);
    expect(inputs({ measurementId: 'https://evil.test' })).toBe(false);
    expect(ga4.rateLimits).toBeUndefined();
  });

  it('verifies by sending a sample event to the validation server, never to collect', async () => {
    const result = await harness().verify();
    expect(result).toEqual({
      displayName: `Google Analytics 4 (${GA4_MEASUREMENT_ID})`,
      metadata: { measurementId: GA4_MEASUREMENT_ID, apiSecretChecked: false },
    });
    expect(last()).toMatchObject({ method: 'POST', path: '/debug/mp/collect', query: { measurement_id: GA4_MEASUREMENT_ID, api_secret: GA4_API_SECRET } });
    expect((last().body as Json).events).toEqual([{ name: 'plugboard_connection_test', params: {} }]);
    expect(fake.state.collected).toHaveLength(0);
    await harness().healthCheck();
    expect(last().path).toBe('/debug/mp/collect');
  });

  it('refuses credentials only when the validation server reports a problem', async () => {
    await expect(harness(GA4_API_SECRET, 'g-lowercase').verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('measurement_id: Measurement ID [g-lowercase] is not a valid measurement ID. (VALUE_INVALID)'),
    });
    // Google's validation server does not check the API secret: a wrong one verifies.
    await expect(harness('wrong-secret-123').verify()).resolves.toMatchObject({ metadata: { apiSecretChecked: false } });
  });

  it('sends events to /mp/collect, which answers 204', async () => {
    const result = await harness().action<Json>('sendEvent', {
      clientId: '1234567890.1700000000',
      userId: 'user_42',
      userProperties: { plan: 'pro' },
      events: [
        { name: 'tutorial_begin', params: { step: 1 } },
        { name: 'join_group', params: { group_id: 'g1' } },
      ],
    });
    expect(result).toEqual({ sent: true, eventCount: 2 });
    expect(last()).toMatchObject({ method: 'POST', path: '/mp/collect', query: { measurement_id: GA4_MEASUREMENT_ID, api_secret: GA4_API_SECRET } });
    expect(last().body).toEqual({
      client_id: '1234567890.1700000000',
      user_id: 'user_42',
      user_properties: { plan: { value: 'pro' } },
      events: [
        { name: 'tutorial_begin', params: { step: 1 } },
        { name: 'join_group', params: { group_id: 'g1' } },
      ],
    });
    expect(fake.state.collected.slice(-2).map((item) => item.name)).toEqual(['tutorial_begin', 'join_group']);
  });

  it('refuses before sending what GA4 would silently drop: reserved names, too many events, long values', async () => {
    const before = fake.state.requests.length;
    await expect(harness().action('sendEvent', { clientId: 'c.1', events: [{ name: 'session_start' }] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('"session_start" is reserved'),
    });
    await expect(harness().action('sendEvent', { clientId: 'c.1', events: [{ name: 'ga_custom' }] })).rejects.toMatchObject({
      message: expect.stringContaining('reserved'),
    });
    await expect(
      harness().action('sendEvent', { clientId: 'c.1', events: Array.from({ length: 26 }, (_, index) => ({ name: `e${index}` })) }),
    ).rejects.toMatchObject({ message: expect.stringContaining('at most 25 events (26 given)') });
    await expect(harness().action('sendEvent', { clientId: 'c.1', events: [{ name: 'x', params: { note: 'a'.repeat(101) } }] })).rejects.toMatchObject({
      message: expect.stringContaining('longer than 100 characters'),
    });
    expect(fake.state.requests.length).toBe(before);
  });

  it('the real collect endpoint answers 204 even to bad input (the fake drops it)', async () => {
    const response = await fetch(`${fake.url}/mp/collect?measurement_id=${GA4_MEASUREMENT_ID}&api_secret=nope`, {
      method: 'POST',
      body: JSON.stringify({ client_id: 'c', events: [{ name: '_bad' }] }),
    });
    expect(response.status).toBe(204);
    expect(fake.state.dropped.at(-1)).toMatchObject({ reason: 'wrong api_secret' });
  });

  it('validateOnly answers the validation server’s messages', async () => {
    const result = await harness().action<Json>('sendEvent', { clientId: 'c.1', validateOnly: true, events: [{ name: 'purchase', params: { value: 5 } }] });
    expect(result).toEqual({
      sent: false,
      eventCount: 1,
      validationMessages: [{ fieldPath: 'events[0].params.currency', description: 'Currency is required if value is set.', validationCode: 'VALUE_REQUIRED' }],
    });
    expect(last().path).toBe('/debug/mp/collect');
  });

  it('refuses by schema bad names, too many events and extra fields', () => {
    const validate = createSchemaCompiler().compile(ga4.actions.sendEvent.inputSchema);
    expect(validate({ clientId: 'c', events: [{ name: 'ok_name', params: { a: 1 } }] })).toBe(true);
    expect(validate({ clientId: 'c', events: [{ name: '1bad' }] })).toBe(false);
    expect(validate({ clientId: 'c', events: [] })).toBe(false);
    expect(validate({ clientId: 'c', events: Array.from({ length: 26 }, () => ({ name: 'e' })) })).toBe(false);
    expect(validate({ clientId: 'c', events: [{ name: 'e' }], extra: true })).toBe(false);
  });

  it('sends a purchase for a paid order with value in major units, currency and transaction_id', async () => {
    const h = harness();
    await ga4.onEvent['order.paid'](
      h.context(),
      event('order.paid', {
        orderId: 'ord_7',
        provider: 'shopify',
        email: 'ana@example.com',
        totalAmount: 12345,
        currency: 'BHD',
        lineItems: [{ productId: 'p1', title: 'Ticket', quantity: 2 }],
      }),
    );
    const sent = last().body as Json;
    expect(last().path).toBe('/mp/collect');
    expect(sent.events).toEqual([
      {
        name: 'purchase',
        params: {
          transaction_id: 'ord_7',
          value: 12.345,
          currency: 'BHD',
          affiliation: 'shopify',
          items: [{ item_id: 'p1', item_name: 'Ticket', quantity: 2 }],
        },
      },
    ]);
    expect(sent.client_id).toMatch(/^\d+\.\d+$/);
    expect(JSON.stringify(sent)).not.toContain('ana@example.com');
    expect(sent.timestamp_micros).toEqual(expect.any(Number));
    expect(fake.state.collected.at(-1)).toMatchObject({ name: 'purchase', params: { value: 12.345 } });
  });

  it('sends sign_up for a registration, with the same client id for the same person', async () => {
    const h = harness();
    await ga4.onEvent['registration.received'](
      h.context(),
      event('registration.received', { registrationId: 'reg_7', sessionId: 'sess_9', email: 'ana@example.com' }),
    );
    const sent = last().body as Json;
    expect(sent.events).toEqual([{ name: 'sign_up', params: { method: 'registration', registration_id: 'reg_7', event_session_id: 'sess_9' } }]);
    const purchase = fake.state.requests.filter((request) => request.path === '/mp/collect' && (request.body as Json).events[0].name === 'purchase').at(-1)!;
    expect(sent.client_id).toBe((purchase.body as Json).client_id);
  });

  it('sends no purchase for an order without an amount', async () => {
    const h = harness();
    const before = fake.state.requests.length;
    await ga4.onEvent['order.paid'](h.context(), event('order.paid', { orderId: 'ord_8', provider: 'shopify' }));
    expect(fake.state.requests.length).toBe(before);
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn' });
  });
});
