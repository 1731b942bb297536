import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { NoticeWatch } from '../../src/modules/onboarding/notices/notice-watch.js';
import { startFakeSlack, type FakeSlack, type SlackApp } from '../fixtures/providers/slack.js';
import {
  providerOriginOverrides,
  SENDGRID_TEST_KEY,
  startFakeGoogleCalendar,
  startFakeMailchimp,
  startFakeSendGrid,
  startFakeStripe,
  type FakeGoogleCalendar,
  type FakeMailchimp,
  type FakeSendGrid,
  type FakeStripe,
} from '../fixtures/providers/index.js';
import { tempDir } from '../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, uniqueId, type TestApp } from '../support/test-app.js';
import { eventually } from '../support/waiting.js';

const STRIPE_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';
const GOOGLE_CLIENT = { clientId: 'plugboard-google-client', clientSecret: 'google-client-secret-123' };
const MAILCHIMP_CLIENT = { clientId: 'plugboard-mailchimp-client', clientSecret: 'mailchimp-client-secret-123' };

/** Notices emailed with SendGrid, retried twice one second apart. */
const TEMPLATE = `
steps:
  - key: payments
    title: Payments
    providers:
      stripe: required
notices:
  syncFailures: 3
  retrySchedule: [1s, 1s]
  email:
    sendgrid: { action: sendEmail, input: { to: '{to}', fromEmail: '{from}', subject: '{subject}', text: '{text}' } }
`;

/** Follows the browser part of an OAuth flow: the provider's authorize endpoint, then Plugboard's callback. */
async function authorizeInBrowser(t: TestApp, authorizationUrl: string): Promise<void> {
  const atProvider = await fetch(authorizationUrl, { redirect: 'manual' });
  const callback = new URL(atProvider.headers.get('location')!);
  const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
  expect(new URL(atPlugboard.headers.location, 'http://return.test').searchParams.get('status')).toBe('connected');
}

