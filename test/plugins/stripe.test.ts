import Stripe from 'stripe';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { signStripeWebhook, startFakeStripe, stripeEvent, type FakeStripe } from '../fixtures/providers/stripe.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const SECRET_KEY = 'sk_test_51FakeSecretKeyForPlugboardTests';
const WEBHOOK_SECRET = 'whsec_c2VjcmV0LWZvci10ZXN0cw';

let plugin: PluginDefinition;
let stripe: Json;
let fake: FakeStripe;

beforeAll(async () => {
  plugin = await loadBundledPlugin('stripe');
  stripe = plugin.providers[0];
  fake = await startFakeStripe({ keys: [SECRET_KEY, 'sk_live_51LiveKeyForPlugboardTests'] });
});
afterAll(() => fake.close());

const harness = (credentials: Record<string, unknown> = { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET }) =>
  createHarness(plugin, { provider: 'stripe', credentials, http: forwardTo(fake.origins) });
const action = (name: string, input: unknown, credentials?: Record<string, unknown>) => harness(credentials).action<Json>(name, input);

function webhookRequest(payload: string, signature: string | undefined): { headers: Record<string, string>; rawBody: string; body: unknown } {
  return { headers: signature === undefined ? {} : { 'stripe-signature': signature }, rawBody: payload, body: JSON.parse(payload) };
}

