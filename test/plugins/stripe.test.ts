import Stripe from 'stripe';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { readTokenMetadata } from '../../src/sdk/provider-auth.js';
import { createHarness } from '../../src/sdk/testing.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { signStripeWebhook, startFakeStripe, stripeEvent, type FakeStripe } from '../fixtures/providers/stripe.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const SECRET_KEY = 'sk_test_51FakeSecretKeyForPlugboardTests';
const WEBHOOK_SECRET = 'whsec_c2VjcmV0LWZvci10ZXN0cw';

let plugin: PluginDefinition;
let stripe: Json;
let connect: Json;
let fake: FakeStripe;

beforeAll(async () => {
  plugin = await loadBundledPlugin('stripe');
  [stripe, connect] = plugin.providers;
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
    expect(session).toMatchObject({
      id: expect.stringMatching(/^cs_test_/),
      url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
      amountTotal: 5000,
      currency: 'EUR',
    });
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
  const intent = {
    id: 'pi_3Fake',
    object: 'payment_intent',
    amount: 4900,
    amount_received: 4900,
    currency: 'usd',
    receipt_email: 'ana@example.com',
    customer: 'cus_1',
    metadata: { registrationId: 'reg_7' },
  };
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
    const tampered = new Stripe('sk_test_oracle').webhooks.generateTestHeaderString({
      payload: payload.replace('4900', '4901'),
      secret: WEBHOOK_SECRET,
      timestamp,
    });
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
      data: {
        paymentId: 'pi_3Other',
        amount: 5000,
        currency: 'EUR',
        customerEmail: 'bo@example.com',
        checkoutSessionId: 'cs_test_1',
        clientReferenceId: 'reg_8',
      },
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

describe('stripe plugin: prices in any currency', () => {
  const lastBody = () => fake.state.requests.at(-1)!.body as Record<string, string>;

  it('keeps zero-decimal amounts as they are: a JPY Checkout charges ¥3,000 × 2, not ¥30', async () => {
    const session = await action('createCheckoutSession', {
      lineItems: [{ name: 'Tokyo workshop', unitAmount: 3000, currency: 'JPY', quantity: 2 }],
      successUrl: 'https://example.com/thanks',
    });
    expect(lastBody()).toMatchObject({
      'line_items[0][price_data][currency]': 'jpy',
      'line_items[0][price_data][unit_amount]': '3000',
      'line_items[0][quantity]': '2',
    });
    expect(session).toMatchObject({ amountTotal: 6000, currency: 'JPY', mode: 'payment' });
  });

  it('takes three-decimal amounts in fils, refusing what Stripe cannot charge before any request', async () => {
    const before = fake.state.requests.length;
    await expect(
      action('createCheckoutSession', { lineItems: [{ name: 'Kuwait seat', unitAmount: 5125, currency: 'KWD' }], successUrl: 'https://example.com/thanks' }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('use 5120 or 5130') });
    expect(fake.state.requests.length).toBe(before);
    const session = await action('createCheckoutSession', {
      lineItems: [{ name: 'Kuwait seat', unitAmount: 5120, currency: 'KWD' }],
      successUrl: 'https://example.com/thanks',
    });
    expect(lastBody()['line_items[0][price_data][unit_amount]']).toBe('5120');
    expect(session).toMatchObject({ amountTotal: 5120, currency: 'KWD' });
  });

  it('converts ISK (ISO exponent 0) to the hundredths Stripe counts, and back', async () => {
    const session = await action('createCheckoutSession', {
      lineItems: [{ name: 'Reykjavík pass', unitAmount: 4900, currency: 'ISK' }],
      successUrl: 'https://example.com/thanks',
    });
    expect(lastBody()['line_items[0][price_data][unit_amount]']).toBe('490000');
    expect(session).toMatchObject({ amountTotal: 4900, currency: 'ISK' });
  });

  it('the fake refuses ISK amounts that are not whole krónur, as Stripe does', async () => {
    const response = await fetch(`${fake.url}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        mode: 'payment',
        success_url: 'https://example.com/thanks',
        'line_items[0][price_data][currency]': 'isk',
        'line_items[0][price_data][unit_amount]': '4950',
        'line_items[0][price_data][product_data][name]': 'x',
      }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error).toMatchObject({ code: 'invalid_charge_amount_no_decimal_compatible' });
  });

  it('refuses amounts that are not integers, and subscription inputs without a price or URLs, at the schema', () => {
    const ajv = createSchemaCompiler();
    const checkout = ajv.compile(stripe.actions.createCheckoutSession.inputSchema);
    const subscription = ajv.compile(stripe.actions.createSubscriptionCheckout.inputSchema);
    expect(checkout({ lineItems: [{ name: 'x', unitAmount: 25.5, currency: 'USD' }], successUrl: 'https://example.com' })).toBe(false);
    expect(checkout({ lineItems: [{ name: 'x', unitAmount: 2550, currency: 'USD' }], successUrl: 'https://example.com' })).toBe(true);
    const valid = { priceId: 'price_1Abc', successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/cancel' };
    expect(subscription(valid)).toBe(true);
    expect(subscription({ ...valid, customerEmail: 'ana@example.com' })).toBe(true);
    expect(subscription({ ...valid, cancelUrl: undefined })).toBe(false);
    expect(subscription({ ...valid, priceId: 'price 1' })).toBe(false);
    expect(subscription({ ...valid, customerEmail: 'not-an-email' })).toBe(false);
    expect(subscription({ ...valid, quantity: 2 })).toBe(false);
    expect(stripe.actions.createCheckoutSession.description).toMatch(/JPY/);
  });
});

describe('stripe plugin: subscription Checkout', () => {
  it('starts a subscription to a recurring price: mode=subscription, the price, quantity 1', async () => {
    const price = fake.state.addPrice({ currency: 'eur', unitAmount: 1900, recurring: { interval: 'month' } });
    const session = await action('createSubscriptionCheckout', {
      priceId: price.id,
      customerEmail: 'ana@example.com',
      successUrl: 'https://example.com/welcome',
      cancelUrl: 'https://example.com/pricing',
      clientReferenceId: 'creator_42',
    });
    expect(session).toEqual({
      id: expect.stringMatching(/^cs_test_/),
      url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
      mode: 'subscription',
      amountTotal: 1900,
      currency: 'EUR',
      expiresAt: expect.any(String),
    });
    const request = fake.state.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/checkout/sessions' });
    expect(request.body).toEqual({
      mode: 'subscription',
      'line_items[0][price]': price.id,
      'line_items[0][quantity]': '1',
      success_url: 'https://example.com/welcome',
      cancel_url: 'https://example.com/pricing',
      customer_email: 'ana@example.com',
      client_reference_id: 'creator_42',
    });
    expect(request.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.state.checkoutSessions[0]).toMatchObject({ id: session.id, mode: 'subscription', subscription: null });
  });

  it('a JPY price stays in yen', async () => {
    const price = fake.state.addPrice({ currency: 'jpy', unitAmount: 980, recurring: { interval: 'month' } });
    const session = await action('createSubscriptionCheckout', {
      priceId: price.id,
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    expect(session).toMatchObject({ amountTotal: 980, currency: 'JPY' });
  });

  it('passes Stripe’s refusals on: an unknown price, a one-time price, an inactive price', async () => {
    const input = { successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/no' };
    await expect(action('createSubscriptionCheckout', { ...input, priceId: 'price_x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "No such price: 'price_x'",
    });
    const oneTime = fake.state.addPrice({ currency: 'usd', unitAmount: 2500 });
    await expect(action('createSubscriptionCheckout', { ...input, priceId: oneTime.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'You must provide at least one recurring price in `subscription` mode when using prices.',
    });
    const retired = fake.state.addPrice({ currency: 'usd', unitAmount: 900, recurring: { interval: 'year' }, active: false });
    await expect(action('createSubscriptionCheckout', { ...input, priceId: retired.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The price specified is inactive. This field only accepts active prices.',
    });
    const live = fake.state.addPrice({ currency: 'usd', unitAmount: 900, recurring: { interval: 'month' }, livemode: true });
    await expect(action('createSubscriptionCheckout', { ...input, priceId: live.id })).rejects.toMatchObject({ message: `No such price: '${live.id}'` });
  });

  it('the fake refuses a recurring price in payment mode, as Stripe does', async () => {
    const monthly = fake.state.addPrice({ currency: 'usd', unitAmount: 1000, recurring: { interval: 'month' } });
    const response = await fetch(`${fake.url}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ mode: 'payment', success_url: 'https://example.com/ok', 'line_items[0][price]': monthly.id, 'line_items[0][quantity]': '1' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error).toMatchObject({
      message: 'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
      param: 'line_items[0]',
    });
  });

  it('maps a paid subscription Checkout to payment.completed with its invoice and subscription', async () => {
    const session = {
      id: 'cs_test_sub',
      object: 'checkout.session',
      mode: 'subscription',
      amount_total: 980,
      currency: 'jpy',
      payment_intent: null,
      invoice: 'in_1First',
      subscription: 'sub_1New',
      payment_status: 'paid',
      customer: 'cus_9',
      customer_details: { email: 'kei@example.com' },
    };
    const [mapped] = await harness().webhookToEvents({ rawBody: JSON.stringify(stripeEvent('checkout.session.completed', session)) });
    expect(mapped).toMatchObject({
      event: 'payment.completed',
      data: { paymentId: 'in_1First', amount: 980, currency: 'JPY', subscriptionId: 'sub_1New', customerEmail: 'kei@example.com', provider: 'stripe' },
    });
  });
});

describe('stripe_connect: declaration and shared code', () => {
  it('is a second provider of the plugin with Stripe Connect’s OAuth, tokens that never expire and the account id kept', () => {
    expect(plugin.providers.map((provider) => provider.id)).toEqual(['stripe', 'stripe_connect']);
    expect(connect).toMatchObject({
      id: 'stripe_connect',
      category: 'payment',
      baseUrl: 'https://api.stripe.com',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://connect.stripe.com/oauth/authorize',
        tokenUrl: 'https://connect.stripe.com/oauth/token',
        scopes: ['read_write'],
        refresh: false,
        tokenMetadata: { stripeAccountId: { pointer: '/stripe_user_id', pattern: '^acct_[A-Za-z0-9]+$' } },
      },
    });
    expect(connect.auth.pkce).toBeFalsy();
  });

  it('shares the actions, the sync, the health check, the errors and the limits of the key provider (one implementation)', () => {
    // The Connect payout actions stay on the platform's own key: a connected account's token cannot pay out.
    for (const name of Object.keys(connect.actions)) expect(connect.actions[name]).toBe(stripe.actions[name]);
    expect(connect.sync).toBe(stripe.sync);
    expect(connect.healthCheck).toBe(stripe.healthCheck);
    expect(connect.errors).toBe(stripe.errors);
    expect(connect.rateLimits).toBe(stripe.rateLimits);
    expect(stripe.rateLimits).toEqual([{ requests: 25, windowMs: 1000, scope: 'account', accountKey: 'stripeAccountId' }]);
    expect(Object.keys(connect.actions).sort()).toEqual(['createCheckoutSession', 'createRefund', 'createSubscriptionCheckout', 'listCustomers']);
  });

  it('keeps only a stripe_user_id that is an account id', () => {
    expect(readTokenMetadata(connect.auth.tokenMetadata, { stripe_user_id: 'acct_1Connected', access_token: 'sk_test_x' })).toEqual({
      stripeAccountId: 'acct_1Connected',
    });
    expect(() => readTokenMetadata(connect.auth.tokenMetadata, { stripe_user_id: 'https://evil.example' })).toThrow(
      expect.objectContaining({ code: 'provider_rejected' }),
    );
    expect(() => readTokenMetadata(connect.auth.tokenMetadata, {})).toThrow();
  });
});

describe('stripe_connect: Connect OAuth (the fake’s connect.stripe.com)', () => {
  const CLIENT_ID = 'ca_FkyHCg7X8mlvCUdMDao4mMxagUfhIwXb';
  const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
  const tokenUrl = () => connect.auth.tokenUrl as string;

  beforeAll(() => {
    fake.state.registerConnectClient({ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI] });
  });

  /** The authorization URL the host builds from the auth block (passport-oauth2 adds response_type=code). */
  function authorizationUrl(state: string, overrides: Record<string, string> = {}): string {
    const url = new URL(connect.auth.authorizationUrl);
    const query = {
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: connect.auth.scopes.join(connect.auth.scopeSeparator),
      state,
      client_id: CLIENT_ID,
      ...overrides,
    };
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url.href;
  }
  const exchange = (form: Record<string, string>) => postTokenRequest(tokenUrl(), fake.origins, form);

  it('authorizes with response_type=code and scope=read_write, then exchanges the code with the platform key for a token that never expires', async () => {
    const creator = fake.state.addConnectedAccount({ name: 'Creator Studio', email: 'studio@example.com', country: 'JP', defaultCurrency: 'jpy' });
    fake.state.connect.approvingAccount = creator.account.id;
    try {
      const back = await followAuthorizationUrl(authorizationUrl('st-1'), fake.origins);
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
      expect(back.searchParams.get('state')).toBe('st-1');
      expect(back.searchParams.get('scope')).toBe('read_write');
      const code = back.searchParams.get('code')!;
      expect(code).toMatch(/^ac_/);
      const granted = await exchange({ grant_type: 'authorization_code', code, client_id: CLIENT_ID, client_secret: SECRET_KEY, redirect_uri: REDIRECT_URI });
      expect(granted).toEqual({
        status: 200,
        body: {
          access_token: expect.stringMatching(/^sk_test_/),
          livemode: false,
          refresh_token: expect.stringMatching(/^rt_/),
          token_type: 'bearer',
          stripe_publishable_key: expect.stringMatching(/^pk_test_/),
          stripe_user_id: creator.account.id,
          scope: 'read_write',
        },
      });
      expect(granted.body.expires_in).toBeUndefined();
      expect(readTokenMetadata(connect.auth.tokenMetadata, granted.body)).toEqual({ stripeAccountId: creator.account.id });

      // The code is single-use: a replay is refused and revokes what it issued.
      expect(await exchange({ grant_type: 'authorization_code', code, client_secret: SECRET_KEY })).toEqual({
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'This authorization code has already been used. All tokens issued with this code have been revoked.',
        },
      });
      const revoked = connectHarness(granted.body, creator.account.id);
      await expect(revoked.verify()).rejects.toMatchObject({
        code: 'provider_rejected',
        message: 'Expired API Key provided: sk_test_****. Platform access may have been revoked.',
      });
    } finally {
      fake.state.connect.approvingAccount = null;
    }
  });

  it('refuses an unknown code, a wrong platform key and a missing one with Stripe’s OAuth errors', async () => {
    expect(await exchange({ grant_type: 'authorization_code', code: 'ac_nope', client_secret: SECRET_KEY })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Authorization code does not exist: ac_nope' },
    });
    const code = (await followAuthorizationUrl(authorizationUrl('s'), fake.origins)).searchParams.get('code')!;
    const wrong = await exchange({ grant_type: 'authorization_code', code, client_secret: 'sk_test_51NotThePlatformKey000' });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(wrong.body.error_description).not.toContain('NotThePlatformKey');
    expect(await exchange({ grant_type: 'authorization_code', code })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('redirects back with the user’s refusal or a bad scope, and shows a page (no redirect) for an unknown client or redirect URI', async () => {
    fake.state.connect.declines = true;
    try {
      const back = await followAuthorizationUrl(authorizationUrl('st-2'), fake.origins);
      expect(Object.fromEntries(back.searchParams)).toEqual({ state: 'st-2', error: 'access_denied', error_description: 'The user denied your request' });
    } finally {
      fake.state.connect.declines = false;
    }
    expect((await followAuthorizationUrl(authorizationUrl('s', { scope: 'admin' }), fake.origins)).searchParams.get('error')).toBe('invalid_scope');
    const atFake = (url: string) => url.replace('https://connect.stripe.com', fake.url);
    expect((await fetch(atFake(authorizationUrl('s', { client_id: 'ca_unknown' })), { redirect: 'manual' })).status).toBe(400);
    const elsewhere = await fetch(atFake(authorizationUrl('s', { redirect_uri: 'https://evil.example/cb' })), { redirect: 'manual' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
  });
});

/** A stripe_connect harness with what the host stores after the OAuth flow: the token response and the token metadata. */
function connectHarness(token: Json, accountId: string, metadata: Json = { stripeAccountId: accountId }) {
  const { access_token: accessToken, refresh_token: refreshToken, token_type: tokenType, ...raw } = token;
  return createHarness(plugin, {
    provider: 'stripe_connect',
    credentials: { accessToken, refreshToken, tokenType, scope: raw.scope, raw },
    integration: { metadata },
    http: forwardTo(fake.origins),
  });
}

describe('stripe_connect: calls as the connected account', () => {
  let creator: ReturnType<FakeStripe['state']['addConnectedAccount']>;
  let token: Json;
  const connected = () => connectHarness(token, creator.account.id);

  beforeAll(() => {
    creator = fake.state.addConnectedAccount({ name: 'Kei’s Yoga', email: 'kei@example.com', country: 'JP', defaultCurrency: 'jpy' });
    token = fake.state.mintConnectToken(creator.account.id);
  });

  it('verifies with the access token as a bearer secret key (no Stripe-Account header) and reports the connected account', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'Kei’s Yoga',
      metadata: {
        stripeAccountId: creator.account.id,
        livemode: false,
        country: 'JP',
        defaultCurrency: 'jpy',
        publishableKey: token.stripe_publishable_key,
        scope: 'read_write',
      },
    });
    expect(h.requests.map((request) => request.url)).toEqual(['https://api.stripe.com/v1/account']);
    const request = fake.state.requests.at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${token.access_token}`);
    expect(request.headers['stripe-account']).toBeUndefined();
    expect(request.headers['stripe-version']).toBe('2024-06-20');
    await expect(connected().healthCheck()).resolves.toBeUndefined();
  });

  it('refuses a token of another account than the one that authorized the connection', async () => {
    const other = fake.state.addConnectedAccount({ name: 'Someone else' });
    const mixed = connectHarness(fake.state.mintConnectToken(other.account.id), creator.account.id);
    await expect(mixed.verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining(`not to ${creator.account.id}`) });
  });

  it('sells a subscription to the connected account’s own JPY price; the platform’s prices are not its own', async () => {
    const price = fake.state.addPrice({ currency: 'jpy', unitAmount: 1500, recurring: { interval: 'month' }, account: creator.account.id });
    const session = await connected().action<Json>('createSubscriptionCheckout', {
      priceId: price.id,
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    expect(session).toMatchObject({ mode: 'subscription', amountTotal: 1500, currency: 'JPY' });
    expect(creator.checkoutSessions.map((candidate) => candidate.id)).toEqual([session.id]);
    expect(fake.state.checkoutSessions.some((candidate) => candidate.id === session.id)).toBe(false);

    const platformPrice = fake.state.addPrice({ currency: 'usd', unitAmount: 500, recurring: { interval: 'month' } });
    await expect(
      connected().action('createSubscriptionCheckout', {
        priceId: platformPrice.id,
        successUrl: 'https://example.com/ok',
        cancelUrl: 'https://example.com/no',
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: `No such price: '${platformPrice.id}'` });
  });

  it('lists and syncs the connected account’s customers and charges only', async () => {
    fake.state.addCustomer({ email: 'student@example.com', account: creator.account.id });
    fake.state.addCharge({ amount: 3000, currency: 'jpy', account: creator.account.id });
    const { customers } = await connected().action<Json>('listCustomers', {});
    expect(customers.map((customer: Json) => customer.email)).toEqual(['student@example.com']);
    const { records } = (await connected().sync()) as { records: Record<string, Json[]> };
    expect(records.customers.map((customer) => customer.email)).toEqual(['student@example.com']);
    expect(records.charges).toEqual([expect.objectContaining({ amount: 3000, currency: 'JPY' })]);
  });

  it('refunds on the connected account', async () => {
    const charge = fake.state.addCharge({ amount: 5000, currency: 'jpy', account: creator.account.id });
    const refund = await connected().action<Json>('createRefund', { charge: charge.id, amount: 2000 });
    expect(refund).toMatchObject({ amount: 2000, currency: 'JPY', charge: charge.id });
    expect(creator.refunds[0].id).toBe(refund.id);
  });

  describe('inbound events, checked with Stripe', () => {
    const intent = (amount: number) => ({
      id: 'pi_3Conn',
      object: 'payment_intent',
      amount,
      amount_received: amount,
      currency: 'jpy',
      receipt_email: 'student@example.com',
    });
    const inbound = (event: Json) => ({ headers: {}, rawBody: JSON.stringify(event) });

    it('accepts an event Stripe has for the account and maps the event as Stripe answers it', async () => {
      const posted = fake.state.addEvent('payment_intent.succeeded', intent(3000), { account: creator.account.id });
      expect(posted.account).toBe(creator.account.id);
      const h = connected();
      expect(await h.webhookVerify(inbound(posted))).toBe(true);
      expect(h.requests.map((request) => request.url)).toEqual([`https://api.stripe.com/v1/events/${posted.id}`]);
      expect(h.requests[0].headers.authorization).toBe(`Bearer ${token.access_token}`);
      // Whatever the body claims, the amount is Stripe's.
      const tampered = { ...posted, data: { object: intent(1) } };
      expect(await connected().webhookToEvents(inbound(tampered))).toEqual([
        {
          event: 'payment.completed',
          data: {
            paymentId: 'pi_3Conn',
            amount: 3000,
            currency: 'JPY',
            customerEmail: 'student@example.com',
            provider: 'stripe_connect',
            stripeEventId: posted.id,
            livemode: false,
            stripeAccountId: creator.account.id,
            stripeCustomerId: null,
            metadata: {},
          },
        },
      ]);
    });

    it('refuses events Stripe does not have for this account, of another type, or naming another account', async () => {
      const forged = stripeEvent('payment_intent.succeeded', intent(3000));
      expect(await connected().webhookVerify(inbound(forged))).toBe(false);
      expect(await connected().webhookToEvents(inbound(forged))).toEqual([]);
      const elsewhere = fake.state.addEvent('payment_intent.succeeded', intent(100));
      expect(await connected().webhookVerify(inbound(elsewhere))).toBe(false);
      const real = fake.state.addEvent('payment_intent.succeeded', intent(3000), { account: creator.account.id });
      expect(await connected().webhookVerify(inbound({ ...real, type: 'checkout.session.completed' }))).toBe(false);
      expect(await connected().webhookVerify(inbound({ ...real, livemode: true }))).toBe(false);
      const h = connected();
      expect(await h.webhookVerify(inbound({ ...real, account: 'acct_1Other' }))).toBe(false);
      expect(await h.webhookVerify({ headers: {}, rawBody: JSON.stringify({ id: '../v1/account', type: 'x' }) })).toBe(false);
      expect(await h.webhookVerify({ headers: {}, rawBody: 'not json' })).toBe(false);
      expect(h.requests).toEqual([]);
    });

    it('reports a disconnected account as a refusal, not as an unverified event', async () => {
      const leaving = fake.state.addConnectedAccount({ name: 'Leaving' });
      const leavingToken = fake.state.mintConnectToken(leaving.account.id);
      const event = fake.state.addEvent('payment_intent.succeeded', intent(10), { account: leaving.account.id });
      expect(await connectHarness(leavingToken, leaving.account.id).webhookVerify(inbound(event))).toBe(true);
      fake.state.deauthorize(leaving.account.id);
      await expect(connectHarness(leavingToken, leaving.account.id).webhookVerify(inbound(event))).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('Platform access may have been revoked'),
      });
    });
  });
});
