import { GRAPH_SCOPES, startFakeMicrosoftOutlook, type FakeMicrosoftOutlook, type FakeOutlookCalendar } from '../fixtures/providers/microsoft-outlook.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '6731de76-14a6-49ae-97bc-6eba6914391e', clientSecret: 'outlook-client-secret~value', redirectUris: [REDIRECT_URI] };
const GRANTED = `${GRAPH_SCOPES.calendars} ${GRAPH_SCOPES.user}`;
const HOUR = 3_600_000;

let plugin: PluginDefinition;
let outlook: Json;
let fake: FakeMicrosoftOutlook;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('microsoft-outlook');
  outlook = plugin.providers[0];
  fake = await startFakeMicrosoftOutlook();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, GRANTED).accessToken;
});
afterAll(() => fake.close());

const connected = (settings: Json = {}, token = accessToken) =>
  createHarness(plugin, {
    provider: 'microsoft_outlook',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    settings,
    integration: { metadata: { userId: fake.state.user.id } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();
const sessionEvent = (event: string, data: Json): PlugboardEvent => ({
  id: `evt_${event}_${Math.random()}`,
  event,
  timestamp: new Date().toISOString(),
  accountId: 'acct_test',
  livemode: false,
  data,
});
/** The events of a calendar that carry the event-key property the plugin wrote (read from its create request). */
const keyed = (calendar: FakeOutlookCalendar, property: { id: string; value: string }) =>
  fake.state.eventsWithProperty(calendar.id, property.id, property.value);
const lastPostBody = (h: Harness) =>
  h.requests
    .filter((request) => request.method === 'POST')
    .at(-1)!
    .json() as Json;

/** The authorization URL the host builds from the plugin's auth block (passport-oauth2 style). */
function authorizationUrl(state: string, challenge?: string, scopes: string[] = outlook.auth.scopes): string {
  const url = new URL(outlook.auth.authorizationUrl);
  const query = {
    response_type: 'code',
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    scope: scopes.join(outlook.auth.scopeSeparator),
    state,
    ...outlook.auth.authorizationParams,
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value as string);
  if (challenge) {
    url.searchParams.set('code_challenge', challenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.href;
}
const token = (form: Record<string, string>) => postTokenRequest(outlook.auth.tokenUrl, fake.origins, form);

describe('microsoft outlook plugin: declaration and OAuth', () => {
  it('declares the identity platform’s OAuth 2.0 with PKCE and refresh, Graph v1.0, and Outlook’s mailbox limit', () => {
    expect(outlook).toMatchObject({
      id: 'microsoft_outlook',
      category: 'calendar',
      baseUrl: 'https://graph.microsoft.com/v1.0',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
        tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
        scopes: ['offline_access', 'Calendars.ReadWrite', 'User.Read'],
        pkce: true,
        refresh: true,
      },
      rateLimits: [{ requests: 10_000, windowMs: 600_000, scope: 'account', accountKey: 'userId' }],
    });
    expect(Object.keys(outlook.settingsSchema.properties)).toEqual(['calendarId', 'defaultReminderMinutes']);
    expect(Object.keys(outlook.actions)).toEqual(['listCalendars', 'createEvent']);
    expect(Object.keys(outlook.onEvent)).toEqual(['session.scheduled', 'session.updated', 'session.cancelled']);
  });

  it('the fake runs Microsoft’s flow: PKCE S256, a refresh token for offline_access (not echoed in scope), rotating refresh tokens', async () => {
    // RFC 7636, Appendix B: a known verifier and the S256 challenge the RFC derives from it.
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const back = await followAuthorizationUrl(authorizationUrl('st-ms', challenge), fake.origins);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
    expect(back.searchParams.get('state')).toBe('st-ms');
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };
    expect((await token({ ...exchange, code_verifier: 'not-the-verifier-not-the-verifier-not-the-v' })).body).toMatchObject({ error: 'invalid_grant' });
    const granted = await token({ ...exchange, code_verifier: verifier });
    expect(granted).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        expires_in: 3599,
        ext_expires_in: 3599,
        scope: GRANTED,
        token_type: 'Bearer',
      },
    });
    expect((await connected({}, granted.body.access_token).verify()).displayName).toBe('Megan Bowen');

    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toEqual(expect.any(String));
    expect(refreshed.body.refresh_token).not.toBe(granted.body.refresh_token);
    const again = await token({
      grant_type: 'refresh_token',
      refresh_token: refreshed.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect(again.status).toBe(200);

    fake.state.oauth.revokeRefreshToken(refreshed.body.refresh_token);
    const revoked = await token({
      grant_type: 'refresh_token',
      refresh_token: refreshed.body.refresh_token,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    expect(revoked).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('the fake issues no refresh token without offline_access, and refuses a wrong secret or redirect URI', async () => {
    const code = (await followAuthorizationUrl(authorizationUrl('s', undefined, ['Calendars.ReadWrite', 'User.Read']), fake.origins)).searchParams.get('code')!;
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    expect((await token({ ...exchange, client_secret: 'wrong' })).body.error).toBe('invalid_client');
    expect((await token({ ...exchange, redirect_uri: 'http://localhost:3000/elsewhere' })).body.error).toBe('invalid_grant');
    const granted = await token(exchange);
    expect(granted.status).toBe(200);
    expect(granted.body.refresh_token).toBeUndefined();
  });
});

describe('microsoft outlook plugin: verify and health', () => {
  it('verifies with /me and keeps who connected', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'Megan Bowen',
      metadata: {
        userId: '48d31887-5fad-4d73-a9f5-3c356e68a038',
        displayName: 'Megan Bowen',
        mail: 'MeganB@contoso.onmicrosoft.com',
        userPrincipalName: 'MeganB@contoso.onmicrosoft.com',
      },
    });
    expect(h.requests).toHaveLength(1);
    const request = fake.state.requests.at(-1)!;
    expect(request.path).toBe('/v1.0/me');
    expect(request.query).toEqual({ $select: 'id,displayName,mail,userPrincipalName' });
    expect(request.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('falls back to the user principal name when the account has no mail', async () => {
    const personal = await startFakeMicrosoftOutlook({ user: { displayName: '', mail: null, userPrincipalName: 'ana@outlook.com' } });
    try {
      personal.state.oauth.registerClient(CLIENT);
      const { accessToken: personalToken } = personal.state.oauth.mintTokens(CLIENT.clientId, GRANTED);
      const h = createHarness(plugin, { credentials: { accessToken: personalToken }, http: forwardTo(personal.origins) });
      expect(await h.verify()).toMatchObject({ displayName: 'ana@outlook.com', metadata: { mail: 'ana@outlook.com', userPrincipalName: 'ana@outlook.com' } });
    } finally {
      await personal.close();
    }
  });

  it('health is one cheap /me call', async () => {
    const h = connected();
    await h.healthCheck();
    expect(calls(h)).toEqual(['GET https://graph.microsoft.com/v1.0/me?%24select=id']);
  });

  it('refuses an expired, unknown or missing token with Graph’s message and what to do', async () => {
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, GRANTED);
    fake.state.oauth.expireAccessToken(stale);
    await expect(connected({}, stale).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Lifetime validation failed, the token is expired. (InvalidAuthenticationToken) Connect Microsoft Outlook again.',
    });
    await expect(connected({}, 'not-a-token').healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('IDX14100') });
    await expect(connected({}, '').healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Access token is empty.'),
    });
  });

  it('refuses a grant without User.Read', async () => {
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, GRAPH_SCOPES.calendars);
    await expect(connected({}, narrow).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Insufficient privileges to complete the operation. (Authorization_RequestDenied) Connect again and allow Plugboard to read your profile (User.Read).',
    });
  });
});

