import { createHash } from 'node:crypto';
import { GOOGLE_CALENDAR_SCOPES, startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fixtures/providers/google-calendar.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '1234-abc.apps.googleusercontent.com', clientSecret: 'GOCSPX-google-client-secret', redirectUris: [REDIRECT_URI] };
const BOTH_SCOPES = `${GOOGLE_CALENDAR_SCOPES.events} ${GOOGLE_CALENDAR_SCOPES.readonly}`;
const HOUR = 3_600_000;

let plugin: PluginDefinition;
let google: Json;
let fake: FakeGoogleCalendar;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('google-calendar');
  google = plugin.providers[0];
  fake = await startFakeGoogleCalendar();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, BOTH_SCOPES).accessToken;
});
afterAll(() => fake.close());

const connected = (settings: Json = {}, token = accessToken) =>
  createHarness(plugin, {
    provider: 'google_calendar',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    settings,
    integration: { metadata: { calendarId: 'ana@acme.test' } },
    http: forwardTo(fake.origins),
  });
const urls = (h: Harness) => h.requests.map((request) => request.url);

/** The authorization URL the host builds from the plugin's auth block (passport-oauth2 style). */
function authorizationUrl(state: string, challenge?: string, params: Record<string, string> = google.auth.authorizationParams): string {
  const url = new URL(google.auth.authorizationUrl);
  const query = { response_type: 'code', client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, scope: google.auth.scopes.join(google.auth.scopeSeparator), state, ...params };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  if (challenge) {
    url.searchParams.set('code_challenge', challenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.href;
}

const atFake = (url: string) => url.replace(new URL(url).origin, fake.origins[new URL(url).origin]);
const authorize = (url: string) => followAuthorizationUrl(url, fake.origins);
const token = (form: Record<string, string>) => postTokenRequest(google.auth.tokenUrl, fake.origins, form);

describe('google calendar plugin: OAuth', () => {
  it('declares OAuth 2.0 with PKCE, offline access and refresh', () => {
    expect(google).toMatchObject({
      id: 'google_calendar',
      category: 'calendar',
      baseUrl: 'https://www.googleapis.com/calendar/v3',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: [GOOGLE_CALENDAR_SCOPES.events, GOOGLE_CALENDAR_SCOPES.readonly],
        pkce: true,
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
    });
  });

  it('the fake runs Google’s flow: PKCE S256, a refresh token for offline access, refresh, then invalid_grant once revoked', async () => {
    // RFC 7636, Appendix B: a known verifier and the S256 challenge the RFC derives from it.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const back = await authorize(authorizationUrl('st-g', challenge));
    expect(back.searchParams.get('state')).toBe('st-g');
    expect(back.searchParams.get('scope')).toBe(BOTH_SCOPES);
    const exchange = { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT_URI, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    expect(await token({ ...exchange, code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier' })).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' } });
    const granted = await token({ ...exchange, code_verifier: verifier });
    expect(granted).toEqual({
      status: 200,
      body: { access_token: expect.any(String), refresh_token: expect.any(String), expires_in: 3599, scope: BOTH_SCOPES, token_type: 'Bearer' },
    });
    expect((await connected({}, granted.body.access_token).verify()).displayName).toBe('ana@acme.test');

    const refresh = { grant_type: 'refresh_token', refresh_token: granted.body.refresh_token, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    const refreshed = await token(refresh);
    expect(refreshed).toEqual({ status: 200, body: { access_token: expect.any(String), expires_in: 3599, scope: BOTH_SCOPES, token_type: 'Bearer' } });
    expect(refreshed.body.access_token).not.toBe(granted.body.access_token);

    fake.state.oauth.revokeRefreshToken(granted.body.refresh_token);
    expect(await token(refresh)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
    await expect(connected({}, refreshed.body.access_token).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('the fake refuses a missing verifier, a bad client secret and a different redirect_uri, and issues no refresh token without offline access', async () => {
    const challenge = createHash('sha256').update('v'.repeat(43)).digest('base64url');
    const code = (await authorize(authorizationUrl('s', challenge))).searchParams.get('code')!;
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    expect((await token(exchange)).body).toEqual({ error: 'invalid_grant', error_description: 'Missing code verifier.' });
    expect(await token({ ...exchange, client_secret: 'nope', code_verifier: 'v'.repeat(43) })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await token({ ...exchange, redirect_uri: 'http://localhost:3000/other', code_verifier: 'v'.repeat(43) })).body.error).toBe('redirect_uri_mismatch');

    const online = (await authorize(authorizationUrl('s', undefined, {}))).searchParams.get('code')!;
    const granted = await token({ ...exchange, code: online });
    expect(granted.status).toBe(200);
    expect(granted.body.refresh_token).toBeUndefined();
  });

  it('the fake shows an error page, not a redirect, for an unknown client or redirect URI', async () => {
    const unknown = await fetch(atFake(authorizationUrl('s')).replace(encodeURIComponent(CLIENT.clientId), 'someone-else'), { redirect: 'manual' });
    expect(unknown.status).toBe(401);
    const elsewhere = await fetch(atFake(authorizationUrl('s')).replace(encodeURIComponent(REDIRECT_URI), encodeURIComponent('https://evil.example/cb')), { redirect: 'manual' });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('redirect_uri_mismatch');
  });
});

describe('google calendar plugin: verify and health', () => {
  it('verifies with the primary calendar and stores its id', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({ displayName: 'ana@acme.test', metadata: { calendarId: 'ana@acme.test', timeZone: 'Europe/Lisbon', accessRole: 'owner' } });
    expect(urls(h)).toEqual(['https://www.googleapis.com/calendar/v3/users/me/calendarList/primary']);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('refuses an expired or unknown access token', async () => {
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, BOTH_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(connected({}, stale).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('connect Google Calendar again') });
    await expect(connected({}, 'ya29.unknown').healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('refuses a grant without calendar access with a message that says what to do', async () => {
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, 'openid email');
    await expect(connected({}, narrow).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('allow access to your calendars') });
  });
});

describe('google calendar plugin: events', () => {
  const inHours = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();

  it('creates an event with its join link, time zone and reminders', async () => {
    const result = await connected({ defaultTimeZone: 'Europe/Lisbon' }).action<Json>('createEvent', {
      summary: 'Launch webinar',
      description: 'Product launch',
      start: '2030-05-01T10:00:00Z',
      end: '2030-05-01T11:00:00Z',
      joinUrl: 'https://rooms.example.com/r/123',
      attendees: ['bo@example.com'],
      reminders: [{ method: 'popup', minutes: 10 }],
    });
    expect(result).toMatchObject({ id: expect.any(String), summary: 'Launch webinar', start: '2030-05-01T10:00:00Z', status: 'confirmed', created: true, htmlLink: expect.stringContaining('https://www.google.com/calendar/event') });
    const request = fake.state.requests.at(-1)!;
    expect(request.path).toBe('/calendar/v3/calendars/primary/events');
    expect(request.query).toEqual({ sendUpdates: 'none' });
    expect(request.body).toEqual({
      summary: 'Launch webinar',
      description: 'Product launch\n\nJoin: https://rooms.example.com/r/123',
      location: 'https://rooms.example.com/r/123',
      start: { dateTime: '2030-05-01T10:00:00Z', timeZone: 'Europe/Lisbon' },
      end: { dateTime: '2030-05-01T11:00:00Z', timeZone: 'Europe/Lisbon' },
      attendees: [{ email: 'bo@example.com' }],
      reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 10 }] },
      source: { title: 'Launch webinar', url: 'https://rooms.example.com/r/123' },
    });
  });

  it('creates an event once per eventKey', async () => {
    const input = { summary: 'Weekly demo', start: inHours(48), end: inHours(49), eventKey: 'sess_9' };
    const first = await connected().action<Json>('createEvent', input);
    const again = await connected().action<Json>('createEvent', input);
    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
    expect(fake.state.calendars.get('ana@acme.test')!.events.filter((event) => event.summary === 'Weekly demo')).toHaveLength(1);
  });

  it('passes Google’s refusal on: an empty time range, an unknown calendar', async () => {
    await expect(connected().action<Json>('createEvent', { summary: 'x', start: '2030-01-02T10:00:00Z', end: '2030-01-02T09:00:00Z' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The specified time range is empty.',
    });
    await expect(connected({ calendarId: 'nobody@example.com' }).action<Json>('listEvents', {})).rejects.toMatchObject({ code: 'provider_rejected', message: 'Not Found' });
  });

  it('lists calendars and events of the configured calendar', async () => {
    fake.state.addCalendar('team@group.calendar.google.com', 'Team sessions');
    fake.state.addEvent('team@group.calendar.google.com', { summary: 'Team sync', start: inHours(3), end: inHours(4) });
    const { calendars } = await connected().action<Json>('listCalendars', {});
    expect(calendars).toEqual(
      expect.arrayContaining([
        { id: 'ana@acme.test', summary: 'ana@acme.test', primary: true, accessRole: 'owner', timeZone: 'Europe/Lisbon' },
        expect.objectContaining({ id: 'team@group.calendar.google.com', primary: false }),
      ]),
    );
    const h = connected({ calendarId: 'team@group.calendar.google.com' });
    const listed = await h.action<Json>('listEvents', { q: 'sync' });
    expect(listed.events.map((event: { summary: string }) => event.summary)).toEqual(['Team sync']);
    expect(urls(h)[0]).toMatch(/^https:\/\/www\.googleapis\.com\/calendar\/v3\/calendars\/team%40group\.calendar\.google\.com\/events\?singleEvents=true&orderBy=startTime/);
  });

  it('syncs the upcoming window page by page, in start order', async () => {
    const calendarId = 'sync@group.calendar.google.com';
    fake.state.addCalendar(calendarId, 'Sync');
    for (let index = 0; index < 520; index += 1) fake.state.addEvent(calendarId, { summary: `Upcoming ${index}`, start: inHours(520 - index), end: inHours(521 - index) });
    fake.state.addEvent(calendarId, { summary: 'Past', start: inHours(-5), end: inHours(-4) });
    fake.state.addEvent(calendarId, { summary: 'Beyond the window', start: inHours(24 * 40), end: inHours(24 * 40 + 1) });
    fake.state.addEvent(calendarId, { summary: 'Cancelled', start: inHours(2), end: inHours(3), status: 'cancelled' });
    const h = connected({ calendarId, syncDays: 30 });
    const { records } = (await h.sync()) as { records: Record<string, Json[]> };
    expect(records.events).toHaveLength(520);
    expect(records.events[0]).toMatchObject({ summary: 'Upcoming 519', allDay: false, status: 'confirmed' });
    expect(records.events.at(-1)!.summary).toBe('Upcoming 0');
    expect(urls(h).map((url) => new URL(url).searchParams.has('pageToken'))).toEqual([false, true, true]);
    expect(urls(h).every((url) => new URL(url).searchParams.get('maxResults') === '250')).toBe(true);
  });
});