describe('stripe plugin: connection', () => {
  it('declares an API-key provider whose schema accepts secret and restricted keys only', () => {
    expect(stripe).toMatchObject({ id: 'stripe', category: 'payment', auth: { type: 'api_key' }, baseUrl: 'https://api.stripe.com' });
    const pattern = new RegExp(stripe.auth.credentialsSchema.properties.secretKey.pattern);
    expect(pattern.test(SECRET_KEY)).toBe(true);
    expect(pattern.test('rk_live_abc123')).toBe(true);
    expect(pattern.test('pk_test_abc123')).toBe(false);
    expect(pattern.test('sk_prod_abc123')).toBe(false);
    expect(stripe.auth.credentialsSchema.properties.secretKey.secret).toBe(true);
  });

  it('verifies an accepted key with GET /v1/account and reports the account', async () => {
    const result = await harness().verify();
    expect(result).toEqual({
      displayName: 'Acme Events',
      metadata: { stripeAccountId: 'acct_1FakeAccount0001', livemode: false, country: 'US', defaultCurrency: 'usd' },
    });
    const request = fake.state.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'GET', path: '/v1/account' });
    expect(request.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect(request.headers['stripe-version']).toBe('2024-06-20');
  });

  it('marks a live key as livemode', async () => {
    const result = await harness({ secretKey: 'sk_live_51LiveKeyForPlugboardTests' }).verify();
    expect(result.metadata!.livemode).toBe(true);
  });

  it('refuses an unknown key as provider_rejected with Stripe’s reason and none of the key', async () => {
    const refusal = harness({ secretKey: 'sk_test_51ThisKeyWasNeverIssued1234' }).verify();
    await expect(refusal).rejects.toMatchObject({ code: 'provider_rejected', message: 'Invalid API Key provided: sk_test_****' });
    await expect(harness({ secretKey: 'sk_test_51ThisKeyWasNeverIssued1234' }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('refuses a malformed key (no key reaches Stripe) with Stripe’s missing-key message', async () => {
    await expect(harness({}).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('You did not provide an API key') });
  });

  it('reports a Stripe outage as a plain error, not a refusal', async () => {
    fake.state.outage = 500;
    try {
      await expect(harness().verify()).rejects.toThrow('the provider answered 500: An unknown error occurred');
      await expect(harness().verify()).rejects.not.toHaveProperty('code');
    } finally {
      fake.state.outage = null;
    }
  });
});

describe('stripe plugin: actions and sync', () => {
  beforeAll(() => {
    for (let index = 0; index < 230; index += 1) fake.state.addCustomer({ email: `customer${index}@example.com`, name: `Customer ${index}` });
    for (let index = 0; index < 3; index += 1) fake.state.addCharge({ amount: 4900 + index, receiptEmail: `buyer${index}@example.com` });
    fake.state.addCustomer({ email: 'live@example.com', livemode: true });
  });

  it('lists customers with Stripe pagination', async () => {
    const first = await action('listCustomers', { limit: 2 });
    expect(first.customers).toHaveLength(2);
    expect(first.customers[0]).toMatchObject({ id: expect.stringMatching(/^cus_/), email: 'customer229@example.com', livemode: false });
    expect(first.hasMore).toBe(true);
    const second = await action('listCustomers', { limit: 2, startingAfter: first.nextStartingAfter });
    expect(second.customers[0].email).toBe('customer227@example.com');
    expect(fake.state.requests.at(-1)!.query).toEqual({ limit: '2', starting_after: first.nextStartingAfter });
    const byEmail = await action('listCustomers', { email: 'customer7@example.com' });
    expect(byEmail.customers.map((customer: { name: string }) => customer.name)).toEqual(['Customer 7']);
  });

  it('syncs every customer and charge by following has_more with starting_after', async () => {
    const before = fake.state.requests.length;
    const result = (await harness().sync()) as { records: Record<string, Json[]> };
    expect(result.records.customers).toHaveLength(230);
    expect(new Set(result.records.customers.map((customer) => customer.id)).size).toBe(230);
    expect(result.records.customers.some((customer) => customer.email === 'live@example.com')).toBe(false);
    expect(result.records.charges).toHaveLength(3);
    expect(result.records.charges[0]).toMatchObject({ amount: 4902, currency: 'USD', status: 'succeeded', receiptEmail: 'buyer2@example.com' });
    const pages = fake.state.requests.slice(before).filter((request) => request.path === '/v1/customers');
    expect(pages.map((request) => request.query.starting_after === undefined)).toEqual([true, false, false]);
    expect(pages.every((request) => request.query.limit === '100')).toBe(true);
  });

  it('refunds part of a charge, form-encoded, with an idempotency key', async () => {
    const charge = fake.state.addCharge({ amount: 5000 });
    const refund = await action('createRefund', { charge: charge.id, amount: 1500, reason: 'requested_by_customer', metadata: { ticket: 't-1' } });
    expect(refund).toMatchObject({ id: expect.stringMatching(/^re_/), status: 'succeeded', amount: 1500, currency: 'USD', charge: charge.id });
    const request = fake.state.requests.at(-1)!;
    expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(request.body).toEqual({ charge: charge.id, amount: '1500', reason: 'requested_by_customer', 'metadata[ticket]': 't-1' });
    expect(request.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(charge.amount_refunded).toBe(1500);
  });

  it('replays a refund with the same idempotency key instead of refunding twice', async () => {
    const charge = fake.state.addCharge({ amount: 1000 });
    const input = { charge: charge.id, amount: 400, idempotencyKey: 'refund-once' };
    const first = await action('createRefund', input);
    const again = await action('createRefund', input);
    expect(again.id).toBe(first.id);
    expect(charge.amount_refunded).toBe(400);
  });

  it('passes Stripe’s refusal of a refund on as provider_rejected', async () => {
    await expect(action('createRefund', { charge: 'ch_doesnotexist' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "No such charge: 'ch_doesnotexist'",
    });
    const charge = fake.state.addCharge({ amount: 300 });
    await expect(action('createRefund', { charge: charge.id, amount: 301 })).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('creates a Checkout session for a ticket', async () => {
    const session = await action('createCheckoutSession', {
      lineItems: [{ name: 'Launch webinar', unitAmount: 2500, currency: 'EUR', quantity: 2 }],
      successUrl: 'https://example.com/thanks',
      customerEmail: 'ana@example.com',
      clientReferenceId: 'reg_7',
    });
    expect(session).toMatchObject({ id: expect.stringMatching(/^cs_test_/), url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//), amountTotal: 5000, currency: 'EUR' });
    expect(fake.state.requests.at(-1)!.body).toMatchObject({
      mode: 'payment',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '2500',
      'line_items[0][price_data][product_data][name]': 'Launch webinar',
      'line_items[0][quantity]': '2',
    });
  });
});

describe('stripe plugin: inbound webhooks', () => {
  const intent = { id: 'pi_3Fake', object: 'payment_intent', amount: 4900, amount_received: 4900, currency: 'usd', receipt_email: 'ana@example.com', customer: 'cus_1', metadata: { registrationId: 'reg_7' } };
  const payload = JSON.stringify(stripeEvent('payment_intent.succeeded', intent));
  const verify = (request: ReturnType<typeof webhookRequest>, credentials?: Record<string, unknown>) => harness(credentials).webhookVerify(request);
  const toEvents = (request: { headers: Record<string, string>; rawBody: string; body: unknown }) => harness().webhookToEvents(request);

  it('accepts a payload signed like Stripe signs it', async () => {
    expect(await verify(webhookRequest(payload, signStripeWebhook(payload, WEBHOOK_SECRET)))).toBe(true);
  });

  it('agrees with Stripe’s own library: its signed headers verify, and the fake signs byte for byte the same', async () => {
    // Stripe publishes no example with its secret and body, so its official Node library is the independent oracle.
    const timestamp = Math.floor(Date.now() / 1000);
    const header = new Stripe('sk_test_oracle').webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp });
    expect(await verify(webhookRequest(payload, header))).toBe(true);
    expect(signStripeWebhook(payload, WEBHOOK_SECRET, timestamp)).toBe(header);
    const tampered = new Stripe('sk_test_oracle').webhooks.generateTestHeaderString({ payload: payload.replace('4900', '4901'), secret: WEBHOOK_SECRET, timestamp });
    expect(await verify(webhookRequest(payload, tampered))).toBe(false);
  });

  it('accepts any of several v1 signatures while a secret is being rolled', async () => {
    const [timestamp, good] = signStripeWebhook(payload, WEBHOOK_SECRET).split(',');
    const other = signStripeWebhook(payload, 'whsec_old').split(',')[1];
    expect(await verify(webhookRequest(payload, `${timestamp},${other},${good}`))).toBe(true);
  });

  it('refuses a signature made with another secret', async () => {
    expect(await verify(webhookRequest(payload, signStripeWebhook(payload, 'whsec_someoneelse')))).toBe(false);
  });

  it('refuses a timestamp older (or newer) than five minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await verify(webhookRequest(payload, signStripeWebhook(payload, WEBHOOK_SECRET, now - 301)))).toBe(false);
    expect(await verify(webhookRequest(payload, signStripeWebhook(payload, WEBHOOK_SECRET, now + 301)))).toBe(false);
    expect(await verify(webhookRequest(payload, signStripeWebhook(payload, WEBHOOK_SECRET, now - 290)))).toBe(true);
  });

  it('refuses a tampered body', async () => {
    const signature = signStripeWebhook(payload, WEBHOOK_SECRET);
    expect(await verify(webhookRequest(payload.replace('4900', '1'), signature))).toBe(false);
  });

  it('refuses missing or malformed headers, and everything when no signing secret is configured', async () => {
    const signature = signStripeWebhook(payload, WEBHOOK_SECRET);
    expect(await verify(webhookRequest(payload, undefined))).toBe(false);
    expect(await verify(webhookRequest(payload, 'garbage'))).toBe(false);
    expect(await verify(webhookRequest(payload, signature.replace(/v1=\w+/, 'v1=zz')))).toBe(false);
    expect(await verify(webhookRequest(payload, signature.replace(/^t=\d+/, 't=')))).toBe(false);
    expect(await verify(webhookRequest(payload, signature), { secretKey: SECRET_KEY })).toBe(false);
  });

  it('reads the header whatever its case', async () => {
    const request = { headers: { 'Stripe-Signature': signStripeWebhook(payload, WEBHOOK_SECRET) }, rawBody: payload, body: undefined };
    expect(await harness().webhookVerify(request)).toBe(true);
  });

  it('maps payment_intent.succeeded to payment.completed', async () => {
    const event = JSON.parse(payload);
    expect(await toEvents(webhookRequest(payload, undefined))).toEqual([
      {
        event: 'payment.completed',
        data: {
          paymentId: 'pi_3Fake',
          amount: 4900,
          currency: 'USD',
          customerEmail: 'ana@example.com',
          provider: 'stripe',
          stripeEventId: event.id,
          livemode: false,
          stripeCustomerId: 'cus_1',
          metadata: { registrationId: 'reg_7' },
        },
      },
    ]);
  });

  it('maps a paid checkout.session.completed to payment.completed and ignores an unpaid one', async () => {
    const session = {
      id: 'cs_test_1',
      object: 'checkout.session',
      amount_total: 5000,
      currency: 'eur',
      payment_intent: 'pi_3Other',
      payment_status: 'paid',
      customer_details: { email: 'bo@example.com' },
      client_reference_id: 'reg_8',
    };
    const paid = JSON.stringify(stripeEvent('checkout.session.completed', session));
    const [mapped] = await toEvents({ headers: {}, rawBody: paid, body: undefined });
    expect(mapped).toMatchObject({
      event: 'payment.completed',
      data: { paymentId: 'pi_3Other', amount: 5000, currency: 'EUR', customerEmail: 'bo@example.com', checkoutSessionId: 'cs_test_1', clientReferenceId: 'reg_8' },
    });
    const unpaid = JSON.stringify(stripeEvent('checkout.session.completed', { ...session, payment_status: 'unpaid' }));
    expect(await toEvents(webhookRequest(unpaid, undefined))).toEqual([]);
  });

  it('turns other Stripe events and non-JSON bodies into no events', async () => {
    const other = JSON.stringify(stripeEvent('customer.created', { id: 'cus_9' }));
    expect(await toEvents(webhookRequest(other, undefined))).toEqual([]);
    expect(await toEvents({ headers: {}, rawBody: 'not json', body: undefined })).toEqual([]);
  });
});
