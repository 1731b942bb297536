import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { PAYPAL_CERT_URL, PAYPAL_TEST_APP, paypalCaptureEvent, startFakePayPal, type FakePayPal } from '../fixtures/providers/paypal.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const CREDENTIALS = { clientId: PAYPAL_TEST_APP.clientId, clientSecret: PAYPAL_TEST_APP.clientSecret };
const SANDBOX = { environment: 'sandbox', apiHost: 'api-m.sandbox.paypal.com', appId: PAYPAL_TEST_APP.appId };
const ORDER = {
  amount: 1999,
  currency: 'USD',
  description: 'Workshop ticket: Intro to pottery',
  returnUrl: 'https://events.example.com/paid?registration=reg_42',
  cancelUrl: 'https://events.example.com/cancelled?registration=reg_42',
  referenceId: 'reg_42',
};

let plugin: PluginDefinition;
let paypal: Json;
let fake: FakePayPal;

beforeAll(async () => {
  plugin = await loadBundledPlugin('paypal');
  paypal = plugin.providers[0];
  fake = await startFakePayPal();
});
afterAll(() => fake.close());

interface Options {
  credentials?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}
const harness = ({ credentials = CREDENTIALS, settings = {}, metadata = SANDBOX }: Options = {}) =>
  createHarness(plugin, { provider: 'paypal', credentials, settings, integration: { metadata }, http: forwardTo(fake.origins) });
const action = (name: string, input: unknown, options?: Options) => harness(options).action<Json>(name, input);
const since = (count: number) => fake.state.requests.slice(count);

/** An order created, approved by the buyer and captured: the capture as the fake holds it. */
async function capturedOrder(order: Json = ORDER) {
  const created = await action('createOrder', order);
  fake.state.approve(created.orderId);
  const captured = await action('captureOrder', { orderId: created.orderId });
  return { created, captured, capture: fake.state.captures.get(captured.captureId)! };
}

describe('paypal plugin: declaration', () => {
  it('declares a payment provider with client credentials, an environment input and a host pinned by it', () => {
    expect(paypal).toMatchObject({
      id: 'paypal',
      category: 'payment',
      auth: { type: 'api_key', token: { grant: 'client_credentials', url: 'https://{apiHost}/v1/oauth2/token' } },
      baseUrl: 'https://{apiHost}',
      connectionInputs: { required: ['environment'], properties: { environment: { enum: ['sandbox', 'live'] } } },
    });
    expect(paypal.auth.token.clientAuth).toBeUndefined(); // HTTP Basic, as PayPal documents
    for (const field of Object.values<Json>(paypal.auth.credentialsSchema.properties)) expect(field.secret).toBe(true);
    expect(paypal.rateLimits).toEqual([{ requests: 20, windowMs: 1000, scope: 'account', accountKey: 'appId' }]);
  });

  it('refuses malformed inputs, credentials, settings and environments at the schema', () => {
    const ajv = createSchemaCompiler();
    const input = (name: string) => ajv.compile(paypal.actions[name].inputSchema);
    expect(input('createOrder')(ORDER)).toBe(true);
    expect(input('createOrder')({ ...ORDER, amount: 19.99 })).toBe(false);
    expect(input('createOrder')({ ...ORDER, amount: 0 })).toBe(false);
    expect(input('createOrder')({ ...ORDER, currency: 'US' })).toBe(false);
    expect(input('createOrder')({ ...ORDER, description: 'x'.repeat(128) })).toBe(false);
    expect(input('createOrder')({ ...ORDER, returnUrl: 'javascript:alert(1)' })).toBe(false);
    expect(input('createOrder')({ ...ORDER, cancelUrl: undefined })).toBe(false);
    expect(input('createOrder')({ ...ORDER, extra: true })).toBe(false);
    expect(input('captureOrder')({ orderId: '5O190127TN364715T' })).toBe(true);
    expect(input('captureOrder')({ orderId: '5o190127tn364715t' })).toBe(false);
    expect(input('refundCapture')({ captureId: '3C679366HH908993F' })).toBe(true);
    expect(input('refundCapture')({ captureId: '3C679366HH908993F', amount: 500, currency: 'USD' })).toBe(true);
    expect(input('refundCapture')({ captureId: '3C679366HH908993F', amount: 500 })).toBe(false);
    expect(input('refundCapture')({ captureId: '3C679366HH908993F', currency: 'USD' })).toBe(false);
    expect(input('refundCapture')({ captureId: '3C679366HH908993F', idempotencyKey: 'k'.repeat(109) })).toBe(false);

    expect(ajv.compile(paypal.auth.credentialsSchema)(CREDENTIALS)).toBe(true);
    expect(ajv.compile(paypal.auth.credentialsSchema)({ clientId: CREDENTIALS.clientId })).toBe(false);
    expect(ajv.compile(paypal.connectionInputs)({ environment: 'sandbox' })).toBe(true);
    expect(ajv.compile(paypal.connectionInputs)({ environment: 'staging' })).toBe(false);
    expect(ajv.compile(paypal.connectionInputs)({ environment: 'live', apiHost: 'evil.example.com' })).toBe(false);
    expect(ajv.compile(paypal.settingsSchema)({ webhookId: '8PT597110X687430LKGECATA' })).toBe(true);
    expect(ajv.compile(paypal.settingsSchema)({ webhookId: 'WH-8PT597110X' })).toBe(false);
  });
});

