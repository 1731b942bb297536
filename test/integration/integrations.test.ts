import pg from 'pg';
import { Keyring } from '../../src/core/crypto/keyring.js';
import { KeyRotationService } from '../../src/core/crypto/key-rotation.service.js';
import { TokenRefresher } from '../../src/modules/integrations/oauth/token-refresher.js';
import {
  providerOriginOverrides,
  SENDGRID_TEST_KEY,
  signStripeWebhook,
  startFakeGoogleCalendar,
  startFakeSendGrid,
  startFakeStripe,
  stripeEvent,
} from '../fixtures/providers/index.js';
import type { FakeGoogleCalendar, FakeSendGrid, FakeStripe } from '../fixtures/providers/index.js';
import { addMember, bearer, createAccount, startTestApp, TEST_ENCRYPTION_KEYS, TestApp } from '../support/test-app.js';

const STRIPE_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';
const GOOGLE_CLIENT = { clientId: 'plugboard-google-client', clientSecret: 'google-client-secret-123' };

/** Follows the browser part of an OAuth flow: the provider's authorize endpoint, then Plugboard's callback. */
async function authorizeInBrowser(t: TestApp, authorizationUrl: string): Promise<URL> {
  const atProvider = await fetch(authorizationUrl, { redirect: 'manual' });
  const callback = new URL(atProvider.headers.get('location')!);
  const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
  expect(atPlugboard.status).toBe(302);
  return new URL(atPlugboard.headers.location, 'http://return.test');
}

