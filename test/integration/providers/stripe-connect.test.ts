import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { startFakeStripe, type FakeStripe } from '../../fixtures/providers/stripe.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, type TestApp } from '../../support/test-app.js';

const PLATFORM_KEY = 'sk_test_51PlatformKeyOfTheConnectHostTest';
const CLIENT_ID = 'ca_HostTestConnectPlatform0001';
const integration = (metadata: Json) => ({ id: '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d', accountId: 'acct_connect_host', livemode: false, metadata });

/**
 * Stripe Connect as the host runs it: the OAuth flow through Plugboard's own start and callback (the
 * code exchanged with the platform's secret key, stripe_user_id kept as token metadata), then the
 * plugin loaded from plugins/ by the real loader and called through the PluginRunner in a child
 * process, ctx.http performed by the host's SafeHttp, PROVIDER_ORIGIN_OVERRIDES pointing
 * api.stripe.com and connect.stripe.com at the local fake.
 */
describe('stripe connect in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeStripe;

  beforeAll(async () => {
    fake = await startFakeStripe({ keys: [PLATFORM_KEY] });
    fake.state.registerConnectClient({ clientId: CLIENT_ID });
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
      PLUGBOARD_OAUTH_STRIPE_CONNECT_CLIENT_ID: CLIENT_ID,
      PLUGBOARD_OAUTH_STRIPE_CONNECT_CLIENT_SECRET: PLATFORM_KEY,
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('connects an account through Connect OAuth, verifies it, sells a subscription, checks its events with Stripe and refuses an unknown price as 422', async () => {
    const creator = fake.state.addConnectedAccount({ name: 'Creator Studio', email: 'studio@example.com', country: 'JP', defaultCurrency: 'jpy' });
    fake.state.connect.approvingAccount = creator.account.id;
    const { ownerToken } = await createAccount(t);
    const started = await t.http.post('/v1/integrations/stripe_connect/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/back' });
    expect(started.status).toBe(200);
    const authorizationUrl = new URL(started.body.authorizationUrl);
    expect(authorizationUrl.pathname).toBe('/oauth/authorize');
    expect(Object.fromEntries(authorizationUrl.searchParams)).toMatchObject({ response_type: 'code', scope: 'read_write', client_id: CLIENT_ID });

    const atStripe = await fetch(authorizationUrl, { redirect: 'manual' });
    const callback = new URL(atStripe.headers.get('location')!);
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    expect(atPlugboard.status).toBe(302);
    expect(new URL(atPlugboard.headers.location, 'http://return.test').searchParams.get('status')).toBe('connected');
    const exchange = fake.state.requests.find((request) => request.path === '/oauth/token')!;
    expect(exchange.body).toMatchObject({ grant_type: 'authorization_code', client_secret: PLATFORM_KEY });

    const connected = await t.http.get('/v1/integrations/stripe_connect').set(bearer(ownerToken));
    expect(connected.status).toBe(200);
    expect(connected.body.metadata).toMatchObject({
      stripeAccountId: creator.account.id,
      country: 'JP',
      livemode: false,
      publishableKey: expect.stringMatching(/^pk_test_/),
    });

    // The runner, with the credentials the flow stored.
    const [accessToken] = [...fake.state.connect.tokens].find(([, issued]) => issued.accountId === creator.account.id)!;
    const context = {
      credentials: { accessToken, tokenType: 'bearer', raw: { livemode: false, stripe_user_id: creator.account.id, scope: 'read_write' } },
      settings: {},
      integration: integration({ stripeAccountId: creator.account.id }),
    };
    await expect(runner.invoke<VerifyResult>('stripe_connect', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: 'Creator Studio',
      metadata: { stripeAccountId: creator.account.id, defaultCurrency: 'jpy' },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const price = fake.state.addPrice({ currency: 'jpy', unitAmount: 1200, recurring: { interval: 'month' }, account: creator.account.id });
    const checkout = { successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/no' };
    const session = await runner.invoke<Json>('stripe_connect', {
      kind: 'action',
      name: 'createSubscriptionCheckout',
      input: { ...checkout, priceId: price.id },
      context,
    });
    expect(session).toMatchObject({
      mode: 'subscription',
      amountTotal: 1200,
      currency: 'JPY',
      url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
    });
    expect(creator.checkoutSessions[0].id).toBe(session.id);

    const event = fake.state.addEvent(
      'payment_intent.succeeded',
      { id: 'pi_host', object: 'payment_intent', amount: 1200, amount_received: 1200, currency: 'jpy' },
      { account: creator.account.id },
    );
    const inbound = (body: Json) => ({ method: 'POST', headers: {}, query: {}, rawBody: JSON.stringify(body), body });
    await expect(runner.invoke('stripe_connect', { kind: 'webhookVerify', input: inbound(event), context })).resolves.toBe(true);
    await expect(runner.invoke('stripe_connect', { kind: 'webhookVerify', input: inbound({ ...event, id: 'evt_forged' }), context })).resolves.toBe(false);
    await expect(runner.invoke('stripe_connect', { kind: 'webhookToEvents', input: inbound(event), context })).resolves.toEqual([
      {
        event: 'payment.completed',
        data: expect.objectContaining({ paymentId: 'pi_host', amount: 1200, currency: 'JPY', provider: 'stripe_connect', stripeAccountId: creator.account.id }),
      },
    ]);

    await expect(
      runner.invoke('stripe_connect', { kind: 'action', name: 'createSubscriptionCheckout', input: { ...checkout, priceId: 'price_x' }, context }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: "No such price: 'price_x'" });
  });
});
