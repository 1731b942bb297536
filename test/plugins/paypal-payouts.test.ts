import { BUILTIN_EVENT_TYPES } from '../../src/modules/events/builtin-event-types.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import {
  PAYPAL_TEST_APP,
  paypalCaptureEvent,
  paypalPayoutItemEvent,
  startFakePayPal,
  type FakePayPal,
  type FakePayPalPayoutBatch,
} from '../fixtures/providers/paypal.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const CREDENTIALS = { clientId: PAYPAL_TEST_APP.clientId, clientSecret: PAYPAL_TEST_APP.clientSecret };
const SANDBOX = { environment: 'sandbox', apiHost: 'api-m.sandbox.paypal.com', appId: PAYPAL_TEST_APP.appId };
/** A REST app whose account has no Payouts permission. */
const NO_PAYOUTS_APP = {
  clientId: 'AZnoPayoutsApp0000000000000000000000000000000000000000000000000000000000000001',
  clientSecret: 'EZnoPayoutsSecret00000000000000000000000000000000000000000000000000000000000001',
  appId: 'APP-6XR95014SS315863X',
  payouts: false,
};
const SPEAKER = { receiver: 'speaker@example.com', amount: 1999, currency: 'USD', note: 'Thanks for the keynote', senderItemId: 'talk-17' };
const PAYOUT_ITEM_EVENTS = [
  'PAYMENT.PAYOUTS-ITEM.SUCCEEDED',
  'PAYMENT.PAYOUTS-ITEM.FAILED',
  'PAYMENT.PAYOUTS-ITEM.RETURNED',
  'PAYMENT.PAYOUTS-ITEM.BLOCKED',
  'PAYMENT.PAYOUTS-ITEM.DENIED',
  'PAYMENT.PAYOUTS-ITEM.REFUNDED',
  'PAYMENT.PAYOUTS-ITEM.CANCELED',
];

let plugin: PluginDefinition;
let paypal: Json;
let fake: FakePayPal;
let batches = 0;

beforeAll(async () => {
  plugin = await loadBundledPlugin('paypal');
  paypal = plugin.providers[0];
  fake = await startFakePayPal({ apps: [PAYPAL_TEST_APP, NO_PAYOUTS_APP] });
});
afterAll(() => fake.close());
afterEach(() => fake.state.balances.clear());

interface Options {
  credentials?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}
const harness = ({ credentials = CREDENTIALS, settings = {}, metadata = SANDBOX }: Options = {}) =>
  createHarness(plugin, { provider: 'paypal', credentials, settings, integration: { metadata }, http: forwardTo(fake.origins) });
const action = (name: string, input: unknown, options?: Options) => harness(options).action<Json>(name, input);
const since = (count: number) => fake.state.requests.slice(count);
const uniqueBatchId = () => `payroll-${Date.now()}-${(batches += 1)}`;
const batchOf = (id: string): FakePayPalPayoutBatch => fake.state.payouts.get(id)!;
const schemaOf = (type: string) => createSchemaCompiler().compile(BUILTIN_EVENT_TYPES.find((definition) => definition.type === type)!.schema);

