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
  const query = {
    response_type: 'code',
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    scope: google.auth.scopes.join(google.auth.scopeSeparator),
    state,
    ...params,
  };
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
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };
    expect(await token({ ...exchange, code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier' })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid code verifier.' },
    });
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
    expect(await token({ ...exchange, client_secret: 'nope', code_verifier: 'v'.repeat(43) })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect((await token({ ...exchange, redirect_uri: 'http://localhost:3000/other', code_verifier: 'v'.repeat(43) })).body.error).toBe('redirect_uri_mismatch');

    const online = (await authorize(authorizationUrl('s', undefined, {}))).searchParams.get('code')!;
    const granted = await token({ ...exchange, code: online });
    expect(granted.status).toBe(200);
    expect(granted.body.refresh_token).toBeUndefined();
  });

  it('the fake shows an error page, not a redirect, for an unknown client or redirect URI', async () => {
    const unknown = await fetch(atFake(authorizationUrl('s')).replace(encodeURIComponent(CLIENT.clientId), 'someone-else'), { redirect: 'manual' });
    expect(unknown.status).toBe(401);
    const elsewhere = await fetch(atFake(authorizationUrl('s')).replace(encodeURIComponent(REDIRECT_URI), encodeURIComponent('https://evil.example/cb')), {
      redirect: 'manual',
    });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('redirect_uri_mismatch');
  });
});