describe('integrations over HTTP with real provider fakes', () => {
  let t: TestApp;
  let stripe: FakeStripe;
  let sendgrid: FakeSendGrid;
  let google: FakeGoogleCalendar;
  let db: pg.Client;

  beforeAll(async () => {
    [stripe, sendgrid, google] = await Promise.all([startFakeStripe({ keys: [STRIPE_KEY] }), startFakeSendGrid(), startFakeGoogleCalendar()]);
    google.state.oauth.registerClient({ ...GOOGLE_CLIENT });
    t = await startTestApp({
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(stripe.origins, sendgrid.origins, google.origins),
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_ID: GOOGLE_CLIENT.clientId,
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
      PLUGIN_ISOLATION: 'none',
    });
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await Promise.all([stripe.close(), sendgrid.close(), google.close()]);
  });

  describe('catalog', () => {
    it('lists providers from the loaded plugins with their schemas and what the plan allows', async () => {
      const { ownerToken } = await createAccount(t, 'basic');
      const response = await t.http.get('/v1/providers?limit=100').set(bearer(ownerToken));
      expect(response.status).toBe(200);
      const byId = Object.fromEntries(response.body.data.map((provider: { id: string }) => [provider.id, provider]));
      expect(byId.stripe).toMatchObject({ category: 'payment', authType: 'api_key', plan: { allowed: true }, plugin: { name: expect.any(String) } });
      expect(byId.stripe.credentialsSchema.required).toContain('secretKey');
      expect(byId.stripe.actions.map((action: { name: string }) => action.name)).toContain('listCustomers');
      expect(byId.sendgrid.plan).toEqual({ allowed: false, reason: 'The Basic plan does not include email integrations' });
      const email = await t.http.get('/v1/providers?category=email').set(bearer(ownerToken));
      expect(email.body.data.every((provider: { category: string }) => provider.category === 'email')).toBe(true);
      // The list is written from text kept per plugin: it must say what each provider's own route says.
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      // Pages are kept as sent, compressed for clients that accept it, and keyed by the plan's verdicts.
      expect(response.headers).toMatchObject({ 'content-encoding': 'gzip', vary: expect.stringContaining('Accept-Encoding') });
      const identity = await t.http.get('/v1/providers?limit=100').set(bearer(ownerToken)).set('Accept-Encoding', 'identity');
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(identity.body).toEqual(response.body);
      const business = await createAccount(t, 'business');
      const onBusiness = await t.http.get('/v1/providers?limit=100').set(bearer(business.ownerToken));
      expect(onBusiness.body.data.find((provider: { id: string }) => provider.id === 'sendgrid').plan).toEqual({ allowed: true });
      // The list is the provider's own answer without its actions' output schemas.
      for (const id of ['stripe', 'sendgrid']) {
        const own = (await t.http.get(`/v1/providers/${id}`).set(bearer(ownerToken))).body;
        const actions = own.actions.map(({ outputSchema: _output, ...action }: { outputSchema?: unknown }) => action);
        expect({ ...own, actions }).toEqual(byId[id]);
      }
      expect(response.body.data.flatMap((provider: { actions: object[] }) => provider.actions).some((action: object) => 'outputSchema' in action)).toBe(false);
      const stripe = (await t.http.get('/v1/providers/stripe').set(bearer(ownerToken))).body;
      expect(stripe.actions.some((action: { outputSchema?: unknown }) => action.outputSchema)).toBe(true);
      const pages: string[] = [];
      for (let cursor: string | null = ''; cursor !== null;) {
        const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await t.http
          .get(`/v1/providers?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
          .set(bearer(ownerToken));
        pages.push(...page.body.data.map((provider) => provider.id));
        cursor = page.body.nextCursor;
      }
      expect(pages).toEqual(response.body.data.map((provider: { id: string }) => provider.id));
    });
  });

  describe('API-key connections', () => {
    it('verifies the key with the provider, stores it encrypted and never returns it', async () => {
      const { ownerToken } = await createAccount(t);
      const connected = await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: STRIPE_KEY } });
      expect(connected.status).toBe(200);
      expect(connected.body).toMatchObject({
        provider: 'stripe',
        category: 'payment',
        status: 'connected',
        livemode: true,
        metadata: { stripeAccountId: 'acct_1FakeAccount0001' },
      });
      expect(JSON.stringify(connected.body)).not.toContain(STRIPE_KEY);
      expect(stripe.state.requests.some((request) => request.path === '/v1/account')).toBe(true);
      const rows = await db.query('select * from integrations where id = $1', [connected.body.id]);
      expect(JSON.stringify(rows.rows)).not.toContain(STRIPE_KEY);
      expect(rows.rows[0].credentials).toMatch(/^v1\.k1\./);
    });

    it('refuses a key the provider rejects with 422 and stores nothing', async () => {
      const { ownerToken } = await createAccount(t);
      const refused = await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: 'sk_test_revokedKey000' } });
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('provider_rejected');
      expect(refused.body.detail).toMatch(/Invalid API Key/i);
      const metrics = await t.http.get('/metrics');
      expect(metrics.text).toMatch(/plugboard_plugin_calls_total\{plugin="[^"]*stripe[^"]*",outcome="rejected"\} [1-9]/);
      expect((await t.http.get('/v1/integrations/stripe').set(bearer(ownerToken))).status).toBe(404);
    });

    it('refuses malformed credentials with 400 before calling the provider', async () => {
      const { ownerToken } = await createAccount(t);
      const before = stripe.state.requests.length;
      const malformed = await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: 'not-a-key' } });
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('validation_failed');
      expect(malformed.body.errors[0].path).toContain('credentials');
      expect(stripe.state.requests.length).toBe(before);
    });

    it('disconnects keeping the record, and reconnects', async () => {
      const { ownerToken } = await createAccount(t);
      await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: STRIPE_KEY } });
      const disconnected = await t.http.post('/v1/integrations/stripe/disconnect').set(bearer(ownerToken));
      expect(disconnected.body).toMatchObject({ status: 'disconnected', disconnectedAt: expect.any(String) });
      const listed = await t.http.get('/v1/integrations?status=disconnected').set(bearer(ownerToken));
      expect(listed.body.data).toHaveLength(1);
      const reconnected = await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: STRIPE_KEY } });
      expect(reconnected.body).toMatchObject({ id: disconnected.body.id, status: 'connected', disconnectedAt: null });
      const log = await t.http.get('/v1/audit-log?action=integration.disconnected').set(bearer(ownerToken));
      expect(log.body.data).toHaveLength(1);
      const events = await t.http.get('/v1/events?event=integration.connected').set(bearer(ownerToken));
      expect(events.body.data).toHaveLength(2);
    });

    it('keeps accounts and modes apart', async () => {
      const first = await createAccount(t);
      const second = await createAccount(t);
      await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(first.ownerToken))
        .send({ credentials: { secretKey: STRIPE_KEY } });
      expect((await t.http.get('/v1/integrations/stripe').set(bearer(second.ownerToken))).status).toBe(404);
      expect((await t.http.get('/v1/integrations/stripe').set(bearer(first.ownerToken)).set('Plugboard-Mode', 'test')).status).toBe(404);
      expect((await t.http.post('/v1/integrations/stripe/disconnect').set(bearer(second.ownerToken))).status).toBe(404);
    });
  });

  describe('plans and roles', () => {
    it('refuses categories the plan excludes with 402 and counts limited ones', async () => {
      const { ownerToken } = await createAccount(t, 'basic');
      const email = await t.http
        .put('/v1/integrations/sendgrid')
        .set(bearer(ownerToken))
        .send({ credentials: { apiKey: SENDGRID_TEST_KEY } });
      expect(email.status).toBe(402);
      expect(email.body).toMatchObject({ code: 'plan_limit', plan: 'basic', feature: 'integrations.email', limit: 0 });
      const payment = await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: STRIPE_KEY } });
      expect(payment.status).toBe(200);
      const me = await t.http.get('/v1/me').set(bearer(ownerToken));
      expect(me.body.usage).toMatchObject({ 'integrations.payment': 1 });
      const again = await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: STRIPE_KEY } });
      expect(again.status).toBe(200);
    });

    it('suspends on downgrade and restores on upgrade', async () => {
      const { accountId, ownerToken } = await createAccount(t, 'business');
      const admin = await t.token({ sub: 'operator', admin: true });
      expect(
        (
          await t.http
            .put('/v1/integrations/sendgrid')
            .set(bearer(ownerToken))
            .send({ credentials: { apiKey: SENDGRID_TEST_KEY } })
        ).status,
      ).toBe(200);
      expect(
        (
          await t.http
            .put('/v1/integrations/stripe')
            .set(bearer(ownerToken))
            .send({ credentials: { secretKey: STRIPE_KEY } })
        ).status,
      ).toBe(200);
      await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'basic' });
      const sendgridAfter = await t.http.get('/v1/integrations/sendgrid').set(bearer(ownerToken));
      expect(sendgridAfter.status).toBe(200);
      expect(sendgridAfter.body.status).toBe('suspended');
      expect((await t.http.get('/v1/integrations/stripe').set(bearer(ownerToken))).body.status).toBe('connected');
      const used = await t.http.post('/v1/integrations/sendgrid/health-check').set(bearer(ownerToken));
      expect(used.status).toBe(402);
      await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'business' });
      expect((await t.http.get('/v1/integrations/sendgrid').set(bearer(ownerToken))).body.status).toBe('connected');
    });

    it('lets a host see nothing and a developer only look', async () => {
      const { accountId, ownerToken } = await createAccount(t);
      const host = await addMember(t, accountId, ownerToken, 'host');
      const developer = await addMember(t, accountId, ownerToken, 'developer');
      const hostList = await t.http.get('/v1/integrations').set(bearer(host));
      expect(hostList.status).toBe(403);
      expect(hostList.body.permission).toBe('integrations.view');
      expect((await t.http.get('/v1/providers').set(bearer(host))).status).toBe(403);
      expect((await t.http.get('/v1/integrations').set(bearer(developer))).status).toBe(200);
      const put = await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(developer))
        .send({ credentials: { secretKey: STRIPE_KEY } });
      expect(put.status).toBe(403);
      expect(put.body.permission).toBe('integrations.manage');
    });
  });

  describe('OAuth 2.0 against a local authorization server', () => {
    it('connects, refreshes, and expires when the refresh token is revoked', async () => {
      const { ownerToken } = await createAccount(t);
      const started = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/settings/integrations' });
      expect(started.status).toBe(200);
      const authorization = new URL(started.body.authorizationUrl);
      expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorization.searchParams.get('redirect_uri')).toBe(`${t.config.publicUrl}/v1/oauth/callback`);
      expect(authorization.searchParams.get('access_type')).toBe('offline');
      const back = await authorizeInBrowser(t, started.body.authorizationUrl);
      expect(back.pathname).toBe('/settings/integrations');
      const connected = await t.http.get('/v1/integrations/google_calendar').set(bearer(ownerToken));
      expect(Object.fromEntries(back.searchParams)).toEqual({ provider: 'google_calendar', status: 'connected', connectionId: connected.body.id });
      expect(connected.body).toMatchObject({ status: 'connected', displayName: expect.any(String) });
      const firstExpiry = new Date(connected.body.tokenExpiresAt).getTime();
      expect(firstExpiry).toBeGreaterThan(Date.now() + 50 * 60_000);

      const refreshed = await t.http.post('/v1/integrations/google_calendar/refresh').set(bearer(ownerToken));
      expect(refreshed.status).toBe(200);
      expect(new Date(refreshed.body.tokenExpiresAt).getTime()).toBeGreaterThanOrEqual(firstExpiry);
      const refreshGrants = google.state.requests.filter(
        (request) => request.path.endsWith('/token') && JSON.stringify(request.body).includes('refresh_token'),
      );
      expect(refreshGrants.length).toBeGreaterThanOrEqual(1);

      for (const refreshToken of google.state.oauth.refreshTokens.keys()) google.state.oauth.revokeRefreshToken(refreshToken);
      await t.http.post('/v1/integrations/google_calendar/refresh').set(bearer(ownerToken));
      const expired = await t.http.get('/v1/integrations/google_calendar').set(bearer(ownerToken));
      expect(expired.body.status).toBe('expired');
      expect(expired.body.lastError).toMatch(/^Re-connect: the refresh token was revoked/);
      const events = await t.http.get('/v1/events?event=integration.expired').set(bearer(ownerToken));
      expect(events.body.data).toHaveLength(1);
      const metrics = await t.http.get('/metrics');
      expect(metrics.text).toMatch(/plugboard_token_refreshes_total\{provider="google_calendar",outcome="succeeded"\} [1-9]/);
      expect(metrics.text).toMatch(/plugboard_token_refreshes_total\{provider="google_calendar",outcome="revoked"\} [1-9]/);
    });

    it('refreshes a token about to expire once on use, however many calls race, and in the sweep', async () => {
      const { ownerToken } = await createAccount(t);
      const started = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/r' });
      await authorizeInBrowser(t, started.body.authorizationUrl);
      const { body: integration } = await t.http.get('/v1/integrations/google_calendar').set(bearer(ownerToken));
      const refreshGrants = () =>
        google.state.requests.filter((request) => request.path.endsWith('/token') && JSON.stringify(request.body).includes('"refresh_token"')).length;

      await db.query(`update integrations set token_expires_at = now() + interval '5 minutes' where id = $1`, [integration.id]);
      const before = refreshGrants();
      const checks = await Promise.all(Array.from({ length: 5 }, () => t.http.post('/v1/integrations/google_calendar/health-check').set(bearer(ownerToken))));
      expect(checks.map((check) => check.body.status)).toEqual(Array(5).fill('connected'));
      expect(refreshGrants()).toBe(before + 1);
      const after = await t.http.get('/v1/integrations/google_calendar').set(bearer(ownerToken));
      expect(new Date(after.body.tokenExpiresAt).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);

      await db.query(`update integrations set token_expires_at = now() + interval '3 hours' where id = $1`, [integration.id]);
      const outcomes = await t.app.get(TokenRefresher).sweep();
      expect(outcomes.refreshed).toBeGreaterThanOrEqual(1);
      expect(refreshGrants()).toBeGreaterThanOrEqual(before + 2);
    });

    it('answers 400 invalid_state to a tampered state and redirects a replayed one with an error', async () => {
      const { ownerToken } = await createAccount(t);
      const started = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/done' });
      const atProvider = await fetch(started.body.authorizationUrl, { redirect: 'manual' });
      const callback = new URL(atProvider.headers.get('location')!);
      const state = callback.searchParams.get('state')!;
      const tampered = await t.http.get(`/v1/oauth/callback?code=x&state=${state.slice(0, -2)}xx`);
      expect(tampered.status).toBe(400);
      expect(tampered.body.code).toBe('invalid_state');
      const first = await t.http.get(`${callback.pathname}${callback.search}`);
      expect(first.headers.location).toContain('status=connected');
      const replay = await t.http.get(`${callback.pathname}${callback.search}`);
      expect(replay.status).toBe(302);
      expect(replay.headers.location).toBe('/done?provider=google_calendar&status=error&error=state_used');
    });

    it('answers every callback: a missing or empty code redirects with invalid_request, repeated parameters are 400 and keep the state', async () => {
      const { ownerToken } = await createAccount(t);
      const startAndReachCallback = async () => {
        const started = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/done' });
        const atProvider = await fetch(started.body.authorizationUrl, { redirect: 'manual' });
        return new URL(atProvider.headers.get('location')!);
      };
      for (const code of [undefined, '']) {
        const callback = await startAndReachCallback();
        const state = callback.searchParams.get('state')!;
        const query = code === undefined ? `state=${state}` : `state=${state}&code=${code}`;
        const answer = await t.http.get(`/v1/oauth/callback?${query}`).timeout(5000);
        expect([answer.status, answer.headers.location]).toEqual([302, '/done?provider=google_calendar&status=error&error=invalid_request']);
      }

      const callback = await startAndReachCallback();
      const state = callback.searchParams.get('state')!;
      const code = callback.searchParams.get('code')!;
      for (const query of [
        `state=${state}&state=${state}&code=${code}`,
        `state=${state}&code=${code}&code=${code}`,
        `state=a&state=b`,
        `state=${state}&error=a&error=b`,
      ]) {
        const answer = await t.http.get(`/v1/oauth/callback?${query}`).timeout(5000);
        expect([query, answer.status, answer.body.code]).toEqual([query, 400, 'invalid_request']);
      }
      const completed = await t.http.get(`${callback.pathname}${callback.search}`);
      expect(completed.headers.location).toMatch(/^\/done\?provider=google_calendar&status=connected&connectionId=[0-9a-f-]{36}$/);
    });

    it('redirects with the provider error when the user denies access', async () => {
      const { ownerToken } = await createAccount(t);
      google.state.oauth.authorizeError = 'access_denied';
      try {
        const started = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/back' });
        const back = await authorizeInBrowser(t, started.body.authorizationUrl);
        expect(Object.fromEntries(back.searchParams)).toEqual({ provider: 'google_calendar', status: 'error', error: 'access_denied' });
      } finally {
        google.state.oauth.authorizeError = null;
      }
    });

    it('redirects with invalid_client when the client secret is wrong', async () => {
      const { ownerToken } = await createAccount(t);
      const started = await t.http
        .post('/v1/integrations/google_calendar/oauth/start')
        .set(bearer(ownerToken))
        .send({ returnUrl: '/back', oauthApp: { clientId: GOOGLE_CLIENT.clientId, clientSecret: 'wrong-secret' } });
      const back = await authorizeInBrowser(t, started.body.authorizationUrl);
      expect(Object.fromEntries(back.searchParams)).toEqual({ provider: 'google_calendar', status: 'error', error: 'invalid_client' });
    });

    it('refuses an OAuth app that is not an object', async () => {
      const { ownerToken } = await createAccount(t);
      for (const oauthApp of [[], ['x'], 'app', 7]) {
        const response = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/back', oauthApp });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('validation_failed');
      }
    });

    it('refuses open redirects', async () => {
      const { ownerToken } = await createAccount(t);
      for (const returnUrl of ['https://evil.example/steal', '//evil.example/x']) {
        const response = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl });
        expect(response.status).toBe(400);
      }
    });
  });

  describe('using a connected integration', () => {
    let ownerToken: string;
    beforeAll(async () => {
      ({ ownerToken } = await createAccount(t));
      stripe.state.addCustomer({ email: 'ana@acme.test', name: 'Ana' });
      stripe.state.addCustomer({ email: 'rui@acme.test', name: 'Rui' });
      await t.http
        .put('/v1/integrations/stripe')
        .set(bearer(ownerToken))
        .send({ credentials: { secretKey: STRIPE_KEY, webhookSecret: 'whsec_test123' } });
    });

    it('runs an action with validated input', async () => {
      const listed = await t.http
        .post('/v1/integrations/stripe/actions/listCustomers')
        .set(bearer(ownerToken))
        .send({ input: { limit: 10 } });
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).toContain('ana@acme.test');
      const invalid = await t.http
        .post('/v1/integrations/stripe/actions/listCustomers')
        .set(bearer(ownerToken))
        .send({ input: { limit: 'many' } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.errors[0].path).toMatch(/^input/);
      expect((await t.http.post('/v1/integrations/stripe/actions/dropDatabase').set(bearer(ownerToken)).send({ input: {} })).status).toBe(400);
    });

    it('syncs records in a queued run and pages them', async () => {
      const started = await t.http.post('/v1/integrations/stripe/sync').set(bearer(ownerToken));
      expect(started.status).toBe(202);
      let run: { status: string; counts: Record<string, number> } | undefined;
      for (let i = 0; i < 100 && run?.status !== 'succeeded' && run?.status !== 'failed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        run = (await t.http.get('/v1/integrations/stripe/syncs').set(bearer(ownerToken))).body.data.find(
          (candidate: { id: string }) => candidate.id === started.body.syncRunId,
        );
      }
      expect(run).toMatchObject({ status: 'succeeded', counts: { customers: expect.any(Number) } });
      const records = await t.http.get('/v1/integrations/stripe/records?model=customers&limit=1').set(bearer(ownerToken));
      expect(records.body.data).toHaveLength(1);
      expect(records.body.nextCursor).toEqual(expect.any(String));
      const events = await t.http.get('/v1/events?event=integration.sync.completed').set(bearer(ownerToken));
      expect(events.body.data[0].data).toMatchObject({ provider: 'stripe', syncRunId: started.body.syncRunId });
    });

    it('proxies under the provider base URL with credentials injected, and to no other host', async () => {
      const proxied = await t.http.get('/v1/integrations/stripe/proxy/v1/customers?limit=1').set(bearer(ownerToken)).set('Cookie', 'session=secret');
      expect(proxied.status).toBe(200);
      expect(proxied.body.object).toBe('list');
      const seen = stripe.state.requests.at(-1)!;
      expect(seen).toMatchObject({ method: 'GET', path: '/v1/customers', query: { limit: '1' } });
      expect(seen.headers.authorization).toBe(`Bearer ${STRIPE_KEY}`);
      expect(seen.headers.cookie).toBeUndefined();
      for (const attempt of ['%2F%2Fevil.example%2Fx', 'https:%2F%2Fevil.example%2Fx', '..%2F..%2F..%2Fv1%2Fcharges']) {
        const before = stripe.state.requests.length;
        const response = await t.http.get(`/v1/integrations/stripe/proxy/${attempt}`).set(bearer(ownerToken));
        expect(response.status).toBeLessThan(500);
        expect(stripe.state.requests.length).toBe(before + 1);
      }
    });

    it('turns a verified Stripe webhook into events and refuses a forged one', async () => {
      const { body: integration } = await t.http.get('/v1/integrations/stripe').set(bearer(ownerToken));
      const payload = JSON.stringify(
        stripeEvent('checkout.session.completed', {
          id: 'cs_1',
          object: 'checkout.session',
          payment_status: 'paid',
          payment_intent: 'pi_1',
          amount_total: 5000,
          currency: 'eur',
          customer_details: { email: 'ana@acme.test' },
        }),
      );
      const accepted = await t.http
        .post(`/v1/hooks/${integration.id}`)
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signStripeWebhook(payload, 'whsec_test123'))
        .send(payload);
      expect(accepted.status).toBe(200);
      expect(accepted.body.received).toBe(1);
      const events = await t.http.get('/v1/events?event=payment.completed').set(bearer(ownerToken));
      expect(events.body.data).toHaveLength(1);
      const forged = await t.http
        .post(`/v1/hooks/${integration.id}`)
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signStripeWebhook(payload, 'whsec_other'))
        .send(payload);
      expect(forged.status).toBe(401);
    });
  });

  it('serves an iCal feed at the generated URL', async () => {
    const { ownerToken } = await createAccount(t);
    const connected = await t.http.put('/v1/integrations/ical_feed').set(bearer(ownerToken)).send({});
    expect(connected.status).toBe(200);
    const feedUrl = new URL(connected.body.metadata.feedUrl);
    await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .send({ event: 'session.started', data: { sessionId: 'sess_1', title: 'Launch, webinar', startedAt: '2026-12-01T10:00:00Z' } });
    const feed = await t.http.get(feedUrl.pathname);
    expect(feed.status).toBe(200);
    expect(feed.headers['content-type']).toContain('text/calendar');
    expect(feed.text).toContain('SUMMARY:Launch\\, webinar');
    expect((await t.http.get(feedUrl.pathname.replace(/[^/]+\.ics$/, 'wrong.ics'))).status).toBe(404);
  });

  it('re-encrypts every credential to a new primary key while running', async () => {
    const { ownerToken } = await createAccount(t);
    await t.http
      .put('/v1/integrations/stripe')
      .set(bearer(ownerToken))
      .send({ credentials: { secretKey: STRIPE_KEY } });
    const newKey = `k2:${Buffer.alloc(32, 9).toString('base64')}`;
    const rotated = await startTestApp({ ENCRYPTION_KEYS: `${newKey},${TEST_ENCRYPTION_KEYS}`, PLUGIN_ISOLATION: 'none' });
    try {
      const reports = await rotated.app.get(KeyRotationService).rotateAll();
      expect(reports.find((report) => report.column === 'credentials')!.reEncrypted).toBeGreaterThan(0);
      const rows = await db.query(`select id, credentials from integrations where credentials is not null`);
      const keyring = new Keyring(newKey);
      for (const row of rows.rows) {
        expect(row.credentials.startsWith('v1.k2.')).toBe(true);
        expect(() => keyring.decrypt(row.credentials, `integration:${row.id}`)).not.toThrow();
      }
    } finally {
      await rotated.close();
    }
  });
});