describe('notices when a connection needs attention', () => {
  let t: TestApp;
  let stripe: FakeStripe;
  let sendgrid: FakeSendGrid;
  let slack: FakeSlack;
  let slackApp: SlackApp;
  let google: FakeGoogleCalendar;
  let mailchimp: FakeMailchimp;
  let db: pg.Client;
  let watch: NoticeWatch;
  let accountId: string;
  let ownerToken: string;
  const members: Record<'ana' | 'bo' | 'dev', { userId: string; email: string; token: string }> = {} as never;

  beforeAll(async () => {
    [stripe, sendgrid, slack, google, mailchimp] = await Promise.all([
      startFakeStripe({ keys: [STRIPE_KEY] }),
      startFakeSendGrid(),
      startFakeSlack(),
      startFakeGoogleCalendar(),
      startFakeMailchimp(),
    ]);
    google.state.oauth.registerClient({ ...GOOGLE_CLIENT });
    mailchimp.state.oauth.registerClient({ ...MAILCHIMP_CLIENT });
    slackApp = slack.state.registerApp();
    slack.state.addChannel('alerts');
    const template = join(tempDir('plugboard-notices-'), 'onboarding.yaml');
    writeFileSync(template, TEMPLATE);
    t = await startTestApp({
      ONBOARDING_FILE: template,
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PLUGIN_ISOLATION: 'none',
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(stripe.origins, sendgrid.origins, slack.origins, google.origins, mailchimp.origins),
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_ID: GOOGLE_CLIENT.clientId,
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
      PLUGBOARD_OAUTH_MAILCHIMP_CLIENT_ID: MAILCHIMP_CLIENT.clientId,
      PLUGBOARD_OAUTH_MAILCHIMP_CLIENT_SECRET: MAILCHIMP_CLIENT.clientSecret,
      PLUGBOARD_OAUTH_SLACK_CLIENT_ID: slackApp.clientId,
      PLUGBOARD_OAUTH_SLACK_CLIENT_SECRET: slackApp.clientSecret,
    });
    watch = t.app.get(NoticeWatch);
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();

    ({ accountId, ownerToken } = await createAccount(t));
    for (const [name, role] of [
      ['ana', 'admin'],
      ['bo', 'admin'],
      ['dev', 'developer'],
    ] as const) {
      const userId = uniqueId(name);
      const email = `${name}@acme.test`;
      const added = await t.http.post('/v1/members').set(bearer(ownerToken)).send({ userId, email, role });
      expect(added.status).toBe(201);
      members[name] = { userId, email, token: await t.token({ sub: userId, account: accountId }) };
    }
    const sendgridConnected = await t.http
      .put('/v1/integrations/sendgrid')
      .set(bearer(ownerToken))
      .send({ credentials: { apiKey: SENDGRID_TEST_KEY }, settings: { fromEmail: 'events@acme.test' } });
    expect(sendgridConnected.status).toBe(200);
    // Slack posts notices itself: its connection routes integration.attention_needed to #alerts.
    const slackStarted = await t.http
      .post('/v1/integrations/slack/oauth/start')
      .set(bearer(ownerToken))
      .send({ returnUrl: '/settings', settings: { notifications: { 'integration.attention_needed': { channel: '#alerts' } } } });
    expect(slackStarted.status).toBe(200);
    await authorizeInBrowser(t, slackStarted.body.authorizationUrl);
    expect((await t.http.patch('/v1/integrations/slack').set(bearer(ownerToken)).send({ autoSync: true })).body).toMatchObject({
      status: 'connected',
      autoSync: true,
    });
    const settings = await t.http.put('/v1/notices/settings').set(bearer(ownerToken)).send({ emailProvider: 'sendgrid' });
    expect(settings.body).toEqual({ emailProvider: 'sendgrid', emailFrom: null, emailProviders: ['sendgrid'] });
    // Bo hears of everything but refused credentials.
    const muted = await t.http
      .put('/v1/notices/preferences')
      .set(bearer(members.bo.token))
      .send({ mutedCauses: ['error'] });
    expect(muted.body).toEqual({ email: true, mutedCauses: ['error'], mutedProviders: [] });
    expect(
      (
        await t.http
          .put('/v1/integrations/stripe')
          .set(bearer(ownerToken))
          .send({ credentials: { secretKey: STRIPE_KEY } })
      ).status,
    ).toBe(200);
  });
  // A test that fails midway leaves the fakes as the next one expects them.
  afterEach(() => {
    sendgrid.state.verifiedSenders.add('events@acme.test');
    stripe.state.validKeys.add(STRIPE_KEY);
    stripe.state.outage = null;
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await Promise.all([stripe, sendgrid, slack, google, mailchimp].map((fake) => fake?.close()));
  });

  const openNotices = async (query: string) => (await t.http.get(`/v1/notices?status=open&${query}`).set(bearer(ownerToken))).body.data as any[];
  const waitForNotice = async (query: string) =>
    (
      await eventually(
        () => openNotices(query),
        (notices) => notices.length > 0,
      )
    )[0];
  const notice = async (id: string) => (await t.http.get(`/v1/notices/${id}`).set(bearer(ownerToken))).body;
  const delivered = (id: string, count: number) =>
    eventually(
      () => notice(id),
      (body) => body.deliveries.filter((delivery: any) => delivery.status === 'sent').length >= count,
    );
  const mailsAbout = (text: string) =>
    sendgrid.state.sent.filter((mail) => String(mail.body.subject).includes(text)).flatMap((mail) => mail.body.personalizations.map((p: any) => p.to[0].email));

  it('opens one notice when the provider refuses a connection, emails managers (retrying a refused send) and Slack posts it; a passing health check closes it and says so', async () => {
    // SendGrid refuses mail until the sender is verified again.
    sendgrid.state.verifiedSenders.delete('events@acme.test');
    stripe.state.validKeys.delete(STRIPE_KEY);
    const checked = await t.http.post('/v1/integrations/stripe/health-check').set(bearer(ownerToken));
    // The state change answers at once, whatever becomes of the messages.
    expect(checked.body.status).toBe('error');

    const opened = await waitForNotice('provider=stripe&cause=error');
    expect(opened).toMatchObject({
      provider: 'stripe',
      status: 'open',
      closedAt: null,
      message: expect.stringMatching(/^Re-connect Stripe or update its credentials: the provider refused them \(.+\)$/),
    });
    const events = await t.http.get('/v1/events?event=integration.attention_needed').set(bearer(ownerToken));
    expect(events.body.data.map((event: any) => event.data)).toContainEqual(
      expect.objectContaining({ noticeId: opened.id, connectionId: opened.connectionId, cause: 'error', message: opened.message }),
    );

    const refused = await eventually(
      () => notice(opened.id),
      (body) => body.deliveries[0]?.lastError !== null && body.deliveries[0]?.lastError !== undefined,
    );
    expect(refused.deliveries).toEqual([
      expect.objectContaining({ status: 'pending', lastError: expect.stringMatching(/^from: The from address does not match a verified Sender Identity/) }),
    ]);
    sendgrid.state.verifiedSenders.add('events@acme.test');
    // The retry a second later went out.
    const sent = await delivered(opened.id, 1);
    expect(sent.deliveries).toEqual([
      expect.objectContaining({ kind: 'opened', provider: 'sendgrid', memberId: members.ana.userId, status: 'sent', attempts: 2, lastError: null }),
    ]);
    // Managers only, and not those who muted the cause.
    expect(mailsAbout('Re-connect Stripe')).toEqual(['ana@acme.test']);
    // Slack's own routing posted it to #alerts.
    const posted = await eventually(
      () => Promise.resolve(slack.state.messages.filter((message) => message.text?.includes('Re-connect Stripe'))),
      (messages) => messages.length > 0,
    );
    expect(posted).toEqual([expect.objectContaining({ channel: slack.state.channels[0].id, text: `:bell: *stripe* needs attention: ${opened.message}` })]);

    // The same cause never opens a second notice.
    await t.http.post('/v1/integrations/stripe/health-check').set(bearer(ownerToken));
    await watch.processSignals();
    expect(await openNotices('provider=stripe')).toHaveLength(1);

    stripe.state.validKeys.add(STRIPE_KEY);
    expect((await t.http.post('/v1/integrations/stripe/health-check').set(bearer(ownerToken))).body.status).toBe('connected');
    expect((await watch.scan()).closed).toBe(1);
    const closed = await notice(opened.id);
    expect(closed).toMatchObject({ status: 'closed', resolution: 'recovered', resolutionMessage: 'Stripe works again', closedBy: null });
    expect(closed.closedAt).toEqual(expect.any(String));
    await delivered(opened.id, 2);
    expect(mailsAbout('Resolved: Stripe works again')).toEqual(['ana@acme.test']);
    const resolved = await t.http.get('/v1/events?event=integration.attention_resolved').set(bearer(ownerToken));
    expect(resolved.body.data.map((event: any) => event.data)).toContainEqual(expect.objectContaining({ noticeId: opened.id, resolution: 'recovered' }));
  });

  it('says to re-connect an OAuth connection whose refresh token was revoked, and closes the notice when it is reconnected', async () => {
    const connect = async () => {
      const started = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/settings' });
      expect(started.status).toBe(200);
      await authorizeInBrowser(t, started.body.authorizationUrl);
    };
    await connect();
    for (const refreshToken of google.state.oauth.refreshTokens.keys()) google.state.oauth.revokeRefreshToken(refreshToken);
    await t.http.post('/v1/integrations/google_calendar/refresh').set(bearer(ownerToken));
    expect((await t.http.get('/v1/integrations/google_calendar').set(bearer(ownerToken))).body.status).toBe('expired');

    const expired = await waitForNotice('provider=google_calendar');
    expect(expired).toMatchObject({ cause: 'expired', message: 'Re-connect Google Calendar: the refresh token was revoked or has expired' });
    await delivered(expired.id, 2);
    expect(mailsAbout('Re-connect Google Calendar').sort()).toEqual(['ana@acme.test', 'bo@acme.test']);

    await connect();
    const closed = await eventually(
      () => notice(expired.id),
      (body) => body.status === 'closed',
    );
    expect(closed).toMatchObject({ resolution: 'reconnected', resolutionMessage: 'Google Calendar is connected again' });
    await delivered(expired.id, 4);
    expect(mailsAbout('Resolved: Google Calendar is connected again').sort()).toEqual(['ana@acme.test', 'bo@acme.test']);
  });

  it('announces once a token nothing can refresh before it expires; dismissing it keeps it quiet; a new token closes the next one', async () => {
    const started = await t.http.post('/v1/integrations/mailchimp/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/settings' });
    await authorizeInBrowser(t, started.body.authorizationUrl);
    const connection = (await t.http.get('/v1/integrations/mailchimp').set(bearer(ownerToken))).body;
    expect(connection.status).toBe('connected');
    const expiresIn = (days: number) =>
      db.query(`update integrations set token_expires_at = now() + make_interval(days => $2) where id = $1`, [connection.id, days]);

    await expiresIn(30);
    await watch.scan();
    expect(await openNotices('provider=mailchimp')).toEqual([]);

    await expiresIn(3);
    await watch.scan();
    await watch.scan();
    const expiring = await openNotices('provider=mailchimp&cause=token_expiring');
    expect(expiring).toHaveLength(1);
    expect(expiring[0].message).toMatch(/^Re-connect Mailchimp before \d{4}-\d\d-\d\d \d\d:\d\d UTC: its access token expires then and cannot be refreshed$/);
    // Google Calendar refreshes its tokens: nothing to announce however soon they expire.
    expect(await openNotices('provider=google_calendar&cause=token_expiring')).toEqual([]);

    expect((await t.http.post(`/v1/notices/${expiring[0].id}/dismiss`).set(bearer(members.dev.token))).status).toBe(403);
    const dismissed = await t.http.post(`/v1/notices/${expiring[0].id}/dismiss`).set(bearer(members.ana.token));
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toMatchObject({ status: 'closed', resolution: 'dismissed', closedBy: `member:${members.ana.userId}` });
    expect(dismissed.body.resolutionMessage).toBe(`Dismissed by member:${members.ana.userId}`);
    expect((await t.http.post(`/v1/notices/${expiring[0].id}/dismiss`).set(bearer(members.ana.token))).body.closedAt).toBe(dismissed.body.closedAt);
    await watch.scan();
    expect(await openNotices('provider=mailchimp')).toEqual([]);
    const audit = await t.http.get('/v1/audit-log?action=notice.dismissed').set(bearer(ownerToken));
    expect(audit.body.data).toEqual([expect.objectContaining({ actorId: members.ana.userId, targetId: expiring[0].id })]);

    // Another expiry is another occurrence: a new notice, closed when a later token arrives.
    await expiresIn(2);
    await watch.scan();
    const next = await openNotices('provider=mailchimp&cause=token_expiring');
    expect(next).toHaveLength(1);
    expect(next[0].id).not.toBe(expiring[0].id);
    await expiresIn(60);
    await watch.scan();
    expect(await notice(next[0].id)).toMatchObject({ status: 'closed', resolution: 'token_renewed', resolutionMessage: 'Mailchimp has a new access token' });
  });

  it('opens a notice on the third failed sync in a row, not again on the fourth, and closes it when a sync succeeds', async () => {
    const sync = async () => {
      const started = await t.http.post('/v1/integrations/stripe/sync').set(bearer(ownerToken)).send({});
      expect(started.status).toBe(202);
      const run = await eventually(
        async () =>
          (await t.http.get('/v1/integrations/stripe/syncs').set(bearer(ownerToken))).body.data.find(
            (candidate: any) => candidate.id === started.body.syncRunId,
          ),
        (candidate) => candidate && ['succeeded', 'failed'].includes(candidate.status),
      );
      // Signals are handled in order; this waits for the one this run left.
      await eventually(
        async () => (await db.query(`select count(*)::int as n from notice_signals where account_id = $1`, [accountId])).rows[0].n,
        (n) => n === 0,
      );
      return run.status as string;
    };
    stripe.state.outage = 500;
    try {
      expect(await sync()).toBe('failed');
      expect(await sync()).toBe('failed');
      expect(await openNotices('provider=stripe&cause=sync_failing')).toEqual([]);
      expect(await sync()).toBe('failed');
      const failing = await openNotices('provider=stripe&cause=sync_failing');
      expect(failing).toHaveLength(1);
      expect(failing[0].message).toMatch(/^Check Stripe: its last 3 syncs failed/);
      expect(await sync()).toBe('failed');
      const all = (await t.http.get('/v1/notices?cause=sync_failing&provider=stripe').set(bearer(ownerToken))).body.data;
      expect(all).toHaveLength(1);
    } finally {
      stripe.state.outage = null;
    }
    expect(await sync()).toBe('succeeded');
    const [closed] = (await t.http.get('/v1/notices?status=closed&cause=sync_failing').set(bearer(ownerToken))).body.data;
    expect(closed).toMatchObject({ provider: 'stripe', resolution: 'sync_succeeded', resolutionMessage: 'Stripe syncs again' });
  });

  it('keeps a message it could not send as failed after the retries, and records why', async () => {
    sendgrid.state.verifiedSenders.delete('events@acme.test');
    try {
      stripe.state.validKeys.delete(STRIPE_KEY);
      await t.http.post('/v1/integrations/stripe/health-check').set(bearer(ownerToken));
      const opened = await waitForNotice('provider=stripe&cause=error');
      const given = await eventually(
        () => notice(opened.id),
        (body) => body.deliveries.some((delivery: any) => delivery.status === 'failed'),
      );
      expect(given.deliveries).toEqual([
        expect.objectContaining({
          memberId: members.ana.userId,
          status: 'failed',
          attempts: 3,
          lastError: expect.stringMatching(/verified Sender Identity/),
          sentAt: null,
          nextAttemptAt: null,
        }),
      ]);
    } finally {
      sendgrid.state.verifiedSenders.add('events@acme.test');
      stripe.state.validKeys.add(STRIPE_KEY);
    }
  });

  it('keeps notices, settings and preferences to their account, mode and member', async () => {
    const [any] = (await t.http.get('/v1/notices').set(bearer(ownerToken))).body.data;
    const other = await createAccount(t);
    expect((await t.http.get(`/v1/notices/${any.id}`).set(bearer(other.ownerToken))).status).toBe(404);
    expect((await t.http.post(`/v1/notices/${any.id}/dismiss`).set(bearer(other.ownerToken))).status).toBe(404);
    expect((await t.http.get('/v1/notices').set(bearer(other.ownerToken))).body.data).toEqual([]);
    expect((await t.http.get('/v1/notices').set(bearer(ownerToken)).set('Plugboard-Mode', 'test')).body.data).toEqual([]);
    expect((await t.http.get('/v1/notices/settings').set(bearer(ownerToken)).set('Plugboard-Mode', 'test')).body).toEqual({
      emailProvider: null,
      emailFrom: null,
      emailProviders: ['sendgrid'],
    });

    const key = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'reader', mode: 'live', permissions: ['integrations.view'] });
    expect((await t.http.get('/v1/notices').set(bearer(key.body.key))).status).toBe(200);
    expect((await t.http.get('/v1/notices/preferences').set(bearer(key.body.key))).status).toBe(403);
    expect((await t.http.get('/v1/notices/preferences').set(bearer(members.ana.token))).body).toEqual({ email: true, mutedCauses: [], mutedProviders: [] });
    expect(
      (
        await t.http
          .put('/v1/notices/preferences')
          .set(bearer(members.ana.token))
          .send({ mutedCauses: ['bored'] })
      ).status,
    ).toBe(400);
    const badSender = await t.http.put('/v1/notices/settings').set(bearer(ownerToken)).send({ emailProvider: 'mailchimp' });
    expect(badSender.status).toBe(400);
    expect(badSender.body.errors).toEqual([{ path: 'emailProvider', message: 'must be one of sendgrid' }]);
    expect((await t.http.put('/v1/notices/settings').set(bearer(members.dev.token)).send({ emailFrom: 'x@acme.test' })).status).toBe(403);
    expect((await t.http.get('/v1/notices?status=gone').set(bearer(ownerToken))).status).toBe(400);
  });
});