describe('google calendar plugin: verify and health', () => {
  it('verifies with the primary calendar and stores its id', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'ana@acme.test',
      metadata: { calendarId: 'ana@acme.test', timeZone: 'Europe/Lisbon', accessRole: 'owner' },
    });
    expect(urls(h)).toEqual(['https://www.googleapis.com/calendar/v3/users/me/calendarList/primary']);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('refuses an expired or unknown access token', async () => {
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, BOTH_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(connected({}, stale).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect Google Calendar again'),
    });
    await expect(connected({}, 'ya29.unknown').healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('refuses a grant without calendar access with a message that says what to do', async () => {
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, 'openid email');
    await expect(connected({}, narrow).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('allow access to your calendars'),
    });
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
    expect(result).toMatchObject({
      id: expect.any(String),
      summary: 'Launch webinar',
      start: '2030-05-01T10:00:00Z',
      status: 'confirmed',
      created: true,
      htmlLink: expect.stringContaining('https://www.google.com/calendar/event'),
    });
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
    await expect(connected({ calendarId: 'nobody@example.com' }).action<Json>('listEvents', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Not Found',
    });
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
    expect(urls(h)[0]).toMatch(
      /^https:\/\/www\.googleapis\.com\/calendar\/v3\/calendars\/team%40group\.calendar\.google\.com\/events\?singleEvents=true&orderBy=startTime/,
    );
  });

  it('syncs the upcoming window page by page, in start order', async () => {
    const calendarId = 'sync@group.calendar.google.com';
    fake.state.addCalendar(calendarId, 'Sync');
    for (let index = 0; index < 520; index += 1)
      fake.state.addEvent(calendarId, { summary: `Upcoming ${index}`, start: inHours(520 - index), end: inHours(521 - index) });
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

describe('google calendar plugin: sessions on the calendar', () => {
  const TEAM = 'sessions@group.calendar.google.com';
  const eventsOf = (calendarId = TEAM) => fake.state.calendars.get(calendarId)!.events;
  const session = (sessionId: string, fields: Json = {}) => ({
    sessionId,
    roomId: 'room_123',
    title: 'Launch webinar',
    description: 'What is new this quarter',
    start: '2030-03-02T16:00:00Z',
    end: '2030-03-02T17:00:00Z',
    timeZone: 'Europe/Paris',
    joinUrl: 'https://app.example.com/rooms/room_123',
    host: { name: 'Bo', email: 'bo@example.com' },
    ...fields,
  });
  let sequence = 0;
  /** Runs a reaction as the host does: a fresh context and the event envelope. */
  async function react(h: Harness, type: string, data: Json): Promise<void> {
    sequence += 1;
    const event = { id: `evt_${sequence}`, event: type, timestamp: new Date().toISOString(), accountId: 'acct_test', livemode: false, data };
    await h.provider.onEvent![type](h.context(), event);
  }
  const onTeam = (settings: Json = {}, token = accessToken) => connected({ calendarId: TEAM, ...settings }, token);
  const requestsOf = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);

  beforeAll(() => {
    fake.state.addCalendar(TEAM, 'Sessions');
  });

  it('reacts to session.scheduled, session.updated and session.cancelled, within Google’s documented quotas', () => {
    expect(Object.keys(google.onEvent).sort()).toEqual(['session.cancelled', 'session.scheduled', 'session.updated']);
    expect(google.rateLimits).toEqual([
      { requests: 600, windowMs: 60_000, scope: 'account', accountKey: 'calendarId' },
      { requests: 10_000, windowMs: 60_000, scope: 'app' },
    ]);
    expect(google.settingsSchema.properties.reminders.default).toEqual([{ method: 'popup', minutes: 15 }]);
  });

  it('session.scheduled creates the event on the configured calendar with its join link, time zone and reminders, keyed by the session', async () => {
    const h = onTeam();
    await react(h, 'session.scheduled', session('sess_a'));
    expect(h.requests).toHaveLength(1);
    const request = fake.state.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'POST', path: `/calendar/v3/calendars/${encodeURIComponent(TEAM)}/events`, query: { sendUpdates: 'none' } });
    const body = request.body as Json;
    expect(body).toEqual({
      id: expect.stringMatching(/^pb[0-9a-f]{40}$/),
      summary: 'Launch webinar',
      description: 'What is new this quarter\n\nJoin: https://app.example.com/rooms/room_123',
      location: 'https://app.example.com/rooms/room_123',
      start: { dateTime: '2030-03-02T16:00:00Z', timeZone: 'Europe/Paris' },
      end: { dateTime: '2030-03-02T17:00:00Z', timeZone: 'Europe/Paris' },
      reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 15 }] },
      source: { title: 'Launch webinar', url: 'https://app.example.com/rooms/room_123' },
    });
    expect(eventsOf().find((event) => event.id === body.id)).toMatchObject({ summary: 'Launch webinar', status: 'confirmed' });
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'info', message: 'session put on Google Calendar' }));

    await react(onTeam(), 'session.scheduled', session('sess_b'));
    expect((fake.state.requests.at(-1)!.body as Json).id).not.toBe(body.id);
  });

  it('uses the configured reminders (an empty list: none) and the default calendar when none is configured', async () => {
    await react(
      onTeam({
        reminders: [
          { method: 'email', minutes: 1440 },
          { method: 'popup', minutes: 10 },
        ],
      }),
      'session.scheduled',
      session('sess_rem'),
    );
    expect((fake.state.requests.at(-1)!.body as Json).reminders).toEqual({
      useDefault: false,
      overrides: [
        { method: 'email', minutes: 1440 },
        { method: 'popup', minutes: 10 },
      ],
    });
    await react(onTeam({ reminders: [] }), 'session.scheduled', session('sess_none'));
    expect((fake.state.requests.at(-1)!.body as Json).reminders).toEqual({ useDefault: false, overrides: [] });
    await react(connected(), 'session.scheduled', session('sess_primary'));
    expect(fake.state.requests.at(-1)!.path).toBe('/calendar/v3/calendars/primary/events');
    expect(eventsOf('ana@acme.test').some((event) => event.summary === 'Launch webinar')).toBe(true);
  });

  it('scheduled twice is still one event, brought up to date', async () => {
    await react(onTeam(), 'session.scheduled', session('sess_twice'));
    const h = onTeam();
    await react(h, 'session.scheduled', session('sess_twice', { title: 'Launch webinar (v2)' }));
    expect(h.requests.map((request) => request.method)).toEqual(['POST', 'PATCH']);
    const id = (h.requests[0].json() as Json).id;
    expect(new URL(h.requests[1].url).pathname.split('/').at(-1)).toBe(id);
    expect(eventsOf().filter((event) => event.id === id)).toEqual([expect.objectContaining({ summary: 'Launch webinar (v2)', status: 'confirmed' })]);
  });

  it('session.updated patches the session’s event in place: new times and title, other fields kept', async () => {
    await react(onTeam(), 'session.scheduled', session('sess_move'));
    const id = (fake.state.requests.at(-1)!.body as Json).id as string;
    const stored = eventsOf().find((event) => event.id === id)!;
    stored.attendees = [{ email: 'guest@example.com' }];
    const h = onTeam();
    await react(h, 'session.updated', session('sess_move', { title: 'Launch webinar (moved)', start: '2030-03-02T16:30:00Z', end: '2030-03-02T17:30:00Z' }));
    expect(requestsOf(h)).toEqual([`PATCH https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(TEAM)}/events/${id}?sendUpdates=none`]);
    expect(h.requests[0].json()).toMatchObject({ summary: 'Launch webinar (moved)', start: { dateTime: '2030-03-02T16:30:00Z', timeZone: 'Europe/Paris' } });
    expect(h.requests[0].json()).not.toHaveProperty('id');
    expect(eventsOf().find((event) => event.id === id)).toMatchObject({
      summary: 'Launch webinar (moved)',
      start: { dateTime: '2030-03-02T16:30:00Z' },
      end: { dateTime: '2030-03-02T17:30:00Z' },
      attendees: [{ email: 'guest@example.com' }],
      status: 'confirmed',
    });
  });

  it('session.updated of a session without an event (connected after it was scheduled) creates it', async () => {
    const h = onTeam();
    await react(h, 'session.updated', session('sess_late'));
    expect(h.requests.map((request) => [request.method, new URL(request.url).pathname.endsWith('/events')])).toEqual([
      ['PATCH', false],
      ['POST', true],
    ]);
    const created = (h.requests[1].json() as Json).id;
    expect(eventsOf().find((event) => event.id === created)).toMatchObject({ status: 'confirmed', summary: 'Launch webinar' });
  });

  it('session.cancelled deletes the event; a second cancellation (410 Gone) and an unknown session (404) are not errors', async () => {
    await react(onTeam(), 'session.scheduled', session('sess_cancel'));
    const id = (fake.state.requests.at(-1)!.body as Json).id as string;
    const h = onTeam();
    await react(h, 'session.cancelled', { sessionId: 'sess_cancel', reason: 'Speaker unavailable' });
    expect(requestsOf(h)).toEqual([`DELETE https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(TEAM)}/events/${id}?sendUpdates=none`]);
    expect(eventsOf().find((event) => event.id === id)!.status).toBe('cancelled');
    const { events } = await onTeam().action<Json>('listEvents', { timeMin: '2030-03-01T00:00:00Z' });
    expect(events.some((event: Json) => event.id === id)).toBe(false);

    const again = onTeam();
    await expect(react(again, 'session.cancelled', { sessionId: 'sess_cancel' })).resolves.toBeUndefined();
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'DELETE' });
    expect(again.logs).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('nothing to delete'), fields: expect.objectContaining({ status: 410 }) }),
    );
    const unknown = onTeam();
    await expect(react(unknown, 'session.cancelled', { sessionId: 'sess_never' })).resolves.toBeUndefined();
    expect(unknown.logs).toContainEqual(expect.objectContaining({ fields: expect.objectContaining({ status: 404 }) }));
  });

  it('a cancelled session stays cancelled when updated, and comes back when scheduled again', async () => {
    await react(onTeam(), 'session.scheduled', session('sess_back'));
    const id = (fake.state.requests.at(-1)!.body as Json).id as string;
    await react(onTeam(), 'session.cancelled', { sessionId: 'sess_back' });
    await react(onTeam(), 'session.updated', session('sess_back', { title: 'Still off' }));
    expect(eventsOf().find((event) => event.id === id)).toMatchObject({ status: 'cancelled' });
    const h = onTeam();
    await react(h, 'session.scheduled', session('sess_back', { title: 'Back on' }));
    expect(h.requests.map((request) => request.method)).toEqual(['POST', 'PATCH']);
    expect(h.requests[1].json()).toMatchObject({ status: 'confirmed', summary: 'Back on' });
    expect(eventsOf().filter((event) => event.id === id)).toEqual([expect.objectContaining({ status: 'confirmed', summary: 'Back on' })]);
  });

  it('writes nothing for a session event without its times, and leaves out a time zone Google would refuse', async () => {
    const h = onTeam();
    await react(h, 'session.scheduled', { sessionId: 'sess_x', title: 'No times' });
    await react(h, 'session.cancelled', {});
    expect(h.requests).toEqual([]);
    expect(h.logs.filter((line) => line.level === 'warn')).toHaveLength(2);
    const zoned = onTeam({ defaultTimeZone: 'Europe/Lisbon' });
    await react(zoned, 'session.scheduled', session('sess_tz', { timeZone: 'Mars/Olympus_Mons' }));
    expect(zoned.requests[0].json()).toMatchObject({ start: { dateTime: '2030-03-02T16:00:00Z', timeZone: 'Europe/Lisbon' } });
    expect(zoned.logs).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ timeZone: 'Mars/Olympus_Mons' }) }));
  });

  it('passes Google’s refusals on: an empty time range, an expired token, a grant without write access', async () => {
    await expect(react(onTeam(), 'session.scheduled', session('sess_bad', { end: '2030-03-02T15:00:00Z' }))).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The specified time range is empty.',
    });
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, BOTH_SCOPES);
    fake.state.oauth.expireAccessToken(stale);
    await expect(react(onTeam({}, stale), 'session.updated', session('sess_a'))).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect Google Calendar again'),
    });
    const { accessToken: readOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, GOOGLE_CALENDAR_SCOPES.readonly);
    await expect(react(onTeam({}, readOnly), 'session.cancelled', { sessionId: 'sess_a' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('allow access to your calendars'),
    });
  });

  it('reports Google’s per-user quota refusal (403 rateLimitExceeded) as a rate limit, not a refusal', async () => {
    fake.state.rateLimited = 1;
    await expect(react(onTeam(), 'session.cancelled', { sessionId: 'sess_a' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Rate Limit Exceeded',
    });
    await expect(react(onTeam(), 'session.cancelled', { sessionId: 'sess_a' })).resolves.toBeUndefined();
  });

  it('the fake updates with PUT as a replacement, and refuses what Google refuses', async () => {
    await react(onTeam(), 'session.scheduled', session('sess_put'));
    const id = (fake.state.requests.at(-1)!.body as Json).id as string;
    const put = (body: Json) =>
      fetch(`${fake.url}/calendar/v3/calendars/${encodeURIComponent(TEAM)}/events/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(await (await put({ summary: 'No times' })).json()).toMatchObject({ error: { code: 400, message: 'Missing start time.' } });
    const replaced = await put({ summary: 'Replaced', start: { dateTime: '2030-03-03T10:00:00Z' }, end: { dateTime: '2030-03-03T11:00:00Z' } });
    expect(replaced.status).toBe(200);
    const stored = eventsOf().find((event) => event.id === id)!;
    expect(stored).toMatchObject({ id, summary: 'Replaced', status: 'confirmed' });
    expect(stored.description).toBeUndefined();
    const unknown = await fetch(`${fake.url}/calendar/v3/calendars/${encodeURIComponent(TEAM)}/events/pbunknown`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${accessToken}` },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
  });
});