describe('paypal payouts: declaration', () => {
  it('declares createPayout and getPayout with strict schemas, PayPal’s 15,000-item limit and recipient types', () => {
    const ajv = createSchemaCompiler();
    const create = ajv.compile(paypal.actions.createPayout.inputSchema);
    const get = ajv.compile(paypal.actions.getPayout.inputSchema);
    const payout = (item: Json, extra: Json = {}) => create({ items: [item], ...extra });

    expect(paypal.actions.createPayout.inputSchema.properties.items.maxItems).toBe(15_000);
    expect(payout(SPEAKER, { batchId: 'payroll-2026-03', emailSubject: 'Your speaker fee', emailMessage: 'Thanks!' })).toBe(true);
    expect(payout({ receiver: '+44 7700 900123', recipientType: 'PHONE', amount: 500, currency: 'GBP' })).toBe(true);
    expect(payout({ receiver: 'G83JXTJ5EHCQ2', recipientType: 'PAYPAL_ID', amount: 500, currency: 'jpy' })).toBe(true);
    expect(payout({ receiver: 'speaker@example.com', recipientType: 'EMAIL', amount: 1, currency: 'EUR' })).toBe(true);

    expect(create({ items: [] })).toBe(false);
    expect(create({ items: Array.from({ length: 15_001 }, () => SPEAKER) })).toBe(false);
    expect(create({ items: [SPEAKER], extra: true })).toBe(false);
    expect(payout({ ...SPEAKER, amount: 19.99 })).toBe(false);
    expect(payout({ ...SPEAKER, amount: 0 })).toBe(false);
    expect(payout({ ...SPEAKER, currency: 'US' })).toBe(false);
    expect(payout({ ...SPEAKER, receiver: 'G83JXTJ5EHCQ2' })).toBe(false); // an account ID is not an email
    expect(payout({ ...SPEAKER, receiver: 'g83jxtj5ehcq2', recipientType: 'PAYPAL_ID' })).toBe(false);
    expect(payout({ ...SPEAKER, receiver: 'call me', recipientType: 'PHONE' })).toBe(false);
    expect(payout({ ...SPEAKER, recipientType: 'USER_HANDLE' })).toBe(false);
    expect(payout({ ...SPEAKER, note: 'x'.repeat(1001) })).toBe(false);
    expect(payout({ ...SPEAKER, senderItemId: 'x'.repeat(64) })).toBe(false);
    expect(payout({ ...SPEAKER, iban: 'DE89370400440532013000' })).toBe(false);
    expect(payout(SPEAKER, { batchId: 'payroll 2026' })).toBe(false);
    expect(payout(SPEAKER, { batchId: 'p'.repeat(101) })).toBe(false);
    expect(payout(SPEAKER, { emailSubject: 's'.repeat(256) })).toBe(false);

    expect(get({ payoutBatchId: 'Q8KVJG9TZTNN4', page: 2, pageSize: 50 })).toBe(true);
    expect(get({ payoutBatchId: 'q8kvjg9tztnn4' })).toBe(false);
    expect(get({ payoutBatchId: 'Q8KVJG9TZTNN4', pageSize: 1001 })).toBe(false);
    expect(get({})).toBe(false);
  });
});