describe('microsoft outlook plugin: calendars and events', () => {
  it('lists every calendar, following @odata.nextLink', async () => {
    for (let index = 0; index < 60; index += 1) fake.state.addCalendar(`Team ${index}`, { canEdit: index % 2 === 0 });
    const h = connected();
    const { calendars } = await h.action<Json>('listCalendars', {});
    expect(calendars).toHaveLength(fake.state.calendars.size);
    expect(calendars[0]).toEqual({
      id: fake.state.defaultCalendar.id,
      name: 'Calendar',
      isDefaultCalendar: true,
      canEdit: true,
      color: 'auto',
      owner: 'MeganB@contoso.onmicrosoft.com',
    });
    expect(calendars[2]).toMatchObject({ name: 'Team 1', isDefaultCalendar: false, canEdit: false });
    expect(calls(h)).toEqual([
      'GET https://graph.microsoft.com/v1.0/me/calendars?$select=id%2Cname%2Ccolor%2CisDefaultCalendar%2CcanEdit%2Cowner&$top=50',
      'GET https://graph.microsoft.com/v1.0/me/calendars?%24select=id%2Cname%2Ccolor%2CisDefaultCalendar%2CcanEdit%2Cowner&%24top=50&%24skip=50',
    ]);
  });

  it('creates an event with join link, reminder, time zone, an event-key property and a transactionId', async () => {
    const team = fake.state.addCalendar('Webinars');
    const h = connected({ calendarId: team.id, defaultReminderMinutes: 30 });
    const result = await h.action<Json>('createEvent', {
      eventKey: 'sess_launch',
      subject: 'Launch webinar',
      description: 'What is new <this> quarter\nBring questions',
      start: '2030-07-01T10:00:00Z',
      end: '2030-07-01T11:00:00Z',
      timeZone: 'Europe/Paris',
      joinUrl: 'https://rooms.example.com/r/123?x=1&y=2',
    });
    const lookup = new URL(h.requests[0].url);
    expect(lookup.pathname).toBe(`/v1.0/me/calendars/${encodeURIComponent(team.id)}/events`);
    expect(Object.fromEntries(lookup.searchParams)).toEqual({
      $filter: expect.stringMatching(
        /^singleValueExtendedProperties\/Any\(ep: ep\/id eq 'String \{[0-9a-f-]{36}\} Name \w+' and ep\/value eq '[0-9a-f]{64}'\)$/,
      ),
      $select: 'id',
      $top: '5',
    });
    expect(h.requests[0].url).toContain('%20eq%20');
    const post = h.requests[1];
    expect(post.method).toBe('POST');
    expect(post.url).toBe(`https://graph.microsoft.com/v1.0/me/calendars/${encodeURIComponent(team.id)}/events`);
    expect(post.headers.prefer).toBe('outlook.timezone="UTC"');
    const body = post.json() as Json;
    expect(body).toEqual({
      subject: 'Launch webinar',
      body: {
        contentType: 'HTML',
        content:
          '<p>What is new &lt;this&gt; quarter<br>Bring questions</p><p>Join: <a href="https://rooms.example.com/r/123?x=1&amp;y=2">https://rooms.example.com/r/123?x=1&amp;y=2</a></p>',
      },
      start: { dateTime: '2030-07-01T12:00:00', timeZone: 'Europe/Paris' },
      end: { dateTime: '2030-07-01T13:00:00', timeZone: 'Europe/Paris' },
      location: { displayName: 'https://rooms.example.com/r/123?x=1&y=2', locationUri: 'https://rooms.example.com/r/123?x=1&y=2' },
      isReminderOn: true,
      reminderMinutesBeforeStart: 30,
      singleValueExtendedProperties: [{ id: expect.stringMatching(/^String \{[0-9a-f-]{36}\} Name \w+$/), value: expect.stringMatching(/^[0-9a-f]{64}$/) }],
      transactionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
    expect(body.singleValueExtendedProperties[0].value).not.toContain('sess_launch');

    const [stored] = team.events;
    expect(stored).toMatchObject({
      subject: 'Launch webinar',
      originalStartTimeZone: 'Europe/Paris',
      reminderMinutesBeforeStart: 30,
      isReminderOn: true,
      bodyPreview: 'What is new <this> quarter Bring questions Join: https://rooms.example.com/r/123?x=1&y=2',
    });
    expect(stored.body.content).toContain('<html>');
    expect(result).toEqual({
      id: stored.id,
      eventKey: 'sess_launch',
      created: true,
      subject: 'Launch webinar',
      start: '2030-07-01T10:00:00.000Z',
      end: '2030-07-01T11:00:00.000Z',
      timeZone: 'Europe/Paris',
      isAllDay: false,
      isCancelled: false,
      joinUrl: 'https://rooms.example.com/r/123?x=1&y=2',
      location: 'https://rooms.example.com/r/123?x=1&y=2',
      isReminderOn: true,
      reminderMinutes: 30,
      showAs: 'busy',
      type: 'singleInstance',
      organizer: 'MeganB@contoso.onmicrosoft.com',
      webLink: expect.stringContaining('https://outlook.office365.com/owa/?itemid='),
      lastModifiedDateTime: expect.any(String),
    });
  });

  it('creating the same eventKey again updates the event it has instead of duplicating it', async () => {
    const calendar = fake.state.addCalendar('Idempotent');
    const input = {
      eventKey: 'sess_9',
      subject: 'Weekly demo',
      start: '2030-02-01T10:00:00Z',
      end: '2030-02-01T11:00:00Z',
      joinUrl: 'https://rooms.example.com/r/9',
    };
    const first = connected({ calendarId: calendar.id });
    const created = await first.action<Json>('createEvent', input);
    const property = lastPostBody(first).singleValueExtendedProperties[0];

    const second = connected({ calendarId: calendar.id });
    const updated = await second.action<Json>('createEvent', {
      ...input,
      subject: 'Weekly demo (moved)',
      start: '2030-02-02T10:00:00+01:00',
      end: '2030-02-02T11:00:00+01:00',
      reminderMinutes: 5,
    });
    expect(second.requests.map((request) => request.method)).toEqual(['GET', 'PATCH']);
    expect(second.requests[1].url).toBe(
      `https://graph.microsoft.com/v1.0/me/calendars/${encodeURIComponent(calendar.id)}/events/${encodeURIComponent(created.id)}`,
    );
    expect(second.requests[1].json()).not.toHaveProperty('transactionId');
    expect(updated).toMatchObject({ id: created.id, created: false, subject: 'Weekly demo (moved)', reminderMinutes: 5 });
    expect(updated).toMatchObject({ start: '2030-02-02T09:00:00.000Z', end: '2030-02-02T10:00:00.000Z', joinUrl: 'https://rooms.example.com/r/9' });
    expect(keyed(calendar, property)).toHaveLength(1);
    expect(calendar.events).toHaveLength(1);
  });

  it('two creates of one key at once leave one event (the transactionId de-duplicates)', async () => {
    const calendar = fake.state.addCalendar('Race');
    const input = { eventKey: 'sess_race', subject: 'Race', start: inHours(5), end: inHours(6) };
    const writes = (target: FakeOutlookCalendar, since: number) =>
      fake.state.requests.slice(since).filter((request) => request.path.includes(encodeURIComponent(target.id)) && request.method !== 'GET');
    let since = fake.state.requests.length;
    const [a, b] = await Promise.all([
      connected({ calendarId: calendar.id }).action<Json>('createEvent', input),
      connected({ calendarId: calendar.id }).action<Json>('createEvent', input),
    ]);
    expect(a.id).toBe(b.id);
    expect(calendar.events).toHaveLength(1);
    const posts = writes(calendar, since);
    expect(posts.map((request) => request.method)).toEqual(['POST', 'POST']);
    expect((posts[0].body as Json).transactionId).toBe((posts[1].body as Json).transactionId);

    // Different content for one key at once: the second create is refused, finds the first's event and updates it.
    const other = fake.state.addCalendar('Race 2');
    since = fake.state.requests.length;
    const [c, d] = await Promise.all([
      connected({ calendarId: other.id }).action<Json>('createEvent', input),
      connected({ calendarId: other.id }).action<Json>('createEvent', { ...input, subject: 'Race (renamed)' }),
    ]);
    expect(c.id).toBe(d.id);
    expect(other.events).toHaveLength(1);
    expect(writes(other, since).map((request) => request.method)).toEqual(['POST', 'POST', 'PATCH']);
    // The transaction id is per calendar: the same key on another calendar was still created.
    expect((writes(other, since)[0].body as Json).transactionId).not.toBe((posts[0].body as Json).transactionId);
  });

  it('recreates the event of a key whose event was deleted, though Graph keeps its transactionId', async () => {
    const calendar = fake.state.addCalendar('Deleted');
    const input = { eventKey: 'sess_again', subject: 'Again', start: inHours(3), end: inHours(4) };
    const first = await connected({ calendarId: calendar.id }).action<Json>('createEvent', input);
    calendar.events.length = 0;
    const h = connected({ calendarId: calendar.id });
    const second = await h.action<Json>('createEvent', input);
    expect(second).toMatchObject({ created: true, subject: 'Again' });
    expect(second.id).not.toBe(first.id);
    expect(h.requests.map((request) => request.method)).toEqual(['GET', 'POST', 'GET', 'POST']);
    const [refused, accepted] = [(h.requests[1].json() as Json).transactionId, (h.requests[3].json() as Json).transactionId];
    expect(refused).toEqual(expect.any(String));
    expect(accepted).toEqual(expect.any(String));
    expect(accepted).not.toBe(refused);
    expect(calendar.events).toHaveLength(1);

    // Deleted again, and recreated by two writers at once: they take the same next id, so one event.
    calendar.events.length = 0;
    const [c, d] = await Promise.all([
      connected({ calendarId: calendar.id }).action<Json>('createEvent', input),
      connected({ calendarId: calendar.id }).action<Json>('createEvent', input),
    ]);
    expect(c.id).toBe(d.id);
    expect(calendar.events).toHaveLength(1);
  });

  it('writes the event in UTC when Graph does not take the time zone, and refuses a zone that does not exist', async () => {
    const calendar = fake.state.addCalendar('Zones');
    const h = connected({ calendarId: calendar.id });
    const result = await h.action<Json>('createEvent', {
      eventKey: 'sess_lisbon',
      subject: 'Lisbon',
      start: '2030-01-10T09:00:00Z',
      end: '2030-01-10T10:00:00Z',
      timeZone: 'Europe/Lisbon',
    });
    expect(h.requests.map((request) => request.method)).toEqual(['GET', 'POST', 'GET', 'POST']);
    expect((h.requests[1].json() as Json).start).toEqual({ dateTime: '2030-01-10T09:00:00', timeZone: 'Europe/Lisbon' });
    expect((h.requests[3].json() as Json).start).toEqual({ dateTime: '2030-01-10T09:00:00', timeZone: 'UTC' });
    expect(result).toMatchObject({ start: '2030-01-10T09:00:00.000Z', timeZone: 'UTC', created: true });
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'warn', fields: { timeZone: 'Europe/Lisbon' } }));

    const ny = await connected({ calendarId: calendar.id }).action<Json>('createEvent', {
      eventKey: 'sess_ny',
      subject: 'New York',
      start: '2030-01-10T15:00:00Z',
      end: '2030-01-10T16:30:00Z',
      timeZone: 'America/New_York',
    });
    expect(calendar.events.at(-1)!.start).toEqual({ dateTime: '2030-01-10T10:00:00.0000000', timeZone: 'America/New_York' });
    expect(ny).toMatchObject({ start: '2030-01-10T15:00:00.000Z', end: '2030-01-10T16:30:00.000Z', timeZone: 'America/New_York' });

    const strict = connected({ calendarId: calendar.id });
    await expect(
      strict.action('createEvent', { eventKey: 'k', subject: 's', start: inHours(1), end: inHours(2), timeZone: 'Mars/Olympus_Mons' }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Unknown time zone "Mars/Olympus_Mons"'),
    });
    await expect(strict.action('createEvent', { eventKey: 'k', subject: 's', start: inHours(2), end: inHours(1) })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The event must end after it starts.',
    });
    expect(strict.requests).toEqual([]);
  });

  it('passes Graph’s refusals on: no calendar permission, a read-only or unknown calendar', async () => {
    const { accessToken: profileOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, GRAPH_SCOPES.user);
    const input = { eventKey: 'sess_x', subject: 'x', start: inHours(1), end: inHours(2) };
    await expect(connected({}, profileOnly).action('createEvent', input)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Access is denied. Check credentials and try again. (ErrorAccessDenied) Connect again and allow access to your calendars (Calendars.ReadWrite).',
    });
    const { accessToken: readOnlyGrant } = fake.state.oauth.mintTokens(CLIENT.clientId, `${GRAPH_SCOPES.calendarsRead} ${GRAPH_SCOPES.user}`);
    const h = connected({}, readOnlyGrant);
    await expect(h.action('createEvent', input)).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('ErrorAccessDenied') });
    expect(h.requests.map((request) => request.method)).toEqual(['GET', 'POST']);

    const shared = fake.state.addCalendar('Shared with me', { canEdit: false });
    await expect(connected({ calendarId: shared.id }).action('createEvent', input)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Access is denied'),
    });
    expect(shared.events).toEqual([]);

    await expect(connected({ calendarId: 'AAMkAGNoSuchCalendarAAA=' }).action('createEvent', input)).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'The specified object was not found in the store. (ErrorItemNotFound) If this is the configured calendar, choose another one (see the listCalendars action).',
    });
  });

  it('answers Graph’s 429 as a rate limit with its Retry-After, forced or over the mailbox limit', async () => {
    fake.state.throttle(1, { retryAfter: '10' });
    await expect(connected().action('createEvent', { eventKey: 'sess_busy', subject: 'x', start: inHours(1), end: inHours(2) })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 10,
      message: 'Please retry again later. (TooManyRequests)',
    });
    fake.state.throttle(1, { retryAfter: '2.128', code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' });
    await expect(connected().healthCheck()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 2.128,
      message: expect.stringContaining('MailboxConcurrency'),
    });

    const limit = fake.state.mailboxLimit;
    fake.state.mailboxLimit = { requests: 1, windowMs: 30_000 };
    try {
      await expect(connected().healthCheck()).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: expect.any(Number) });
      const refused = fake.state.requests.at(-1)!;
      expect(refused.path).toBe('/v1.0/me');
    } finally {
      fake.state.mailboxLimit = limit;
    }
    await connected().healthCheck();
  });
});

