import type { VerifyResult } from '../../../src/sdk/index.js';
import { PAYPAL_TEST_APP, paypalPayoutItemEvent, startFakePayPal, type FakePayPal } from '../../fixtures/providers/paypal.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const INTEGRATION_ID = '9a4f2c1d-7b3e-4c5a-8d6f-0e1b2c3d4e5f';
const CREDENTIALS = { clientId: PAYPAL_TEST_APP.clientId, clientSecret: PAYPAL_TEST_APP.clientSecret };
const PAYOUT = {
  batchId: 'speakers-2026-03',
  emailSubject: 'Your speaker fee',
  items: [
    { receiver: 'ana@example.com', amount: 25000, currency: 'EUR', senderItemId: 'talk-1' },
    { receiver: 'kenji@example.com', amount: 30000, currency: 'JPY', note: 'ありがとう', senderItemId: 'talk-2' },
  ],
};

/** PayPal Payouts as the host runs the plugin: a sandboxed child process, the host's token exchange and HTTP client. */
describe('paypal payouts through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let paypal: FakePayPal;

  beforeAll(async () => {
    paypal = await startFakePayPal();
    host = await startProviderHost({ fakes: [paypal], integration: { id: INTEGRATION_ID, accountId: 'acct_paypal_payouts' } });
  });
  afterAll(() => host?.close());

  it('sends a batch payout in minor units, repeats it without paying twice, reads it back and maps a verified item webhook to payout.paid', async () => {
    const { runner } = host;
    const webhook = paypal.state.addWebhook({
      url: `https://plugboard.example.com/v1/hooks/${INTEGRATION_ID}`,
      eventTypes: ['PAYMENT.PAYOUTS-ITEM.SUCCEEDED', 'PAYMENT.PAYOUTS-ITEM.FAILED', 'PAYMENT.PAYOUTS-ITEM.RETURNED'],
    });
    const settings = { webhookId: webhook.id };
    const verified = await runner.invoke<VerifyResult>('paypal', { kind: 'verify', context: host.context(CREDENTIALS, settings, { environment: 'sandbox' }) });
    expect(verified.metadata).toMatchObject({ apiHost: 'api-m.sandbox.paypal.com', webhookId: webhook.id, webhookReceivesCaptures: false });
    const context = host.context(CREDENTIALS, settings, { ...verified.metadata, environment: 'sandbox' });

    const before = paypal.state.requests.length;
    const created = await runner.invoke<Json>('paypal', { kind: 'action', name: 'createPayout', input: PAYOUT, context });
    const posted = paypal.state.requests.slice(before).find((request) => request.path === '/v1/payments/payouts')!;
    expect(posted.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(posted.headers['paypal-request-id']).toBe('payout-speakers-2026-03');
    expect(posted.body).toEqual({
      sender_batch_header: { sender_batch_id: 'speakers-2026-03', email_subject: 'Your speaker fee' },
      items: [
        { recipient_type: 'EMAIL', amount: { value: '250.00', currency: 'EUR' }, receiver: 'ana@example.com', sender_item_id: 'talk-1' },
        { recipient_type: 'EMAIL', amount: { value: '30000', currency: 'JPY' }, receiver: 'kenji@example.com', note: 'ありがとう', sender_item_id: 'talk-2' },
      ],
    });
    expect(created).toMatchObject({ batchStatus: 'PENDING', batchId: 'speakers-2026-03', itemCount: 2, replayed: false });

    const repeated = await runner.invoke<Json>('paypal', { kind: 'action', name: 'createPayout', input: PAYOUT, context });
    expect(repeated).toMatchObject({ payoutBatchId: created.payoutBatchId, replayed: true });
    expect(paypal.state.payouts.size).toBe(1);

    const batch = paypal.state.settlePayout(created.payoutBatchId, ['SUCCESS', 'UNCLAIMED']);
    const read = await runner.invoke<Json>('paypal', { kind: 'action', name: 'getPayout', input: { payoutBatchId: created.payoutBatchId }, context });
    expect(read).toMatchObject({ batchStatus: 'SUCCESS', totalItems: 2 });
    expect(read.items.map((item: Json) => [item.status, item.amount, item.currency])).toEqual([
      ['SUCCESS', 25000, 'EUR'],
      ['UNCLAIMED', 30000, 'JPY'],
    ]);

    const rawBody = JSON.stringify(paypalPayoutItemEvent(batch.items[0]));
    const inbound = { method: 'POST', headers: paypal.state.signWebhook(webhook.id, rawBody), query: {}, rawBody, body: JSON.parse(rawBody) };
    await expect(runner.invoke('paypal', { kind: 'webhookVerify', input: inbound, context })).resolves.toBe(true);
    await expect(runner.invoke('paypal', { kind: 'webhookToEvents', input: inbound, context })).resolves.toEqual([
      {
        event: 'payout.paid',
        data: expect.objectContaining({ payoutId: batch.items[0].id, provider: 'paypal', amount: 25000, currency: 'EUR', recipient: 'ana@example.com' }),
      },
    ]);
  });
});
