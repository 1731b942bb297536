import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { BUILTIN_EVENT_TYPES } from '../../src/modules/events/builtin-event-types.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { signStripeWebhook, startFakeStripe, stripeEvent, type FakeStripe } from '../fixtures/providers/stripe.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const SECRET_KEY = 'sk_test_51PayoutsPlatformKeyForPlugboard';
const LIVE_KEY = 'sk_live_51PayoutsPlatformLiveKeyForPlugboard';
const WEBHOOK_SECRET = 'whsec_YWNjb3VudC1lbmRwb2ludA';
const CONNECT_WEBHOOK_SECRET = 'whsec_Y29ubmVjdC1lbmRwb2ludA';

let plugin: PluginDefinition;
let stripe: Json;
let connect: Json;
let fake: FakeStripe;

beforeAll(async () => {
  plugin = await loadBundledPlugin('stripe');
  [stripe, connect] = plugin.providers;
  fake = await startFakeStripe({ keys: [SECRET_KEY, LIVE_KEY] });
});
afterAll(() => fake.close());

const credentials = { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, connectWebhookSecret: CONNECT_WEBHOOK_SECRET };
const harness = (given: Record<string, unknown> = credentials) =>
  createHarness(plugin, { provider: 'stripe', credentials: given, http: forwardTo(fake.origins) });
const action = (name: string, input: unknown, given?: Record<string, unknown>) => harness(given).action<Json>(name, input);
const lastRequest = () => fake.state.requests.at(-1)!;