describe('microsoft outlook plugin: sessions', () => {
  let calendar: FakeOutlookCalendar;
  beforeAll(() => {
    calendar = fake.state.addCalendar('Sessions');
  });
  const session = {
    sessionId: 'sess_77',
    roomId: 'room_1',
    title: 'Quarterly review',
    description: 'Numbers',
    start: '2030-03-02T16:00:00Z',
    end: '2030-03-02T17:00:00Z',
    timeZone: 'Europe/Paris',
    joinUrl: 'https://app.example.com/rooms/room_1',
  };

  it('puts a scheduled session on the calendar, updates it, then removes it when cancelled', async () => {
    const settings = { calendarId: calendar.id, defaultReminderMinutes: 10 };
    const scheduled = connected(settings);
    await outlook.onEvent['session.scheduled'](scheduled.context(), sessionEvent('session.scheduled', session));
    const property = lastPostBody(scheduled).singleValueExtendedProperties[0];
    const [event] = keyed(calendar, property);
    expect(event).toMatchObject({
      subject: 'Quarterly review',
      reminderMinutesBeforeStart: 10,
      start: { dateTime: '2030-03-02T17:00:00.0000000', timeZone: 'Europe/Paris' },
    });
    expect(event.location).toMatchObject({ displayName: session.joinUrl, locationUri: session.joinUrl });
    expect(scheduled.logs.at(-1)).toMatchObject({ level: 'info', message: 'session put on the Outlook calendar', fields: { outlookEventId: event.id } });

    const updated = connected(settings);
    await outlook.onEvent['session.updated'](
      updated.context(),
      sessionEvent('session.updated', { ...session, title: 'Quarterly review (new time)', start: '2030-03-02T18:30:00Z', end: '2030-03-02T19:30:00Z' }),
    );
    expect(updated.requests.map((request) => request.method)).toEqual(['GET', 'PATCH']);
    expect(keyed(calendar, property)).toEqual([
      expect.objectContaining({
        id: event.id,
        subject: 'Quarterly review (new time)',
        start: { dateTime: '2030-03-02T19:30:00.0000000', timeZone: 'Europe/Paris' },
      }),
    ]);

    // The same key as createEvent: a createEvent for the session id finds the session's event.
    const viaAction = await connected(settings).action<Json>('createEvent', {
      eventKey: 'sess_77',
      subject: 'Quarterly review (new time)',
      start: '2030-03-02T18:30:00Z',
      end: '2030-03-02T19:30:00Z',
    });
    expect(viaAction).toMatchObject({ id: event.id, created: false });

    const cancelled = connected(settings);
    await outlook.onEvent['session.cancelled'](cancelled.context(), sessionEvent('session.cancelled', { sessionId: 'sess_77', reason: 'Speaker unavailable' }));
    expect(calls(cancelled)[1]).toBe(
      `DELETE https://graph.microsoft.com/v1.0/me/calendars/${encodeURIComponent(calendar.id)}/events/${encodeURIComponent(event.id)}`,
    );
    expect(keyed(calendar, property)).toEqual([]);
    expect(cancelled.logs.at(-1)).toMatchObject({ message: 'Outlook event of the session removed' });

    const again = connected(settings);
    await outlook.onEvent['session.cancelled'](again.context(), sessionEvent('session.cancelled', { sessionId: 'sess_77' }));
    expect(again.requests.map((request) => request.method)).toEqual(['GET']);
    expect(again.logs.at(-1)).toMatchObject({ message: 'the session has no Outlook event: nothing to remove' });
  });

  it('an update of a session never scheduled creates its event; a session without times writes nothing', async () => {
    const h = connected({ calendarId: calendar.id });
    await outlook.onEvent['session.updated'](h.context(), sessionEvent('session.updated', { ...session, sessionId: 'sess_late', timeZone: 'Not/AZone' }));
    expect(h.requests.map((request) => request.method)).toEqual(['GET', 'POST']);
    expect((h.requests[1].json() as Json).start).toEqual({ dateTime: '2030-03-02T16:00:00', timeZone: 'UTC' });
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'unknown time zone: the event is written in UTC' }));

    const incomplete = connected({ calendarId: calendar.id });
    await outlook.onEvent['session.scheduled'](incomplete.context(), sessionEvent('session.scheduled', { sessionId: 'sess_x', title: 'No times' }));
    expect(incomplete.requests).toEqual([]);
    expect(incomplete.logs).toEqual([expect.objectContaining({ level: 'warn', message: 'session.scheduled without start, end: no Outlook event written' })]);
  });

  it('a cancelled session whose event is already gone is not an error', async () => {
    const h = connected({ calendarId: calendar.id });
    await outlook.onEvent['session.scheduled'](h.context(), sessionEvent('session.scheduled', { ...session, sessionId: 'sess_gone' }));
    const property = lastPostBody(h).singleValueExtendedProperties[0];
    const [event] = keyed(calendar, property);
    // The lookup still finds it, the user deletes it in Outlook meanwhile, and the DELETE answers 404.
    const cancelled = connected({ calendarId: calendar.id });
    const context = cancelled.context();
    const http = context.http;
    const statuses: number[] = [];
    context.http = async (url, init) => {
      if (init?.method === 'DELETE') calendar.events.splice(calendar.events.indexOf(event), 1);
      const response = await http(url, init);
      statuses.push(response.status);
      return response;
    };
    await outlook.onEvent['session.cancelled'](context, sessionEvent('session.cancelled', { sessionId: 'sess_gone' }));
    expect(cancelled.requests.map((request) => request.method)).toEqual(['GET', 'DELETE']);
    expect(statuses).toEqual([200, 404]);
    expect(cancelled.logs.at(-1)).toMatchObject({ message: 'Outlook event of the session removed' });
  });
});

