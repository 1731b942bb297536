import { providerOriginOverrides, startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fixtures/providers/index.js';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';

const CLIENT = { clientId: 'plugboard-google-client', clientSecret: 'google-client-secret-123' };

/** Opens the authorization URL at the fake as a browser would, then hands the redirect to Plugboard's callback. */
async function authorize(t: TestApp, authorizationUrl: string): Promise<URL> {
  const atProvider = await fetch(authorizationUrl, { redirect: 'manual' });
  const callback = new URL(atProvider.headers.get('location')!);
  const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
  expect(atPlugboard.status).toBe(302);
  return new URL(atPlugboard.headers.location, 'http://return.test');
}

describe.each([
  ['true', 'exchanges the code'],
  ['false', 'refuses to exchange the code with a token endpoint on a private address'],
])('the OAuth code exchange goes through the SSRF-checked client (ALLOW_PRIVATE_NETWORK=%s)', (allowPrivate, what) => {
  let google: FakeGoogleCalendar;
  let t: TestApp;
  beforeAll(async () => {
    google = await startFakeGoogleCalendar();
    google.state.oauth.registerClient({ ...CLIENT });
    t = await startTestApp({
      ALLOW_PRIVATE_NETWORK: allowPrivate,
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(google.origins),
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_ID: CLIENT.clientId,
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_SECRET: CLIENT.clientSecret,
      PLUGIN_ISOLATION: 'none',
    });
  });
  afterAll(async () => {
    await t.close();
    await google.close();
  });

  it(what, async () => {
    const { ownerToken } = await createAccount(t);
    const started = await t.http.post('/v1/integrations/google_calendar/oauth/start').set(bearer(ownerToken)).send({ returnUrl: '/back' });
    expect(started.status).toBe(200);
    const back = await authorize(t, started.body.authorizationUrl);
    const exchanges = google.state.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/token'));
    if (allowPrivate === 'true') {
      expect(back.searchParams.get('status')).toBe('connected');
      expect(exchanges).toHaveLength(1);
      // The exchange is SafeHttp's request (fetch), not passport's own HTTP client (which sends User-Agent Node-oauth).
      expect(exchanges[0].headers['user-agent']).not.toBe('Node-oauth');
    } else {
      expect(back.searchParams.get('status')).toBe('error');
      expect(exchanges).toHaveLength(0);
    }
  });
});