/** The event catalog's own validator setup (Ajv 2020 with formats), over the built-in schemas. */
const eventAjv = (formats as unknown as (ajv: Ajv2020) => Ajv2020)(new Ajv2020({ allErrors: true, strict: false }));
function assertBuiltinEvent(mapped: { event: string; data: unknown }): void {
  const definition = BUILTIN_EVENT_TYPES.find((candidate) => candidate.type === mapped.event);
  expect(definition).toBeDefined();
  const validate = eventAjv.compile(definition!.schema);
  expect({ valid: validate(mapped.data), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
}

/** An onboarded Express account (transfers active), created through the plugin. */
async function onboardedAccount(country = 'US'): Promise<string> {
  const created = await action('createConnectedAccount', { email: `creator-${country.toLowerCase()}@example.com`, country });
  fake.state.completeOnboarding(created.id);
  return created.id;
}

describe('stripe payouts: declaration', () => {
  it('adds the three Connect actions to the platform’s key provider only; the shared actions stay the same objects', () => {
    expect(Object.keys(stripe.actions).sort()).toEqual([
      'createAccountLink',
      'createCheckoutSession',
      'createConnectedAccount',
      'createRefund',
      'createSubscriptionCheckout',
      'createTransfer',
      'listCustomers',
    ]);
    expect(Object.keys(connect.actions).sort()).toEqual(['createCheckoutSession', 'createRefund', 'createSubscriptionCheckout', 'listCustomers']);
    for (const name of Object.keys(connect.actions)) expect(stripe.actions[name]).toBe(connect.actions[name]);
    for (const name of ['createConnectedAccount', 'createAccountLink', 'createTransfer']) {
      expect(stripe.actions[name].outputSchema).toMatchObject({ type: 'object' });
      expect(stripe.actions[name].inputSchema.additionalProperties).toBe(false);
    }
  });

  it('takes an optional second signing secret for the Connect endpoint, kept secret', () => {
    const field = stripe.auth.credentialsSchema.properties.connectWebhookSecret;
    expect(field).toMatchObject({ secret: true, pattern: '^whsec_[A-Za-z0-9+/=]+$' });
    expect(stripe.auth.credentialsSchema.required).toEqual(['secretKey']);
  });

  it('the connected account’s own token (stripe_connect) has no payout actions', async () => {
    const creator = fake.state.addConnectedAccount({ name: 'Standard creator' });
    const token = fake.state.mintConnectToken(creator.account.id);
    const h = createHarness(plugin, {
      provider: 'stripe_connect',
      credentials: { accessToken: token.access_token, raw: token },
      integration: { metadata: { stripeAccountId: creator.account.id } },
      http: forwardTo(fake.origins),
    });
    await expect(h.action('createTransfer', { amount: 100, currency: 'usd', destination: 'acct_1Somebody' })).rejects.toThrow('has no action createTransfer');
    expect(h.requests).toEqual([]);
  });
});

describe('stripe payouts: createConnectedAccount', () => {
  it('creates an Express account with controller properties and the transfers capability requested', async () => {
    const result = await action('createConnectedAccount', {
      email: 'kei@example.com',
      country: 'DE',
      metadata: { creatorId: 'creator_42' },
      idempotencyKey: 'creator_42-account',
    });
    expect(result).toEqual({
      id: expect.stringMatching(/^acct_1[0-9A-F]{15}$/),
      email: 'kei@example.com',
      country: 'DE',
      chargesEnabled: false,
      payoutsEnabled: false,
      detailsSubmitted: false,
      transfersCapability: 'inactive',
      currentlyDue: ['business_type', 'external_account', 'tos_acceptance.date', 'tos_acceptance.ip'],
      createdAt: expect.any(String),
    });
    const request = lastRequest();
    expect(request).toMatchObject({ method: 'POST', path: '/v1/accounts' });
    expect(request.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect(request.headers['stripe-version']).toBe('2024-06-20');
    expect(request.headers['idempotency-key']).toBe('creator_42-account');
    expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(request.body).toEqual({
      'controller[fees][payer]': 'application',
      'controller[losses][payments]': 'application',
      'controller[requirement_collection]': 'stripe',
      'controller[stripe_dashboard][type]': 'express',
      country: 'DE',
      email: 'kei@example.com',
      'capabilities[transfers][requested]': 'true',
      'metadata[creatorId]': 'creator_42',
    });
    // Stripe records the account as Express: the Express Dashboard, fees paid by the platform.
    const stored = fake.state.accounts.get(result.id)!.account;
    expect(stored).toMatchObject({
      type: 'express',
      default_currency: 'eur',
      controller: { fees: { payer: 'application_express' }, stripe_dashboard: { type: 'express' } },
    });
  });

  it('replays a retried creation with the same idempotency key instead of creating a second account', async () => {
    const before = fake.state.accounts.size;
    const input = { email: 'twice@example.com', country: 'US', idempotencyKey: 'creator_7-account' };
    const first = await action('createConnectedAccount', input);
    const again = await action('createConnectedAccount', input);
    expect(again.id).toBe(first.id);
    expect(fake.state.accounts.size).toBe(before + 1);
    expect(lastRequest().headers['idempotency-key']).toBe('creator_7-account');
  });

  it('asks for the recipient service agreement when told (cross-border payouts)', async () => {
    const result = await action('createConnectedAccount', { email: 'vendor@example.com', country: 'GB', serviceAgreement: 'recipient' });
    expect(lastRequest().body).toMatchObject({ 'tos_acceptance[service_agreement]': 'recipient', 'capabilities[transfers][requested]': 'true' });
    expect(fake.state.accounts.get(result.id)!.account.tos_acceptance).toMatchObject({ service_agreement: 'recipient' });
    expect(lastRequest().headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes Stripe’s refusals on: a platform not on Connect, an unknown country', async () => {
    fake.state.connectEnabled = false;
    try {
      await expect(action('createConnectedAccount', { email: 'a@example.com', country: 'US' })).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining("You can only create new accounts if you've signed up for Connect"),
      });
    } finally {
      fake.state.connectEnabled = true;
    }
    await expect(action('createConnectedAccount', { email: 'a@example.com', country: 'XX' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining("Country 'XX' is unknown"),
    });
  });

  it('reports Stripe’s 429 as a rate limit, not a refusal', async () => {
    fake.state.rateLimited = true;
    try {
      await expect(action('createConnectedAccount', { email: 'a@example.com', country: 'US' })).rejects.toMatchObject({
        code: 'provider_rate_limited',
        message: expect.stringContaining('Request rate limit exceeded'),
      });
    } finally {
      fake.state.rateLimited = false;
    }
  });
});

describe('stripe payouts: createAccountLink', () => {
  it('creates an onboarding link for the account and returns its URL and expiry', async () => {
    const { id } = await action('createConnectedAccount', { email: 'link@example.com', country: 'US' });
    const before = Date.now();
    const link = await action('createAccountLink', {
      accountId: id,
      refreshUrl: 'https://app.example.com/payouts/refresh',
      returnUrl: 'https://app.example.com/payouts/done',
    });
    expect(link).toEqual({
      url: expect.stringMatching(new RegExp(`^https://connect\\.stripe\\.com/setup/e/${id}/`)),
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
    });
    const expires = Date.parse(link.expiresAt);
    expect(expires).toBeGreaterThan(before + 200_000);
    expect(expires).toBeLessThan(before + 400_000);
    const request = lastRequest();
    expect(request).toMatchObject({ method: 'POST', path: '/v1/account_links' });
    expect(request.body).toEqual({
      account: id,
      refresh_url: 'https://app.example.com/payouts/refresh',
      return_url: 'https://app.example.com/payouts/done',
      type: 'account_onboarding',
    });
    expect(request.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.state.accountLinks[0]).toMatchObject({ account: id, type: 'account_onboarding', url: link.url });
  });

  it('passes Stripe’s refusal of an unknown account on', async () => {
    await expect(
      action('createAccountLink', { accountId: 'acct_1NeverCreated', refreshUrl: 'https://a.example.com/r', returnUrl: 'https://a.example.com/d' }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: "No such account: 'acct_1NeverCreated'" });
  });

  it('the fake refuses plain-http redirects in live mode, as Stripe does', async () => {
    const { id } = await action('createConnectedAccount', { email: 'live@example.com', country: 'US' }, { secretKey: LIVE_KEY });
    const response = await fetch(`${fake.url}/v1/account_links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LIVE_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ account: id, type: 'account_onboarding', refresh_url: 'http://a.example.com/r', return_url: 'https://a.example.com/d' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Json).error).toMatchObject({
      type: 'invalid_request_error',
      message: 'Livemode requests must always be redirected via HTTPS.',
      param: 'refresh_url',
    });
  });
});

describe('stripe payouts: createTransfer', () => {
  it('refuses to pay an account whose onboarding is not done (transfers capability inactive), with Stripe’s reason', async () => {
    const { id } = await action('createConnectedAccount', { email: 'pending@example.com', country: 'US' });
    await expect(action('createTransfer', { amount: 1000, currency: 'usd', destination: id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Your destination account needs to have at least one of the following capabilities enabled: transfers'),
    });
  });

  it('transfers to an onboarded account, currency sent lower-case, with an idempotency key', async () => {
    const destination = await onboardedAccount('FR');
    const balance = fake.state.balance.eur;
    const transfer = await action('createTransfer', {
      amount: 2500,
      currency: 'EUR',
      destination,
      description: 'March sessions',
      transferGroup: 'order_77',
      metadata: { payoutId: 'pay_1' },
    });
    expect(transfer).toEqual({
      id: expect.stringMatching(/^tr_/),
      amount: 2500,
      currency: 'EUR',
      destination,
      destinationPayment: expect.stringMatching(/^py_/),
      transferGroup: 'order_77',
      description: 'March sessions',
      reversed: false,
      livemode: false,
      createdAt: expect.any(String),
    });
    const request = lastRequest();
    expect(request).toMatchObject({ method: 'POST', path: '/v1/transfers' });
    expect(request.body).toEqual({
      amount: '2500',
      currency: 'eur',
      destination,
      description: 'March sessions',
      transfer_group: 'order_77',
      'metadata[payoutId]': 'pay_1',
    });
    expect(request.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.state.balance.eur).toBe(balance - 2500);
    expect(fake.state.transfers[0]).toMatchObject({ id: transfer.id, destination, amount: 2500 });
  });

  it('pays once when a transfer is retried with the same idempotency key', async () => {
    const destination = await onboardedAccount();
    const balance = fake.state.balance.usd;
    const input = { amount: 700, currency: 'usd', destination, idempotencyKey: 'payout_2026_03_creator_9' };
    const first = await action('createTransfer', input);
    const again = await action('createTransfer', input);
    expect(again.id).toBe(first.id);
    expect(fake.state.balance.usd).toBe(balance - 700);
    await expect(action('createTransfer', { ...input, amount: 701 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Keys for idempotent requests can only be used with the same parameters'),
    });
  });

  it('converts by the currency’s exponent: JPY as is, ISK to Stripe’s hundredths and back, KWD refused before any request when not a multiple of 10', async () => {
    const destination = await onboardedAccount('JP');
    fake.state.balance.jpy = 100_000;
    fake.state.balance.isk = 10_000_000;
    await expect(action('createTransfer', { amount: 3000, currency: 'JPY', destination })).resolves.toMatchObject({ amount: 3000, currency: 'JPY' });
    expect(lastRequest().body).toMatchObject({ amount: '3000', currency: 'jpy' });
    await expect(action('createTransfer', { amount: 4900, currency: 'isk', destination })).resolves.toMatchObject({ amount: 4900, currency: 'ISK' });
    expect(lastRequest().body).toMatchObject({ amount: '490000', currency: 'isk' });
    const before = fake.state.requests.length;
    await expect(action('createTransfer', { amount: 5125, currency: 'KWD', destination })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('use 5120 or 5130'),
    });
    expect(fake.state.requests.length).toBe(before);
  });

  it('passes Stripe’s refusals on: insufficient balance, an unknown destination, an unsupported currency', async () => {
    const destination = await onboardedAccount();
    fake.state.balance.usd = 500;
    try {
      await expect(action('createTransfer', { amount: 501, currency: 'USD', destination })).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('You have insufficient funds in your Stripe account for this transfer'),
      });
      expect(fake.state.balance.usd).toBe(500);
    } finally {
      fake.state.balance.usd = 1_000_000;
    }
    await expect(action('createTransfer', { amount: 100, currency: 'usd', destination: 'acct_1Unknown' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "No such destination: 'acct_1Unknown'",
    });
    await expect(action('createTransfer', { amount: 100, currency: 'xyz', destination })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Invalid currency: xyz'),
    });
  });

  it('the fake answers Stripe’s error body for an insufficient balance', async () => {
    const destination = await onboardedAccount();
    const response = await fetch(`${fake.url}/v1/transfers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ amount: '999999999', currency: 'usd', destination }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { type: 'invalid_request_error', code: 'balance_insufficient', message: expect.stringContaining('insufficient funds') },
    });
  });
});

describe('stripe payouts: schema refusals', () => {
  const ajv = createSchemaCompiler();
  const compile = (name: string) => ajv.compile(stripe.actions[name].inputSchema);

  it('createConnectedAccount takes an email and an upper-case ISO 3166-1 alpha-2 country, nothing else', () => {
    const validate = compile('createConnectedAccount');
    const valid = { email: 'a@example.com', country: 'US' };
    expect(validate(valid)).toBe(true);
    expect(validate({ ...valid, serviceAgreement: 'recipient', metadata: { a: 'b' }, idempotencyKey: 'k' })).toBe(true);
    expect(validate({ email: 'a@example.com' })).toBe(false);
    expect(validate({ country: 'US' })).toBe(false);
    expect(validate({ ...valid, country: 'us' })).toBe(false);
    expect(validate({ ...valid, country: 'USA' })).toBe(false);
    expect(validate({ ...valid, email: 'not-an-email' })).toBe(false);
    expect(validate({ ...valid, serviceAgreement: 'partial' })).toBe(false);
    expect(validate({ ...valid, type: 'custom' })).toBe(false);
  });

  it('createAccountLink takes an acct_ id and two https URLs', () => {
    const validate = compile('createAccountLink');
    const valid = { accountId: 'acct_1AbC', refreshUrl: 'https://a.example.com/r', returnUrl: 'https://a.example.com/d' };
    expect(validate(valid)).toBe(true);
    expect(validate({ ...valid, accountId: 'cus_1AbC' })).toBe(false);
    expect(validate({ ...valid, accountId: 'acct_1/../x' })).toBe(false);
    expect(validate({ ...valid, returnUrl: 'http://a.example.com/d' })).toBe(false);
    expect(validate({ ...valid, refreshUrl: 'https://' })).toBe(false);
    expect(validate({ accountId: valid.accountId, refreshUrl: valid.refreshUrl })).toBe(false);
    expect(validate({ ...valid, type: 'account_update' })).toBe(false);
  });

  it('createTransfer takes a positive integer amount, a three-letter currency of either case and an acct_ destination', () => {
    const validate = compile('createTransfer');
    const valid = { amount: 2500, currency: 'usd', destination: 'acct_1AbC' };
    expect(validate(valid)).toBe(true);
    expect(validate({ ...valid, currency: 'USD', description: 'x', transferGroup: 'g', metadata: { a: 'b' }, idempotencyKey: 'k' })).toBe(true);
    expect(validate({ ...valid, amount: 25.5 })).toBe(false);
    expect(validate({ ...valid, amount: 0 })).toBe(false);
    expect(validate({ ...valid, amount: '2500' })).toBe(false);
    expect(validate({ ...valid, currency: 'EURO' })).toBe(false);
    expect(validate({ ...valid, destination: 'ba_1AbC' })).toBe(false);
    expect(validate({ amount: 2500, currency: 'usd' })).toBe(false);
    expect(validate({ ...valid, sourceTransaction: 'ch_1' })).toBe(false);
  });
});

describe('stripe payouts: inbound payout events', () => {
  const deliver = (event: Json, secret = CONNECT_WEBHOOK_SECRET) => {
    const rawBody = JSON.stringify(event);
    return { headers: { 'stripe-signature': signStripeWebhook(rawBody, secret) }, rawBody };
  };
  /** A payout event as Stripe posts it to a Connect endpoint: with the connected account on top. */
  const connectEvent = (type: string, object: Json, account: string): Json => ({ ...stripeEvent(type, object), account });

  it('verifies a delivery signed with the Connect endpoint’s secret or the account endpoint’s, and no other', async () => {
    const event = connectEvent('payout.paid', fake.state.addPayout({ amount: 1200 }), 'acct_1Creator');
    expect(await harness().webhookVerify(deliver(event))).toBe(true);
    expect(await harness().webhookVerify(deliver(event, WEBHOOK_SECRET))).toBe(true);
    expect(await harness().webhookVerify(deliver(event, 'whsec_b3RoZXI'))).toBe(false);
    expect(await harness({ secretKey: SECRET_KEY, connectWebhookSecret: CONNECT_WEBHOOK_SECRET }).webhookVerify(deliver(event))).toBe(true);
    expect(await harness({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET }).webhookVerify(deliver(event))).toBe(false);
  });

  it('maps a connected account’s payout.paid to payout.paid with the account as recipient, valid against the built-in schema', async () => {
    const account = await onboardedAccount();
    const payout = fake.state.addPayout({ account, amount: 125000, currency: 'usd' });
    const event = connectEvent('payout.paid', payout, account);
    const h = harness();
    expect(await h.webhookVerify(deliver(event))).toBe(true);
    const mapped = await h.webhookToEvents(deliver(event));
    expect(mapped).toEqual([
      {
        event: 'payout.paid',
        data: {
          payoutId: payout.id,
          provider: 'stripe',
          amount: 125000,
          currency: 'USD',
          recipient: account,
          stripeAccountId: account,
          arrivalDate: new Date((payout.arrival_date as number) * 1000).toISOString(),
          status: 'paid',
          method: 'standard',
          destination: payout.destination,
          automatic: true,
          stripeEventId: event.id,
          livemode: false,
          metadata: {},
        },
      },
    ]);
    assertBuiltinEvent(mapped[0]);
    expect(h.requests).toEqual([]);
  });

  it('maps payout.failed with Stripe’s failure_message as failureReason and its failure_code', async () => {
    const payout = fake.state.addPayout({
      account: await onboardedAccount(),
      amount: 5000,
      currency: 'eur',
      status: 'failed',
      failureCode: 'account_closed',
      failureMessage: 'The bank account has been closed.',
    });
    const [mapped] = await harness().webhookToEvents(deliver(connectEvent('payout.failed', payout, 'acct_1Closed')));
    expect(mapped).toEqual({
      event: 'payout.failed',
      data: expect.objectContaining({
        payoutId: payout.id,
        amount: 5000,
        currency: 'EUR',
        recipient: 'acct_1Closed',
        status: 'failed',
        failureReason: 'The bank account has been closed.',
        failureCode: 'account_closed',
      }),
    });
    assertBuiltinEvent(mapped);
    // A code without a message still reads as a reason.
    const silent = fake.state.addPayout({ amount: 5000, status: 'failed', failureCode: 'no_account', failureMessage: null });
    const [fromCode] = await harness().webhookToEvents(deliver(connectEvent('payout.failed', silent, 'acct_1Closed')));
    expect((fromCode.data as Json).failureReason).toMatch(/no account/i);
    assertBuiltinEvent(fromCode);
  });

  it('treats payout.canceled as a failed payout (the money never reached the bank)', async () => {
    const payout = fake.state.addPayout({ amount: 900, status: 'canceled' });
    const [mapped] = await harness().webhookToEvents(deliver(connectEvent('payout.canceled', payout, 'acct_1Creator')));
    expect(mapped).toMatchObject({
      event: 'payout.failed',
      data: { payoutId: payout.id, status: 'canceled', failureReason: expect.stringContaining('canceled') },
    });
    assertBuiltinEvent(mapped);
  });

  it('maps the platform’s own payout (no account on the event) without a recipient, and ISK back to the ISO minor unit', async () => {
    const payout = fake.state.addPayout({ amount: 490000, currency: 'isk' });
    const [mapped] = await harness().webhookToEvents(deliver(stripeEvent('payout.paid', payout), WEBHOOK_SECRET));
    expect(mapped.data).toMatchObject({ payoutId: payout.id, amount: 4900, currency: 'ISK' });
    expect(mapped.data).not.toHaveProperty('recipient');
    assertBuiltinEvent(mapped);
  });

  it('emits nothing for a payout object it cannot read, and logs why', async () => {
    const h = harness();
    expect(await h.webhookToEvents(deliver(connectEvent('payout.paid', { id: 'po_1', object: 'payout', amount: 12.5, currency: 'usd' }, 'acct_1A')))).toEqual(
      [],
    );
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('payout') })]);
  });

  it('logs account.updated (onboarding progress) and emits no event', async () => {
    const account = await onboardedAccount();
    const h = harness();
    const event = connectEvent('account.updated', fake.state.accounts.get(account)!.account, account);
    expect(await h.webhookVerify(deliver(event))).toBe(true);
    expect(await h.webhookToEvents(deliver(event))).toEqual([]);
    expect(h.logs).toEqual([
      {
        level: 'info',
        message: expect.stringContaining('account updated'),
        fields: expect.objectContaining({
          stripeAccountId: account,
          payoutsEnabled: true,
          detailsSubmitted: true,
          transfersCapability: 'active',
          currentlyDue: 0,
        }),
      },
    ]);
  });

  it('stripe_connect maps the connected account’s own payout, as Stripe answers it, with provider stripe_connect', async () => {
    const creator = fake.state.addConnectedAccount({ name: 'Standard payee', country: 'JP', defaultCurrency: 'jpy' });
    const token = fake.state.mintConnectToken(creator.account.id);
    const payout = fake.state.addPayout({ account: creator.account.id, amount: 8000, currency: 'jpy' });
    const posted = fake.state.addEvent('payout.paid', payout, { account: creator.account.id });
    const h = createHarness(plugin, {
      provider: 'stripe_connect',
      credentials: { accessToken: token.access_token, raw: token },
      integration: { metadata: { stripeAccountId: creator.account.id } },
      http: forwardTo(fake.origins),
    });
    const [mapped] = await h.webhookToEvents({ headers: {}, rawBody: JSON.stringify({ ...posted, data: { object: { ...payout, amount: 1 } } }) });
    expect(mapped).toMatchObject({
      event: 'payout.paid',
      data: { payoutId: payout.id, provider: 'stripe_connect', amount: 8000, currency: 'JPY', recipient: creator.account.id },
    });
    assertBuiltinEvent(mapped);
  });
});