describe('paypal plugin: connection', () => {
  it('verifies against the sandbox: a client-credentials token with HTTP Basic, and names the REST app', async () => {
    const before = fake.state.requests.length;
    const h = harness({ metadata: { environment: 'sandbox' } });
    const result = await h.verify();
    expect(result).toEqual({
      displayName: `PayPal sandbox (${PAYPAL_TEST_APP.appId})`,
      metadata: { apiHost: 'api-m.sandbox.paypal.com', appId: PAYPAL_TEST_APP.appId, webhookId: null, webhookUrl: null, webhookReceivesCaptures: null },
    });
    expect(h.requests.map((request) => request.url)).toEqual(['https://api-m.sandbox.paypal.com/v1/oauth2/token']);
    const [token] = since(before);
    expect(token).toMatchObject({ method: 'POST', path: '/v1/oauth2/token', body: { grant_type: 'client_credentials' } });
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from(`${CREDENTIALS.clientId}:${CREDENTIALS.clientSecret}`).toString('base64')}`);
    expect(token.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it('verifies a live connection against the live host', async () => {
    const h = harness({ metadata: { environment: 'live' } });
    expect((await h.verify()).metadata).toMatchObject({ apiHost: 'api-m.paypal.com' });
    expect(h.requests[0].url).toBe('https://api-m.paypal.com/v1/oauth2/token');
  });

  it('checks the configured webhook belongs to the app, with the token it obtained', async () => {
    const webhook = fake.state.addWebhook({ url: 'https://plugboard.example.com/v1/hooks/pp-1' });
    const before = fake.state.requests.length;
    const result = await harness({ settings: { webhookId: webhook.id }, metadata: { environment: 'sandbox' } }).verify();
    expect(result.metadata).toMatchObject({ webhookId: webhook.id, webhookUrl: webhook.url, webhookReceivesCaptures: true });
    const [token, read] = since(before);
    expect(read).toMatchObject({ method: 'GET', path: `/v1/notifications/webhooks/${webhook.id}` });
    const issued = [...fake.state.tokens.keys()].at(-1);
    expect(token.path).toBe('/v1/oauth2/token');
    expect(read.headers.authorization).toBe(`Bearer ${issued}`);

    const elsewhere = fake.state.addWebhook({ clientId: 'AnotherAppsClientId0000000000000', eventTypes: ['*'] });
    await expect(harness({ settings: { webhookId: elsewhere.id }, metadata: { environment: 'sandbox' } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        new RegExp(`^This PayPal app has no webhook ${elsewhere.id} \\(INVALID_RESOURCE_ID: Resource id is invalid\\. \\(debug_id [0-9a-f]+\\)\\)`),
      ),
    });

    const silent = fake.state.addWebhook({ eventTypes: ['CHECKOUT.ORDER.APPROVED'] });
    const h = harness({ settings: { webhookId: silent.id }, metadata: { environment: 'sandbox' } });
    expect((await h.verify()).metadata).toMatchObject({ webhookReceivesCaptures: false });
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('PAYMENT.CAPTURE.COMPLETED') });
  });

  it('refuses a wrong secret with PayPal’s invalid_client, naming the environment and none of the secret', async () => {
    const wrong = { ...CREDENTIALS, clientSecret: 'EWrongSecret_0123456789abcdefghijklmnop' };
    const refusal = harness({ credentials: wrong, metadata: { environment: 'live' } }).verify();
    await expect(refusal).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'PayPal (live) refused the client ID and secret: Client Authentication failed (invalid_client). Use the credentials of a REST app of the live environment.',
    });
  });

  it('refuses to verify without an environment, before calling PayPal', async () => {
    const before = fake.state.requests.length;
    await expect(harness({ metadata: {} }).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('sandbox or live') });
    expect(fake.state.requests).toHaveLength(before);
  });

  it('health-checks with the token the host obtains from the credentials (OAuth client credentials)', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    const [token, list] = since(before);
    expect(token).toMatchObject({ method: 'POST', path: '/v1/oauth2/token', body: { grant_type: 'client_credentials' } });
    expect(token.headers.authorization).toMatch(/^Basic /);
    expect(list).toMatchObject({ method: 'GET', path: '/v1/notifications/webhooks' });
    expect(list.headers.authorization).toBe(`Bearer ${[...fake.state.tokens.keys()].at(-1)}`);
  });

  it('answers a refused token exchange on a later call as provider_rejected', async () => {
    await expect(harness({ credentials: { ...CREDENTIALS, clientSecret: 'ERevokedSecret_0123456789abcdefghijkl' } }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The provider refused the credentials: Client Authentication failed',
    });
  });

  it('refuses calls on a connection that never stored its API host', async () => {
    const before = fake.state.requests.length;
    await expect(action('captureOrder', { orderId: 'ABC' }, { metadata: { environment: 'sandbox' } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect it again'),
    });
    expect(fake.state.requests).toHaveLength(before);
  });

  it('reuses a token until it expires; a token PayPal expired is refused with its invalid_token', async () => {
    const h = harness();
    const before = fake.state.requests.length;
    await h.healthCheck();
    await h.healthCheck();
    expect(since(before).map((request) => request.path)).toEqual(['/v1/oauth2/token', '/v1/notifications/webhooks', '/v1/notifications/webhooks']);

    fake.state.expireTokens();
    await expect(h.healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: 'Access Token expired (invalid_token)' });

    // A token with less than a minute left is obtained again before the call (as the host does).
    fake.state.tokenTtlSeconds = 30;
    try {
      const shortLived = harness();
      const start = fake.state.requests.length;
      await shortLived.healthCheck();
      await shortLived.healthCheck();
      expect(since(start).map((request) => request.path)).toEqual([
        '/v1/oauth2/token',
        '/v1/notifications/webhooks',
        '/v1/oauth2/token',
        '/v1/notifications/webhooks',
      ]);
    } finally {
      fake.state.tokenTtlSeconds = 32_400;
    }
  });
});

describe('paypal plugin: orders', () => {
  it('creates a CAPTURE order with the amount as PayPal’s decimal string and returns the approval link', async () => {
    const before = fake.state.requests.length;
    const result = await action('createOrder', ORDER, { settings: { brandName: 'Acme Events' } });
    const request = since(before).find((candidate) => candidate.path === '/v2/checkout/orders')!;
    expect(request.method).toBe('POST');
    expect(request.headers['paypal-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(request.body).toEqual({
      intent: 'CAPTURE',
      purchase_units: [{ amount: { currency_code: 'USD', value: '19.99' }, description: ORDER.description, custom_id: 'reg_42' }],
      payment_source: {
        paypal: {
          experience_context: {
            return_url: ORDER.returnUrl,
            cancel_url: ORDER.cancelUrl,
            user_action: 'PAY_NOW',
            shipping_preference: 'NO_SHIPPING',
            brand_name: 'Acme Events',
          },
        },
      },
    });
    const order = fake.state.orders.get(result.orderId)!;
    expect(order.status).toBe('PAYER_ACTION_REQUIRED');
    expect(result).toEqual({
      orderId: order.id,
      status: 'PAYER_ACTION_REQUIRED',
      approvalUrl: `https://www.sandbox.paypal.com/checkoutnow?token=${order.id}`,
      amount: 1999,
      currency: 'USD',
      value: '19.99',
    });
  });

  it('converts with each currency’s real exponent, and PayPal’s own decimals', async () => {
    const value = async (amount: number, currency: string) => {
      const { orderId } = await action('createOrder', { ...ORDER, amount, currency });
      return fake.state.orders.get(orderId)!.purchaseUnits[0].amount;
    };
    expect(await value(500, 'JPY')).toEqual({ currency_code: 'JPY', value: '500' });
    expect(await value(5, 'eur')).toEqual({ currency_code: 'EUR', value: '0.05' });
    expect(await value(150000, 'HUF')).toEqual({ currency_code: 'HUF', value: '1500' });
    expect(await value(2500, 'TWD')).toEqual({ currency_code: 'TWD', value: '25' });
  });

  it('refuses currencies PayPal does not take, and fractions it cannot express, before calling PayPal', async () => {
    const before = fake.state.requests.length;
    await expect(action('createOrder', { ...ORDER, currency: 'KWD' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^PayPal does not accept KWD \(PayPal supports no three-decimal currency\)\. Supported currencies: AUD, BRL, /),
    });
    await expect(action('createOrder', { ...ORDER, currency: 'KRW' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('does not accept KRW'),
    });
    await expect(action('createOrder', { ...ORDER, amount: 150050, currency: 'HUF' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('PayPal takes HUF amounts without decimals'),
    });
    expect(fake.state.requests).toHaveLength(before);
  });

  it('passes PayPal’s own refusals on with their issue, field and debug_id (400 INVALID_REQUEST, 422 DUPLICATE_INVOICE_ID)', async () => {
    // What the host's schema check would stop, sent straight to the action: PayPal's own 400.
    await expect(action('createOrder', { ...ORDER, returnUrl: 'https://events.example.com/paid here' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^INVALID_PARAMETER_SYNTAX at \/payment_source\/paypal\/experience_context\/return_url = "https:\/\/events\.example\.com\/paid here": The value of a field does not conform to the expected format\. \(INVALID_REQUEST, debug_id [0-9a-f]+\)$/,
      ),
    });

    await capturedOrder({ ...ORDER, invoiceId: 'INV-2026-0001' });
    const { orderId } = await action('createOrder', { ...ORDER, invoiceId: 'INV-2026-0001' });
    fake.state.approve(orderId);
    await expect(action('captureOrder', { orderId })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^DUPLICATE_INVOICE_ID: Duplicate Invoice ID detected\..* \(UNPROCESSABLE_ENTITY, debug_id [0-9a-f]+\)$/),
    });
  });

  it('replays a create with the same idempotency key instead of creating a second order', async () => {
    const key = 'registration-reg_77-ticket';
    const first = await action('createOrder', { ...ORDER, idempotencyKey: key });
    const count = fake.state.orders.size;
    const second = await action('createOrder', { ...ORDER, idempotencyKey: key });
    expect(second.orderId).toBe(first.orderId);
    expect(fake.state.orders.size).toBe(count);
    expect(fake.state.requests.filter((request) => request.headers['paypal-request-id'] === key)).toHaveLength(2);
  });

  it('refuses a capture before the buyer approved: 422 ORDER_NOT_APPROVED, readable', async () => {
    const { orderId } = await action('createOrder', ORDER);
    await expect(action('captureOrder', { orderId })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^ORDER_NOT_APPROVED: Payer has not yet approved the Order for payment\..* \(UNPROCESSABLE_ENTITY, debug_id [0-9a-f]+\)$/),
    });
    expect(fake.state.orders.get(orderId)!.status).toBe('PAYER_ACTION_REQUIRED');
  });

  it('captures an approved order and answers the capture in minor units with the payer', async () => {
    const before = fake.state.requests.length;
    const { created, captured, capture } = await capturedOrder();
    const request = since(before).find((candidate) => candidate.path.endsWith('/capture'))!;
    expect(request).toMatchObject({ method: 'POST', path: `/v2/checkout/orders/${created.orderId}/capture` });
    expect(request.headers.prefer).toBe('return=representation');
    expect(request.headers['paypal-request-id']).toEqual(expect.any(String));
    expect(request.headers['content-type']).toBe('application/json');
    expect(captured).toEqual({
      orderId: created.orderId,
      status: 'COMPLETED',
      captureId: capture.id,
      captureStatus: 'COMPLETED',
      completed: true,
      amount: 1999,
      currency: 'USD',
      referenceId: 'reg_42',
      invoiceId: null,
      payerEmail: 'buyer@example.com',
      payerId: fake.state.orders.get(created.orderId)!.payer!.payerId,
    });

    await expect(action('captureOrder', { orderId: created.orderId })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('ORDER_ALREADY_CAPTURED'),
    });
  });

  it('reports a capture PayPal holds as pending as not completed', async () => {
    const { orderId } = await action('createOrder', { ...ORDER, amount: 500, currency: 'JPY' });
    fake.state.approve(orderId, { captureStatus: 'PENDING' });
    expect(await action('captureOrder', { orderId })).toMatchObject({ captureStatus: 'PENDING', completed: false, amount: 500, currency: 'JPY' });
  });

  it('refuses an unknown order with PayPal’s RESOURCE_NOT_FOUND', async () => {
    await expect(action('captureOrder', { orderId: 'NOSUCHORDER00000' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^INVALID_RESOURCE_ID at order_id = "NOSUCHORDER00000": Specified resource ID does not exist.* \(RESOURCE_NOT_FOUND, debug_id/,
      ),
    });
  });
});