describe('microsoft outlook plugin: sync', () => {
  it('syncs every event of the configured calendar, following @odata.nextLink, times in UTC', async () => {
    const calendar = fake.state.addCalendar('Sync');
    for (let index = 0; index < 230; index += 1)
      fake.state.addEvent(calendar.id, { subject: `Event ${index}`, start: inHours(index), end: inHours(index + 1) });
    fake.state.addEvent(calendar.id, { subject: 'In Paris', start: '2030-07-01T10:00:00Z', end: '2030-07-01T11:00:00Z', timeZone: 'Europe/Paris' });
    const teams = fake.state.addEvent(calendar.id, { subject: 'Teams call', start: inHours(3), end: inHours(4), teams: true });
    fake.state.addEvent(fake.state.defaultCalendar.id, { subject: 'Elsewhere', start: inHours(1), end: inHours(2) });
    const h = connected({ calendarId: calendar.id });
    const { records } = (await h.sync()) as { records: Record<string, Json[]> };
    expect(records.events).toHaveLength(232);
    expect(new Set(records.events.map((event) => event.id)).size).toBe(232);
    expect(records.events.find((event) => event.subject === 'Teams call')).toMatchObject({
      id: teams.id,
      joinUrl: teams.onlineMeeting!.joinUrl,
      location: null,
    });
    expect(teams.onlineMeeting!.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
    expect(records.events.map((event) => event.subject)).not.toContain('Elsewhere');
    expect(records.events.find((event) => event.subject === 'In Paris')).toMatchObject({
      subject: 'In Paris',
      start: '2030-07-01T10:00:00.000Z',
      end: '2030-07-01T11:00:00.000Z',
      timeZone: 'Europe/Paris',
      isCancelled: false,
    });
    const urls = h.requests.map((request) => new URL(request.url));
    expect(urls.map((url) => url.searchParams.get('$skip'))).toEqual([null, '100', '200']);
    expect(urls.every((url) => url.searchParams.get('$top') === '100' && url.pathname === `/v1.0/me/calendars/${encodeURIComponent(calendar.id)}/events`)).toBe(
      true,
    );
    expect(h.requests.every((request) => request.headers.prefer === 'outlook.timezone="UTC"')).toBe(true);
  });

  it('syncs the default calendar when none is configured, and refuses a next link off Graph', async () => {
    const h = connected();
    const { records } = (await h.sync()) as { records: Record<string, Json[]> };
    expect(records.events.map((event) => event.subject)).toContain('Elsewhere');
    expect(new URL(h.requests[0].url).pathname).toBe('/v1.0/me/calendar/events');

    const hostile = createHarness(plugin, {
      credentials: { accessToken },
      http: (request) => ({
        body: { value: [], '@odata.nextLink': `https://graph.example.com/v1.0/me/calendar/events?from=${encodeURIComponent(request.url)}` },
      }),
    });
    await expect(hostile.sync()).rejects.toThrow('outside its API');
  });
});

describe('microsoft outlook plugin: schemas', () => {
  it('refuses malformed inputs and settings before any call', () => {
    const ajv = createSchemaCompiler();
    const create = ajv.compile(outlook.actions.createEvent.inputSchema);
    const valid = { eventKey: 'sess_1', subject: 'Demo', start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' };
    expect(create(valid)).toBe(true);
    expect(create({ ...valid, timeZone: 'America/Argentina/Buenos_Aires', joinUrl: 'https://rooms.example.com/r/1', reminderMinutes: 0 })).toBe(true);
    expect(create({ ...valid, start: 'tomorrow' })).toBe(false);
    expect(create({ ...valid, eventKey: '' })).toBe(false);
    expect(create({ ...valid, subject: 'x'.repeat(256) })).toBe(false);
    expect(create({ ...valid, joinUrl: 'not a url' })).toBe(false);
    expect(create({ ...valid, joinUrl: 'javascript:alert(1)' })).toBe(false);
    expect(create({ ...valid, timeZone: 'Pacific Standard Time' })).toBe(false);
    expect(create({ ...valid, reminderMinutes: -5 })).toBe(false);
    expect(create({ ...valid, attendees: ['a@example.com'] })).toBe(false);
    const { eventKey: _key, ...keyless } = valid;
    expect(create(keyless)).toBe(false);
    expect(ajv.compile(outlook.actions.listCalendars.inputSchema)({ top: 5 })).toBe(false);

    const settings = ajv.compile(outlook.settingsSchema);
    expect(settings({ calendarId: 'AAMkAGI2TGuLAAA=', defaultReminderMinutes: 15 })).toBe(true);
    expect(settings({ calendarId: 'AAMk AGI2' })).toBe(false);
    expect(settings({ defaultReminderMinutes: 50_000 })).toBe(false);
  });
});
