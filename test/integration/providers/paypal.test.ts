import type { VerifyResult } from '../../../src/sdk/index.js';
import { PAYPAL_TEST_APP, paypalCaptureEvent, startFakePayPal, type FakePayPal } from '../../fixtures/providers/paypal.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const INTEGRATION_ID = '6c1e2a3b-4d5f-4a6b-8c7d-9e0f1a2b3c4d';
const CREDENTIALS = { clientId: PAYPAL_TEST_APP.clientId, clientSecret: PAYPAL_TEST_APP.clientSecret };
const ORDER = {
  amount: 2500,
  currency: 'EUR',
  description: 'Masterclass ticket',
  returnUrl: 'https://events.example.com/paid',
  cancelUrl: 'https://events.example.com/cancelled',
  referenceId: 'reg_9',
};

/** The PayPal plugin as the host runs it: the real loader, a sandboxed child process, the host's token exchange and HTTP client. */
describe('paypal through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let paypal: FakePayPal;

  beforeAll(async () => {
    paypal = await startFakePayPal();
    host = await startProviderHost({ fakes: [paypal], integration: { id: INTEGRATION_ID, accountId: 'acct_paypal' } });
  });
  afterAll(() => host?.close());

  it('verifies, creates and captures an order, checks a webhook with PayPal, and refuses an unapproved capture as 422', async () => {
    const { runner } = host;
    const webhook = paypal.state.addWebhook({ url: `https://plugboard.example.com/v1/hooks/${INTEGRATION_ID}` });
    const settings = { webhookId: webhook.id };

    const verified = await runner.invoke<VerifyResult>('paypal', {
      kind: 'verify',
      context: host.context(CREDENTIALS, settings, { environment: 'sandbox' }),
    });
    expect(verified).toEqual({
      displayName: `PayPal sandbox (${PAYPAL_TEST_APP.appId})`,
      metadata: {
        apiHost: 'api-m.sandbox.paypal.com',
        appId: PAYPAL_TEST_APP.appId,
        webhookId: webhook.id,
        webhookUrl: webhook.url,
        webhookReceivesCaptures: true,
      },
    });

    // What the host keeps: the connection input and what verify reported.
    const context = host.context(CREDENTIALS, settings, { ...verified.metadata, environment: 'sandbox' });
    const before = paypal.state.requests.length;
    const created = await runner.invoke<Json>('paypal', { kind: 'action', name: 'createOrder', input: ORDER, context });
    const [token, create] = paypal.state.requests.slice(before);
    expect(token).toMatchObject({ method: 'POST', path: '/v1/oauth2/token', body: { grant_type: 'client_credentials' } });
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from(`${CREDENTIALS.clientId}:${CREDENTIALS.clientSecret}`).toString('base64')}`);
    expect(create).toMatchObject({
      method: 'POST',
      path: '/v2/checkout/orders',
      body: { purchase_units: [{ amount: { currency_code: 'EUR', value: '25.00' } }] },
    });
    expect(create.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(created).toMatchObject({ orderId: expect.any(String), approvalUrl: `https://www.sandbox.paypal.com/checkoutnow?token=${created.orderId}` });

    await expect(runner.invoke('paypal', { kind: 'action', name: 'captureOrder', input: { orderId: created.orderId }, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringMatching(/^ORDER_NOT_APPROVED: Payer has not yet approved the Order for payment\./),
    });

    paypal.state.approve(created.orderId);
    const captured = await runner.invoke<Json>('paypal', { kind: 'action', name: 'captureOrder', input: { orderId: created.orderId }, context });
    expect(captured).toMatchObject({ completed: true, amount: 2500, currency: 'EUR', referenceId: 'reg_9' });

    const rawBody = JSON.stringify(paypalCaptureEvent(paypal.state.captures.get(captured.captureId)!));
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody, body: JSON.parse(rawBody) });
    const headers = paypal.state.signWebhook(webhook.id, rawBody);
    await expect(runner.invoke('paypal', { kind: 'webhookVerify', input: inbound(headers), context })).resolves.toBe(true);
    expect(paypal.state.requests.at(-1)).toMatchObject({ path: '/v1/notifications/verify-webhook-signature', body: { webhook_id: webhook.id } });
    const forged = { ...headers, 'paypal-transmission-id': 'c2a1d5e0-0000-11ef-0000-000000000000' };
    await expect(runner.invoke('paypal', { kind: 'webhookVerify', input: inbound(forged), context })).resolves.toBe(false);
    await expect(runner.invoke('paypal', { kind: 'webhookToEvents', input: inbound(headers), context })).resolves.toEqual([
      { event: 'payment.completed', data: expect.objectContaining({ paymentId: captured.captureId, amount: 2500, currency: 'EUR', provider: 'paypal' }) },
    ]);
  });
});