describe('paypal plugin: refunds', () => {
  it('refunds part of a capture, then the rest, then refuses a third', async () => {
    const { capture } = await capturedOrder();
    const before = fake.state.requests.length;
    const partial = await action('refundCapture', { captureId: capture.id, amount: 500, currency: 'USD', noteToPayer: 'Session moved' });
    const request = since(before).find((candidate) => candidate.path.endsWith('/refund'))!;
    expect(request).toMatchObject({ method: 'POST', path: `/v2/payments/captures/${capture.id}/refund` });
    expect(request.body).toEqual({ amount: { currency_code: 'USD', value: '5.00' }, note_to_payer: 'Session moved' });
    expect(request.headers['paypal-request-id']).toEqual(expect.any(String));
    expect(partial).toEqual({ refundId: expect.any(String), status: 'COMPLETED', captureId: capture.id, amount: 500, currency: 'USD' });
    expect(fake.state.refunds.get(partial.refundId)).toMatchObject({ units: 500, noteToPayer: 'Session moved' });
    expect(capture).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedUnits: 500 });

    await expect(action('refundCapture', { captureId: capture.id, amount: 1500, currency: 'USD' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^REFUND_AMOUNT_EXCEEDED: The refund amount must be less than or equal to the capture amount that has not yet been refunded\. \(UNPROCESSABLE_ENTITY/,
      ),
    });
    await expect(action('refundCapture', { captureId: capture.id, amount: 100, currency: 'EUR' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('REFUND_CAPTURE_CURRENCY_MISMATCH'),
    });

    const rest = await action('refundCapture', { captureId: capture.id });
    const full = fake.state.requests.at(-1)!;
    expect(full.body).toEqual({});
    expect(rest).toMatchObject({ status: 'COMPLETED', amount: 1499, currency: 'USD' });
    expect(capture.status).toBe('REFUNDED');

    await expect(action('refundCapture', { captureId: capture.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('CAPTURE_FULLY_REFUNDED: The capture has already been fully refunded'),
    });
  });

  it('replays a refund with the same idempotency key instead of refunding twice', async () => {
    const { capture } = await capturedOrder({ ...ORDER, amount: 3000, currency: 'JPY' });
    const input = { captureId: capture.id, amount: 1000, currency: 'JPY', idempotencyKey: 'refund-reg_42-1' };
    const first = await action('refundCapture', input);
    const second = await action('refundCapture', input);
    expect(second.refundId).toBe(first.refundId);
    expect(fake.state.requests.at(-1)!.body).toEqual({ amount: { currency_code: 'JPY', value: '1000' } });
    expect(capture.refundedUnits).toBe(1000);
  });
});

describe('paypal plugin: rate limits', () => {
  it('answers PayPal’s 429 RATE_LIMIT_REACHED as provider_rate_limited (with Retry-After when sent)', async () => {
    fake.state.rateLimit(1);
    await expect(action('createOrder', ORDER)).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringMatching(/^RATE_LIMIT_REACHED: Too many requests\. Blocked due to rate limiting\. \(debug_id [0-9a-f]+\)$/),
    });
    fake.state.rateLimit(1, 2);
    await expect(action('captureOrder', { orderId: 'ANYORDER0000001' })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 2 });
  });
});