describe('paypal payouts: createPayout', () => {
  it('sends one batch with amounts in PayPal’s decimals by each currency’s exponent (USD cents, JPY yen, HUF fillér)', async () => {
    const batchId = uniqueBatchId();
    const before = fake.state.requests.length;
    const result = await action('createPayout', {
      batchId,
      emailSubject: 'Your speaker fee',
      items: [
        SPEAKER,
        { receiver: 'G83JXTJ5EHCQ2', recipientType: 'PAYPAL_ID', amount: 500, currency: 'jpy' },
        { receiver: '+36 30 123 4567', recipientType: 'PHONE', amount: 150000, currency: 'HUF' },
      ],
    });
    const [, posted] = since(before);
    expect(posted).toMatchObject({ method: 'POST', path: '/v1/payments/payouts' });
    expect(posted.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(posted.headers['paypal-request-id']).toBe(`payout-${batchId}`);
    expect(posted.body).toEqual({
      sender_batch_header: { sender_batch_id: batchId, email_subject: 'Your speaker fee' },
      items: [
        {
          recipient_type: 'EMAIL',
          amount: { value: '19.99', currency: 'USD' },
          receiver: 'speaker@example.com',
          note: 'Thanks for the keynote',
          sender_item_id: 'talk-17',
        },
        { recipient_type: 'PAYPAL_ID', amount: { value: '500', currency: 'JPY' }, receiver: 'G83JXTJ5EHCQ2' },
        { recipient_type: 'PHONE', amount: { value: '1500', currency: 'HUF' }, receiver: '+36 30 123 4567' },
      ],
    });
    expect(result).toEqual({
      payoutBatchId: expect.stringMatching(/^[A-Z0-9]{13}$/),
      batchStatus: 'PENDING',
      batchId,
      itemCount: 3,
      replayed: false,
      createdAt: expect.any(String),
    });
    expect(batchOf(result.payoutBatchId).items.map((item) => [item.currency, item.units])).toEqual([
      ['USD', 1999],
      ['JPY', 500],
      ['HUF', 1500],
    ]);
  });

  it('refuses before calling PayPal an amount PayPal cannot express or a currency it does not take, naming the item', async () => {
    const before = fake.state.requests.length;
    await expect(action('createPayout', { items: [SPEAKER, { ...SPEAKER, amount: 150050, currency: 'HUF' }] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^items\[1\]: PayPal takes HUF amounts without decimals: 150050 .* use a multiple of 100\.$/),
    });
    await expect(action('createPayout', { items: [{ ...SPEAKER, amount: 1000, currency: 'KWD' }] })).rejects.toMatchObject({
      message: expect.stringMatching(/^items\[0\]: PayPal does not accept KWD \(PayPal supports no three-decimal currency\)/),
    });
    expect(fake.state.requests).toHaveLength(before);
  });

  it('is idempotent through batchId: a repeat answers the batch already made, and never pays twice', async () => {
    const batchId = uniqueBatchId();
    const input = { batchId, items: [SPEAKER, { ...SPEAKER, receiver: 'panelist@example.com', amount: 2500, senderItemId: 'talk-18' }] };
    const first = await action('createPayout', input);
    const before = fake.state.requests.length;
    const again = await action('createPayout', input);
    expect(again).toEqual({ ...first, replayed: true });
    const [, repeated, read] = since(before);
    expect(repeated.headers['paypal-request-id']).toBe(`payout-${batchId}`);
    expect(repeated.body).toMatchObject({ sender_batch_header: { sender_batch_id: batchId } });
    expect(read).toMatchObject({ method: 'GET', path: `/v1/payments/payouts/${first.payoutBatchId}`, query: { total_required: 'true' } });
    expect([...fake.state.payouts.values()].filter((batch) => batch.senderBatchId === batchId)).toHaveLength(1);

    // The same batchId for a different payout: PayPal's original batch is not passed off as the new one.
    await expect(action('createPayout', { batchId, items: [{ ...SPEAKER, amount: 5000 }] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `batchId ${batchId} was already used in the last 30 days for another payout (PayPal batch ${first.payoutBatchId}: 2 items, 4499 USD in minor units): nothing was paid. Use a new batchId for a new payout.`,
    });
    await expect(action('createPayout', { batchId, items: [{ ...SPEAKER, amount: 1998 }, input.items[1]] })).rejects.toMatchObject({
      message: expect.stringContaining(`another payout (PayPal batch ${first.payoutBatchId}`),
    });
    expect([...fake.state.payouts.values()].filter((batch) => batch.senderBatchId === batchId)).toHaveLength(1);
  });

  it('generates a batch ID when none is given (both PayPal keys derived from it) and returns it for retries', async () => {
    const before = fake.state.requests.length;
    const one = await action('createPayout', { items: [SPEAKER] });
    const two = await action('createPayout', { items: [SPEAKER] });
    expect(one.batchId).toMatch(/^plugboard-[0-9a-f-]{36}$/);
    expect(two.batchId).not.toBe(one.batchId);
    expect(two.payoutBatchId).not.toBe(one.payoutBatchId);
    const posts = since(before).filter((request) => request.path === '/v1/payments/payouts');
    expect(posts.map((request) => request.headers['paypal-request-id'])).toEqual([`payout-${one.batchId}`, `payout-${two.batchId}`]);
    expect(posts.map((request) => (request.body as Json).sender_batch_header.sender_batch_id)).toEqual([one.batchId, two.batchId]);
  });

  it('turns PayPal’s refusals into actionable messages: VALIDATION_ERROR details, INSUFFICIENT_FUNDS, no Payouts permission, 429', async () => {
    // The schema would refuse this receiver; sent anyway, PayPal's own answer comes back.
    await expect(action('createPayout', { items: [SPEAKER, { ...SPEAKER, receiver: 'not-an-email' }] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Receiver is invalid or does not match with type at items\[1\]\.receiver \(VALIDATION_ERROR, debug_id [0-9a-f]+\)$/),
    });

    fake.state.balances.set('EUR', 1500);
    await expect(action('createPayout', { items: [{ ...SPEAKER, amount: 2000, currency: 'EUR' }] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^INSUFFICIENT_FUNDS: Sender does not have sufficient funds\. Please add funds and retry\. \(debug_id [0-9a-f]+\)$/),
    });
    expect([...fake.state.payouts.values()].some((batch) => batch.items.some((item) => item.currency === 'EUR'))).toBe(false);
    await expect(action('createPayout', { items: [{ ...SPEAKER, amount: 1500, currency: 'EUR' }] })).resolves.toMatchObject({ batchStatus: 'PENDING' });
    expect(fake.state.balances.get('EUR')).toBe(0);

    const noPayouts = { credentials: { clientId: NO_PAYOUTS_APP.clientId, clientSecret: NO_PAYOUTS_APP.clientSecret } };
    await expect(action('createPayout', { items: [SPEAKER] }, noPayouts)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^AUTHORIZATION_ERROR: Authorization error occurred\. \(debug_id [0-9a-f]+\)\. PayPal refuses payouts .*Payouts must be enabled/,
      ),
    });

    fake.state.rateLimit(1, 3);
    await expect(action('createPayout', { items: [SPEAKER] })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 3 });
  });
});

