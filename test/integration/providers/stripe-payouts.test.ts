import { signStripeWebhook, startFakeStripe, stripeEvent, type FakeStripe } from '../../fixtures/providers/stripe.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';
import { bearer, createAccount } from '../../support/test-app.js';

const PLATFORM_KEY = 'sk_test_51PayoutsHostTestPlatformKey000';
const WEBHOOK_SECRET = 'whsec_aG9zdC1hY2NvdW50LWVuZHBvaW50';
const CONNECT_WEBHOOK_SECRET = 'whsec_aG9zdC1jb25uZWN0LWVuZHBvaW50';

/**
 * Stripe Connect payouts as the host runs them: the bundled plugin in a child process
 * (PLUGIN_ISOLATION=process) behind Plugboard's own API, PROVIDER_ORIGIN_OVERRIDES pointing
 * api.stripe.com at the fake; the payout webhook posted to the integration's hook URL, verified,
 * mapped and published through the event catalog (which validates the built-in payout schemas).
 */
describe('stripe payouts in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeStripe;

  beforeAll(async () => {
    fake = await startFakeStripe({ keys: [PLATFORM_KEY] });
    host = await startProviderHost({ fakes: [fake], integration: { id: '6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b', accountId: 'acct_payouts_host' } });
  });
  afterAll(() => host?.close());

  it('onboards a creator, pays them, refuses bad input as 400 and Stripe’s refusal as 422, and publishes a failed payout from a signed Connect webhook', async () => {
    const { t } = host;
    const { ownerToken } = await createAccount(t);
    const connected = await t.http
      .put('/v1/integrations/stripe')
      .set(bearer(ownerToken))
      .send({ credentials: { secretKey: PLATFORM_KEY, webhookSecret: WEBHOOK_SECRET, connectWebhookSecret: CONNECT_WEBHOOK_SECRET } });
    expect(connected.status).toBe(200);
    const run = (name: string, input: Json) => t.http.post(`/v1/integrations/stripe/actions/${name}`).set(bearer(ownerToken)).send({ input });

    const created = await run('createConnectedAccount', { email: 'creator@example.com', country: 'GB', idempotencyKey: 'creator_1-account' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^acct_/),
      payoutsEnabled: false,
      detailsSubmitted: false,
      transfersCapability: 'inactive',
    });
    const account = created.body.id as string;
    expect(fake.state.requests.at(-1)!.body).toMatchObject({ 'controller[stripe_dashboard][type]': 'express', 'capabilities[transfers][requested]': 'true' });

    const link = await run('createAccountLink', { accountId: account, refreshUrl: 'https://app.example.com/r', returnUrl: 'https://app.example.com/done' });
    expect(link.status).toBe(200);
    expect(link.body.url).toMatch(new RegExp(`^https://connect\\.stripe\\.com/setup/e/${account}/`));

    // Before onboarding Stripe refuses the transfer; the schema refuses a fractional amount before any call.
    const early = await run('createTransfer', { amount: 1500, currency: 'EUR', destination: account });
    expect(early).toMatchObject({ status: 422, body: { code: 'provider_rejected', detail: expect.stringContaining('capabilities enabled: transfers') } });
    const before = fake.state.requests.length;
    const fractional = await run('createTransfer', { amount: 15.5, currency: 'EUR', destination: account });
    expect(fractional.status).toBe(400);
    expect(fake.state.requests.length).toBe(before);

    fake.state.completeOnboarding(account);
    const paid = await run('createTransfer', { amount: 1500, currency: 'EUR', destination: account, idempotencyKey: 'payout_1' });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ id: expect.stringMatching(/^tr_/), amount: 1500, currency: 'EUR', destination: account });
    const sent = fake.state.requests.at(-1)!;
    expect(sent.body).toMatchObject({ amount: '1500', currency: 'eur', destination: account });
    expect(sent.headers).toMatchObject({ authorization: `Bearer ${PLATFORM_KEY}`, 'idempotency-key': 'payout_1', 'stripe-version': '2024-06-20' });

    const payout = fake.state.addPayout({
      account,
      amount: 1500,
      currency: 'eur',
      status: 'failed',
      failureCode: 'no_account',
      failureMessage: 'The bank account details on file are incorrect.',
    });
    const payload = JSON.stringify({ ...stripeEvent('payout.failed', payout), account });
    const hook = (secret: string) =>
      t.http
        .post(`/v1/hooks/${connected.body.id}`)
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signStripeWebhook(payload, secret))
        .send(payload);
    expect((await hook('whsec_bm90LXRoZS1zZWNyZXQ')).status).toBe(401);
    const accepted = await hook(CONNECT_WEBHOOK_SECRET);
    expect(accepted.status).toBe(200);
    expect(accepted.body.received).toBe(1);
    const events = await t.http.get('/v1/events?event=payout.failed').set(bearer(ownerToken));
    expect(events.body.data).toHaveLength(1);
    expect(events.body.data[0].data).toMatchObject({
      payoutId: payout.id,
      provider: 'stripe',
      amount: 1500,
      currency: 'EUR',
      recipient: account,
      failureReason: 'The bank account details on file are incorrect.',
      failureCode: 'no_account',
    });
  });
});