describe('paypal plugin: webhooks', () => {
  async function delivery(webhookId: string, event?: Json) {
    const payload = event ?? paypalCaptureEvent((await capturedOrder()).capture);
    const rawBody = JSON.stringify(payload);
    return { headers: fake.state.signWebhook(webhookId, rawBody), rawBody, body: payload };
  }

  it('verifies a delivery by posting it back to verify-webhook-signature with the webhook ID', async () => {
    const webhook = fake.state.addWebhook();
    const request = await delivery(webhook.id);
    const before = fake.state.requests.length;
    expect(await harness({ settings: { webhookId: webhook.id } }).webhookVerify(request)).toBe(true);
    const posted = since(before).find((candidate) => candidate.path === '/v1/notifications/verify-webhook-signature')!;
    expect(posted.method).toBe('POST');
    expect(posted.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(posted.body).toEqual({
      auth_algo: 'SHA256withRSA',
      cert_url: PAYPAL_CERT_URL,
      transmission_id: request.headers['paypal-transmission-id'],
      transmission_sig: request.headers['paypal-transmission-sig'],
      transmission_time: request.headers['paypal-transmission-time'],
      webhook_id: webhook.id,
      webhook_event: request.body,
    });
    expect(posted.rawBody.endsWith(`"webhook_event":${request.rawBody}}`)).toBe(true);
    expect(fake.state.verifications.at(-1)).toBe('SUCCESS');
  });

  it('does not verify a tampered event, another webhook’s delivery, or a forged signature', async () => {
    const webhook = fake.state.addWebhook();
    const request = await delivery(webhook.id);
    const h = harness({ settings: { webhookId: webhook.id } });

    const tampered = request.rawBody.replace(/"value":"19\.99"/g, '"value":"0.01"');
    expect(tampered).not.toBe(request.rawBody);
    expect(await h.webhookVerify({ ...request, rawBody: tampered, body: JSON.parse(tampered) })).toBe(false);
    expect(fake.state.verifications.at(-1)).toBe('FAILURE');

    const other = fake.state.addWebhook();
    expect(await harness({ settings: { webhookId: other.id } }).webhookVerify(request)).toBe(false);
    expect(fake.state.verifications.at(-1)).toBe('FAILURE');

    const forged = { ...request.headers, 'paypal-transmission-sig': Buffer.from('forged').toString('base64') };
    expect(await h.webhookVerify({ ...request, headers: forged })).toBe(false);
    expect(fake.state.verifications.at(-1)).toBe('FAILURE');
  });

  it('refuses without asking PayPal: missing headers, a certificate outside paypal.com, no webhook ID, a body that is not an event', async () => {
    const webhook = fake.state.addWebhook();
    const request = await delivery(webhook.id);
    const h = harness({ settings: { webhookId: webhook.id } });
    const before = fake.state.requests.length;
    const { 'paypal-transmission-sig': _dropped, ...unsigned } = request.headers;
    expect(await h.webhookVerify({ ...request, headers: unsigned })).toBe(false);
    expect(await h.webhookVerify({ ...request, headers: { ...request.headers, 'paypal-cert-url': 'https://paypal.com.evil.example/cert' } })).toBe(false);
    expect(await h.webhookVerify({ ...request, headers: { ...request.headers, 'paypal-cert-url': 'http://api.paypal.com/cert' } })).toBe(false);
    expect(await harness().webhookVerify(request)).toBe(false);
    expect(await h.webhookVerify({ ...request, rawBody: '[1,2]', body: [1, 2] })).toBe(false);
    expect(fake.state.requests).toHaveLength(before);
  });

  it('treats PayPal refusing the check as unverified, and its rate limit as an error to retry', async () => {
    const webhook = fake.state.addWebhook();
    const request = await delivery(webhook.id);
    const h = harness({ settings: { webhookId: webhook.id } });
    fake.state.rateLimit(1);
    await expect(h.webhookVerify(request)).rejects.toMatchObject({ code: 'provider_rate_limited' });
    const before = fake.state.verifications.length;
    expect(await h.webhookVerify({ ...request, headers: { ...request.headers, 'paypal-transmission-time': 'yesterday' } })).toBe(false);
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/v1/notifications/verify-webhook-signature', body: { transmission_time: 'yesterday' } });
    expect(fake.state.verifications).toHaveLength(before); // PayPal answered 400, not FAILURE
    expect(h.logs.at(-1)).toMatchObject({
      level: 'warn',
      message: 'PayPal refused to verify a webhook signature',
      fields: { message: expect.stringContaining('INVALID_PARAMETER_SYNTAX at /transmission_time') },
    });
  });

  it('maps PAYMENT.CAPTURE.COMPLETED to payment.completed with the amount back in minor units', async () => {
    const { created, capture } = await capturedOrder({ ...ORDER, invoiceId: 'INV-2026-0042' });
    const event = paypalCaptureEvent(capture) as Json;
    expect(await harness().webhookToEvents({ rawBody: JSON.stringify(event) })).toEqual([
      {
        event: 'payment.completed',
        data: {
          paymentId: capture.id,
          amount: 1999,
          currency: 'USD',
          provider: 'paypal',
          orderId: created.orderId,
          referenceId: 'reg_42',
          invoiceId: 'INV-2026-0042',
          netAmount: 1999 - Math.round(1999 * 0.0349) - 49,
          paypalEventId: event.id,
          createdAt: capture.createTime,
        },
      },
    ]);
  });

  it('reads zero-decimal and no-decimal currencies back with their ISO exponent; drops other events', async () => {
    const { capture } = await capturedOrder({ ...ORDER, amount: 150000, currency: 'HUF' });
    const event = paypalCaptureEvent(capture) as Json;
    expect(event.resource.amount).toEqual({ currency_code: 'HUF', value: '1500' });
    const [mapped] = await harness().webhookToEvents({ body: event });
    expect(mapped.data).toMatchObject({ amount: 150000, currency: 'HUF' });
    const padded = { ...event, resource: { ...event.resource, amount: { currency_code: 'HUF', value: '1500.00' } } };
    expect((await harness().webhookToEvents({ body: padded }))[0].data).toMatchObject({ amount: 150000 });

    expect(await harness().webhookToEvents({ body: { ...event, event_type: 'PAYMENT.CAPTURE.REFUNDED' } })).toEqual([]);
    expect(await harness().webhookToEvents({ body: { ...event, resource: { ...event.resource, status: 'PENDING' } } })).toEqual([]);
    expect(await harness().webhookToEvents({ rawBody: 'not json' })).toEqual([]);
  });
});