describe('paypal payouts: getPayout', () => {
  it('reads the batch and its items with PayPal’s statuses, amounts and fees back in minor units, and why items failed', async () => {
    const created = await action('createPayout', {
      batchId: uniqueBatchId(),
      items: [
        SPEAKER,
        { ...SPEAKER, receiver: 'nobody@example.com', amount: 1000 },
        { receiver: 'ABCDEFGHJK234', recipientType: 'PAYPAL_ID', amount: 500, currency: 'USD' },
      ],
    });
    const pending = await action('getPayout', { payoutBatchId: created.payoutBatchId });
    expect(pending).toMatchObject({ batchStatus: 'PENDING', totalItems: 3, amount: 3499, currency: 'USD', fees: 0, nextPage: null });
    expect(pending.items.map((item: Json) => item.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: `/v1/payments/payouts/${created.payoutBatchId}`,
      query: { page: '1', page_size: '1000', total_required: 'true' },
    });

    const batch = fake.state.settlePayout(created.payoutBatchId, ['SUCCESS', 'UNCLAIMED', 'FAILED']);
    const settled = await action('getPayout', { payoutBatchId: created.payoutBatchId });
    expect(settled).toMatchObject({
      payoutBatchId: created.payoutBatchId,
      batchStatus: 'SUCCESS',
      batchId: created.batchId,
      amount: 3499,
      currency: 'USD',
      fees: 40 + 20,
      feesCurrency: 'USD',
      completedAt: expect.any(String),
      totalItems: 3,
      page: 1,
      nextPage: null,
    });
    expect(settled.items).toEqual([
      {
        payoutItemId: batch.items[0].id,
        transactionId: batch.items[0].transactionId,
        status: 'SUCCESS',
        recipientType: 'EMAIL',
        receiver: 'speaker@example.com',
        amount: 1999,
        currency: 'USD',
        fee: 40,
        feeCurrency: 'USD',
        senderItemId: 'talk-17',
        failureReason: null,
        processedAt: batch.items[0].timeProcessed,
      },
      expect.objectContaining({
        status: 'UNCLAIMED',
        amount: 1000,
        failureReason: expect.stringMatching(/^RECEIVER_UNREGISTERED: The recipient for this payout does not have an account\./),
      }),
      expect.objectContaining({
        status: 'FAILED',
        recipientType: 'PAYPAL_ID',
        amount: 500,
        transactionId: null,
        fee: 0,
        failureReason: "RECEIVER_ACCOUNT_INVALID: Receiver's account is invalid.",
      }),
    ]);
  });

  it('pages through items and reads JPY back in yen; a batch with no item paid is DENIED', async () => {
    const created = await action('createPayout', {
      items: [1, 2, 3].map((n) => ({ receiver: `guest${n}@example.com`, amount: 500 * n, currency: 'JPY' })),
    });
    const first = await action('getPayout', { payoutBatchId: created.payoutBatchId, pageSize: 2 });
    expect(first).toMatchObject({ totalItems: 3, page: 1, nextPage: 2, amount: 3000, currency: 'JPY' });
    expect(first.items.map((item: Json) => item.amount)).toEqual([500, 1000]);
    const second = await action('getPayout', { payoutBatchId: created.payoutBatchId, page: 2, pageSize: 2 });
    expect(second).toMatchObject({ page: 2, nextPage: null });
    expect(second.items.map((item: Json) => [item.receiver, item.amount, item.currency])).toEqual([['guest3@example.com', 1500, 'JPY']]);

    fake.state.settlePayout(created.payoutBatchId, ['FAILED', 'BLOCKED', 'FAILED']);
    expect(await action('getPayout', { payoutBatchId: created.payoutBatchId })).toMatchObject({ batchStatus: 'DENIED' });
  });

  it('refuses an unknown batch naming it', async () => {
    await expect(action('getPayout', { payoutBatchId: 'NOSUCHBATCH42' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^PayPal has no payout batch NOSUCHBATCH42 for this app \(INVALID_RESOURCE_ID: Requested resource ID was not found\. \(debug_id [0-9a-f]+\)\)/,
      ),
    });
  });
});

