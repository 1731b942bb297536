import { readdirSync } from 'node:fs';
import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../src/sdk/index.js';
import { providerOriginOverrides } from '../fixtures/providers/fake-http-server.js';
import { startFakeGoogleCalendar, type FakeGoogleCalendar, GOOGLE_CALENDAR_SCOPES } from '../fixtures/providers/google-calendar.js';
import { startFakeMailchimp, subscriberHash, type FakeMailchimp } from '../fixtures/providers/mailchimp.js';
import { SENDGRID_TEST_KEY, startFakeSendGrid, type FakeSendGrid } from '../fixtures/providers/sendgrid.js';
import { signStripeWebhook, startFakeStripe, stripeEvent, type FakeStripe } from '../fixtures/providers/stripe.js';
import { tempDir } from '../support/plugin-fixtures.js';
import type { Json } from '../support/bundled-plugins.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const STRIPE_KEY = 'sk_test_51BundledPluginsThroughTheHost';
const WEBHOOK_SECRET = 'whsec_Ym91bmRhcnktdGVzdA';
const integration = (metadata: Json = {}) => ({ id: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b', accountId: 'acct_bundled', livemode: false, metadata });

/**
 * The five first-party plugins as the host runs them: loaded from the repository's plugins/ by the
 * real loader, called through the PluginRunner (in child processes under Node's permission model, and
 * in-process), with ctx.http performed by the host's SafeHttp and PROVIDER_ORIGIN_OVERRIDES pointing
 * the real provider origins at the local fakes.
 */
describe.each(['process', 'none'])('bundled plugins in the host (PLUGIN_ISOLATION=%s)', (isolation) => {
  let t: TestApp;
  let runner: PluginRunner;
  let stripe: FakeStripe;
  let sendgrid: FakeSendGrid;
  let mailchimp: FakeMailchimp;
  let google: FakeGoogleCalendar;

  beforeAll(async () => {
    [stripe, sendgrid, mailchimp, google] = await Promise.all([
      startFakeStripe({ keys: [STRIPE_KEY] }),
      startFakeSendGrid(),
      startFakeMailchimp(),
      startFakeGoogleCalendar(),
    ]);
    t = await startTestApp({
      PLUGIN_ISOLATION: isolation,
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(stripe.origins, sendgrid.origins, mailchimp.origins, google.origins),
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([stripe, sendgrid, mailchimp, google].map((fake) => fake.close()));
  });

  it('loads every bundled plugin', async () => {
    const admin = await t.token({ sub: 'operator', admin: true });
    const response = await t.http.get('/v1/plugins?limit=100').set('Authorization', `Bearer ${admin}`);
    const bundled = response.body.data.filter((plugin: Json) => plugin.source === 'bundled');
    const folders = readdirSync('plugins', { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    // A folder's first provider is named after it; a plugin may declare more (stripe: stripe_connect).
    expect(bundled.map((plugin: Json) => [plugin.name, plugin.state, plugin.providers[0]])).toEqual(
      folders.sort().map((folder) => [`plugboard-plugin-${folder}`, 'loaded', folder.replace(/-/g, '_')]),
    );
  });

  it('stripe: verifies through the host’s HTTP client, refuses a bad key as 422, checks webhook signatures', async () => {
    const context = { credentials: { secretKey: STRIPE_KEY, webhookSecret: WEBHOOK_SECRET }, settings: {}, integration: integration() };
    await expect(runner.invoke<VerifyResult>('stripe', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: 'Acme Events',
      metadata: { stripeAccountId: 'acct_1FakeAccount0001', livemode: false },
    });
    expect(stripe.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${STRIPE_KEY}`);
    await expect(runner.invoke('stripe', { kind: 'verify', context: { ...context, credentials: { secretKey: 'sk_test_51Unknown' } } })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Invalid API Key provided: sk_test_****',
    });

    const payload = JSON.stringify(stripeEvent('payment_intent.succeeded', { id: 'pi_1', amount: 900, amount_received: 900, currency: 'usd' }));
    const inbound = (signature: string) => ({
      method: 'POST',
      headers: { 'stripe-signature': signature },
      query: {},
      rawBody: payload,
      body: JSON.parse(payload),
    });
    await expect(runner.invoke('stripe', { kind: 'webhookVerify', input: inbound(signStripeWebhook(payload, WEBHOOK_SECRET)), context })).resolves.toBe(true);
    await expect(runner.invoke('stripe', { kind: 'webhookVerify', input: inbound(signStripeWebhook(payload, 'whsec_other')), context })).resolves.toBe(false);
    await expect(runner.invoke('stripe', { kind: 'webhookToEvents', input: inbound(''), context })).resolves.toEqual([
      { event: 'payment.completed', data: expect.objectContaining({ paymentId: 'pi_1', amount: 900, currency: 'USD', provider: 'stripe' }) },
    ]);
  });

  it('sendgrid: sends mail with the key applied by the host', async () => {
    const context = { credentials: { apiKey: SENDGRID_TEST_KEY }, settings: { fromEmail: 'events@acme.test' }, integration: integration() };
    const result = await runner.invoke<Json>('sendgrid', {
      kind: 'action',
      name: 'sendEmail',
      input: { to: 'ana@example.com', subject: 'Hi', text: 'Hello' },
      context,
    });
    expect(result).toEqual({ accepted: true, messageId: sendgrid.state.sent.at(-1)!.messageId });
  });

  it('mailchimp: verify finds the data centre; later calls go to it, and registrants are added', async () => {
    mailchimp.state.oauth.registerClient({ clientId: 'mc', clientSecret: 'mc-secret' });
    const { accessToken } = mailchimp.state.oauth.mintTokens('mc');
    const audience = mailchimp.state.addList('Attendees');
    const connect = { credentials: { accessToken }, settings: {}, integration: integration() };
    const { metadata } = await runner.invoke<VerifyResult>('mailchimp', { kind: 'verify', context: connect });
    expect(metadata).toMatchObject({ dc: 'us6' });
    const context = { credentials: { accessToken }, settings: { listId: audience.id }, integration: integration(metadata) };
    const event = {
      id: 'evt_1',
      event: 'registration.received',
      timestamp: '2026-01-01T00:00:00Z',
      accountId: 'acct_bundled',
      livemode: false,
      data: { registrationId: 'r1', email: 'Bo@Example.com', name: 'Bo' },
    };
    await runner.invoke('mailchimp', { kind: 'onEvent', name: 'registration.received', input: event, context });
    expect(audience.members.get(subscriberHash('bo@example.com'))).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Bo' } });
    expect(mailchimp.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('google calendar: verifies and creates an event; a revoked grant is a 422', async () => {
    google.state.oauth.registerClient({ clientId: 'g', clientSecret: 'g-secret' });
    const { accessToken } = google.state.oauth.mintTokens('g', `${GOOGLE_CALENDAR_SCOPES.events} ${GOOGLE_CALENDAR_SCOPES.readonly}`);
    const context = { credentials: { accessToken, tokenType: 'Bearer' }, settings: {}, integration: integration() };
    await expect(runner.invoke<VerifyResult>('google_calendar', { kind: 'verify', context })).resolves.toMatchObject({ displayName: 'ana@acme.test' });
    const created = await runner.invoke<Json>('google_calendar', {
      kind: 'action',
      name: 'createEvent',
      input: { summary: 'Demo', start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z', eventKey: 's1' },
      context,
    });
    expect(created).toMatchObject({ summary: 'Demo', created: true });
    google.state.oauth.accessTokens.get(accessToken)!.revoked = true;
    await expect(runner.invoke('google_calendar', { kind: 'healthCheck', context })).rejects.toMatchObject({ status: 422, code: 'provider_rejected' });
  });

  it('ical feed: issues a feed token and renders sessions', async () => {
    const context = { credentials: {}, settings: {}, integration: integration() };
    const { metadata } = await runner.invoke<VerifyResult>('ical_feed', { kind: 'verify', context });
    expect(metadata!.feedToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const events = [{ id: 'e1', event: 'session.started', timestamp: '2026-01-01T10:00:00Z', data: { sessionId: 's1', title: 'Kick-off' } }];
    const feed = await runner.invoke<Json>('ical_feed', { kind: 'action', name: 'render', input: { events }, context });
    expect(feed.contentType).toBe('text/calendar; charset=utf-8');
    expect(feed.body).toContain('\r\nSUMMARY:Kick-off\r\n');
  });
});