describe('paypal payouts: webhooks', () => {
  async function settledItems(outcomes: Parameters<FakePayPal['state']['settlePayout']>[1], items: Json[] = [SPEAKER]) {
    const created = await action('createPayout', { items });
    return fake.state.settlePayout(created.payoutBatchId, outcomes).items;
  }

  it('maps PAYMENT.PAYOUTS-ITEM.SUCCEEDED to payout.paid, valid against the built-in schema', async () => {
    const [item] = await settledItems(['SUCCESS']);
    const event = paypalPayoutItemEvent(item) as Json;
    const events = await harness().webhookToEvents({ rawBody: JSON.stringify(event) });
    expect(events).toEqual([
      {
        event: 'payout.paid',
        data: {
          payoutId: item.id,
          provider: 'paypal',
          amount: 1999,
          currency: 'USD',
          recipient: 'speaker@example.com',
          arrivalDate: item.timeProcessed,
          recipientType: 'EMAIL',
          payoutBatchId: item.batchId,
          batchId: item.senderBatchId,
          senderItemId: 'talk-17',
          transactionId: item.transactionId,
          status: 'SUCCESS',
          paypalEventId: event.id,
        },
      },
    ]);
    const valid = schemaOf('payout.paid');
    expect(valid(events[0].data)).toBe(true);
  });

  it('maps the item’s failed endings to payout.failed with PayPal’s errors as failureReason', async () => {
    const valid = schemaOf('payout.failed');
    const cases: Array<[string, Parameters<FakePayPal['state']['settlePayout']>[1], string | RegExp]> = [
      ['PAYMENT.PAYOUTS-ITEM.FAILED', ['FAILED'], "RECEIVER_ACCOUNT_INVALID: Receiver's account is invalid."],
      ['PAYMENT.PAYOUTS-ITEM.RETURNED', ['RETURNED'], /^RECEIVER_UNREGISTERED: The recipient for this payout does not have an account/],
      ['PAYMENT.PAYOUTS-ITEM.BLOCKED', ['BLOCKED'], /^RECEIVER_ACCOUNT_LOCKED: /],
      [
        'PAYMENT.PAYOUTS-ITEM.DENIED',
        [{ status: 'FAILED', errors: { name: 'RISK_DECLINE', message: 'Transaction declined due to risk.' } }],
        'RISK_DECLINE: Transaction declined due to risk.',
      ],
      ['PAYMENT.PAYOUTS-ITEM.REFUNDED', ['REFUNDED'], 'the recipient refunded the payout item (transaction_status REFUNDED)'],
      ['PAYMENT.PAYOUTS-ITEM.CANCELED', ['RETURNED'], /^RECEIVER_UNREGISTERED: /],
    ];
    for (const [type, outcome, reason] of cases) {
      const [item] = await settledItems(outcome, [{ ...SPEAKER, amount: 700, currency: 'JPY' }]);
      const event = paypalPayoutItemEvent(item, type) as Json;
      const [mapped, ...rest] = await harness().webhookToEvents({ body: event });
      expect(rest).toEqual([]);
      expect(mapped).toMatchObject({
        event: 'payout.failed',
        data: { payoutId: item.id, provider: 'paypal', amount: 700, currency: 'JPY', recipient: 'speaker@example.com', payoutBatchId: item.batchId },
      });
      expect((mapped.data as Json).failureReason).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
      expect(valid(mapped.data)).toBe(true);
    }
  });

  it('drops what is not an ending (UNCLAIMED, HELD, batch events, a SUCCEEDED item not SUCCESS) and keeps captures working', async () => {
    const [unclaimed, held] = await settledItems(['UNCLAIMED', 'ONHOLD'], [SPEAKER, { ...SPEAKER, receiver: 'held@example.com' }]);
    const h = harness();
    expect(await h.webhookToEvents({ body: paypalPayoutItemEvent(unclaimed) })).toEqual([]);
    expect(await h.webhookToEvents({ body: paypalPayoutItemEvent(held) })).toEqual([]);
    expect(await h.webhookToEvents({ body: { ...paypalPayoutItemEvent(unclaimed), event_type: 'PAYMENT.PAYOUTSBATCH.SUCCESS' } })).toEqual([]);
    expect(await h.webhookToEvents({ body: paypalPayoutItemEvent(unclaimed, 'PAYMENT.PAYOUTS-ITEM.SUCCEEDED') })).toEqual([]);
    const unreadable = paypalPayoutItemEvent(unclaimed, 'PAYMENT.PAYOUTS-ITEM.FAILED') as Json;
    unreadable.resource.payout_item.amount = { value: 'lots', currency: 'USD' };
    expect(await h.webhookToEvents({ body: unreadable })).toEqual([]);
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('cannot be read') });

    const created = await action('createOrder', {
      amount: 1500,
      currency: 'EUR',
      description: 'Ticket',
      returnUrl: 'https://events.example.com/paid',
      cancelUrl: 'https://events.example.com/cancelled',
    });
    fake.state.approve(created.orderId);
    const captured = await action('captureOrder', { orderId: created.orderId });
    const [completed] = await h.webhookToEvents({ body: paypalCaptureEvent(fake.state.captures.get(captured.captureId)!) });
    expect(completed).toMatchObject({ event: 'payment.completed', data: { paymentId: captured.captureId, amount: 1500, currency: 'EUR' } });
  });

  it('verifies a payout item delivery with PayPal like any other', async () => {
    const webhook = fake.state.addWebhook({ eventTypes: ['PAYMENT.CAPTURE.COMPLETED', ...PAYOUT_ITEM_EVENTS] });
    const [item] = await settledItems(['SUCCESS']);
    const rawBody = JSON.stringify(paypalPayoutItemEvent(item));
    const headers = fake.state.signWebhook(webhook.id, rawBody);
    const h = harness({ settings: { webhookId: webhook.id } });
    expect(await h.webhookVerify({ headers, rawBody, body: JSON.parse(rawBody) })).toBe(true);
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/v1/notifications/verify-webhook-signature',
      body: { webhook_event: { resource_type: 'payouts_item' } },
    });
    const tampered = rawBody.replace('"19.99"', '"199.99"');
    expect(await h.webhookVerify({ headers, rawBody: tampered, body: JSON.parse(tampered) })).toBe(false);
  });

  it('tells at verify whether the webhook receives payout results: info when none, a warning when only some', async () => {
    const verify = async (eventTypes: string[]) => {
      const webhook = fake.state.addWebhook({ eventTypes });
      const h = harness({ settings: { webhookId: webhook.id }, metadata: { environment: 'sandbox' } });
      const result = await h.verify();
      return { result, logs: h.logs.map((log: Json) => [log.level, log.message]) };
    };
    const capturesOnly = await verify(['PAYMENT.CAPTURE.COMPLETED']);
    expect(capturesOnly.result.metadata).toMatchObject({ webhookReceivesCaptures: true });
    expect(capturesOnly.logs).toEqual([['info', expect.stringContaining('subscribed to no payout item event')]]);

    const some = await verify(['PAYMENT.CAPTURE.COMPLETED', 'PAYMENT.PAYOUTS-ITEM.SUCCEEDED', 'PAYMENT.PAYOUTS-ITEM.FAILED']);
    expect(some.logs).toEqual([
      [
        'warn',
        'the PayPal webhook is not subscribed to PAYMENT.PAYOUTS-ITEM.RETURNED, PAYMENT.PAYOUTS-ITEM.BLOCKED, PAYMENT.PAYOUTS-ITEM.DENIED, PAYMENT.PAYOUTS-ITEM.REFUNDED, PAYMENT.PAYOUTS-ITEM.CANCELED: those payout results will not arrive',
      ],
    ]);

    expect((await verify(['PAYMENT.CAPTURE.COMPLETED', ...PAYOUT_ITEM_EVENTS])).logs).toEqual([]);
    expect((await verify(['*'])).logs).toEqual([]);
    const payoutsOnly = await verify(PAYOUT_ITEM_EVENTS);
    expect(payoutsOnly.logs).toEqual([['warn', expect.stringContaining('not subscribed to PAYMENT.CAPTURE.COMPLETED')]]);
  });
});
