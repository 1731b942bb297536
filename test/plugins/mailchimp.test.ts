import { startFakeMailchimp, subscriberHash, type FakeMailchimp, type MailchimpList } from '../fixtures/providers/mailchimp.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness, type StubHandler } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const CLIENT = { clientId: '123456789012', clientSecret: 'mailchimp-client-secret', redirectUris: ['http://localhost:3000/v1/oauth/callback'] };

let plugin: PluginDefinition;
let mailchimp: Json;
let fake: FakeMailchimp;
let accessToken: string;
let audience: MailchimpList;

beforeAll(async () => {
  plugin = await loadBundledPlugin('mailchimp');
  mailchimp = plugin.providers[0];
  fake = await startFakeMailchimp();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId).accessToken;
  audience = fake.state.addList('Webinar attendees');
});
afterAll(() => fake.close());

/** A harness for a Mailchimp integration; `metadata` is what verify stored (none before connecting). */
const harness = ({
  token = accessToken,
  settings = {},
  metadata = {},
  origins = fake.origins,
}: { token?: string; settings?: Json; metadata?: Json; origins?: Record<string, string> } = {}) =>
  createHarness(plugin, { provider: 'mailchimp', credentials: { accessToken: token }, settings, integration: { metadata }, http: forwardTo(origins) });
const connected = (settings: Json = { listId: audience.id }, token = accessToken) => harness({ token, settings, metadata: { dc: 'us6' } });
const urls = (h: Harness) => h.requests.map((request) => request.url);

function authorize(query: Record<string, string>): Promise<URL> {
  return followAuthorizationUrl(`${mailchimp.auth.authorizationUrl}?${new URLSearchParams(query).toString()}`, fake.origins);
}

const token = (form: Record<string, string>) => postTokenRequest(mailchimp.auth.tokenUrl, fake.origins, form);

describe('mailchimp plugin: OAuth and the data centre', () => {
  it('declares OAuth 2.0 against login.mailchimp.com without scopes or refresh, and a {dc} base URL', () => {
    expect(mailchimp).toMatchObject({
      id: 'mailchimp',
      category: 'email',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://login.mailchimp.com/oauth2/authorize',
        tokenUrl: 'https://login.mailchimp.com/oauth2/token',
        scopes: [],
        refresh: false,
      },
      baseUrl: 'https://{dc}.api.mailchimp.com/3.0',
    });
    expect(Object.keys(mailchimp.settingsSchema.properties)).toEqual(expect.arrayContaining(['listId', 'doubleOptIn']));
  });

  it('the fake runs Mailchimp’s authorization-code flow: a token that never expires and no refresh token', async () => {
    const back = await authorize({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: CLIENT.redirectUris[0], state: 'st-1' });
    expect(back.origin + back.pathname).toBe(CLIENT.redirectUris[0]);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code')!;
    const exchange = {
      grant_type: 'authorization_code',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      redirect_uri: CLIENT.redirectUris[0],
      code,
    };
    const granted = await token(exchange);
    expect(granted).toEqual({ status: 200, body: { access_token: expect.any(String), expires_in: 0, scope: null } });
    expect((await harness({ token: granted.body.access_token }).verify()).metadata!.dc).toBe('us6');
    expect(await token(exchange)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
  });

  it('the fake refuses a wrong client secret, a different redirect_uri, and answers access_denied when told to', async () => {
    const code = (await authorize({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: CLIENT.redirectUris[0] })).searchParams.get('code')!;
    const exchange = { grant_type: 'authorization_code', client_id: CLIENT.clientId, client_secret: 'wrong', redirect_uri: CLIENT.redirectUris[0], code };
    expect((await token(exchange)).body.error).toBe('invalid_client');
    expect((await token({ ...exchange, client_secret: CLIENT.clientSecret, redirect_uri: 'http://localhost:3000/elsewhere' })).body.error).toBe(
      'invalid_grant',
    );
    fake.state.oauth.authorizeError = 'access_denied';
    try {
      const denied = await authorize({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: CLIENT.redirectUris[0], state: 'st-2' });
      expect(Object.fromEntries(denied.searchParams)).toEqual({ state: 'st-2', error: 'access_denied' });
    } finally {
      fake.state.oauth.authorizeError = null;
    }
  });

  it('verifies through the metadata endpoint with "Authorization: OAuth" and stores the data centre', async () => {
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: 'Acme Events',
      metadata: { dc: 'us6', apiEndpoint: 'https://us6.api.mailchimp.com', accountName: 'Acme Events', loginEmail: 'owner@acme.test', userId: 4217 },
    });
    expect(urls(h)).toEqual(['https://login.mailchimp.com/oauth2/metadata']);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`OAuth ${accessToken}`);
  });

  it('refuses a token Mailchimp does not know', async () => {
    await expect(harness({ token: 'not-a-token' }).verify()).rejects.toMatchObject({ code: 'provider_rejected' });
    await expect(connected({}, 'not-a-token').healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('API Key Invalid'),
    });
  });

  it('calls the API in the data centre named by the metadata', async () => {
    const other = await startFakeMailchimp({ dc: 'us19' });
    try {
      other.state.oauth.registerClient(CLIENT);
      const otherToken = other.state.oauth.mintTokens(CLIENT.clientId).accessToken;
      const { metadata } = await harness({ token: otherToken, origins: other.origins }).verify();
      expect(metadata).toMatchObject({ dc: 'us19', apiEndpoint: 'https://us19.api.mailchimp.com' });
      const h = harness({ token: otherToken, metadata, origins: other.origins });
      await h.healthCheck();
      expect(urls(h)).toEqual(['https://us19.api.mailchimp.com/3.0/ping']);
      expect(other.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${otherToken}`);
    } finally {
      await other.close();
    }
  });
});

describe('mailchimp plugin: audiences and members', () => {
  it('adds a member by the MD5 of the lower-cased email, subscribed, with tags', async () => {
    const h = connected();
    const member = await h.action<Json>('addMember', { email: 'Ana.Lima@Example.com', firstName: 'Ana', lastName: 'Lima', tags: ['webinar'] });
    const hash = subscriberHash('ana.lima@example.com');
    expect(member).toEqual({ id: hash, email: 'Ana.Lima@Example.com', status: 'subscribed', listId: audience.id, tags: ['webinar'] });
    expect(urls(h)).toEqual([
      `https://us6.api.mailchimp.com/3.0/lists/${audience.id}/members/${hash}`,
      `https://us6.api.mailchimp.com/3.0/lists/${audience.id}/members/${hash}/tags`,
    ]);
    const put = fake.state.requests.at(-2)!;
    expect(put.method).toBe('PUT');
    expect(put.body).toEqual({ email_address: 'Ana.Lima@Example.com', status_if_new: 'subscribed', merge_fields: { FNAME: 'Ana', LNAME: 'Lima' } });
    expect(audience.members.get(hash)!.tags.map((tag) => tag.name)).toEqual(['webinar']);
  });

  it('adds new members as pending under double opt-in and never re-subscribes an unsubscribed one', async () => {
    const pending = await connected({ listId: audience.id, doubleOptIn: true }).action<Json>('addMember', { email: 'new@example.com' });
    expect(pending.status).toBe('pending');
    const first = await connected().action<Json>('addMember', { email: 'gone@example.com' });
    audience.members.get(first.id)!.status = 'unsubscribed';
    const again = await connected().action<Json>('addMember', { email: 'gone@example.com', firstName: 'Gone' });
    expect(again.status).toBe('unsubscribed');
  });

  it('passes Mailchimp’s refusals on as provider_rejected', async () => {
    await expect(connected().action<Json>('addMember', { email: 'ana@example.com', listId: 'nosuchlist' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Resource Not Found: The requested resource could not be found.',
    });
    await expect(connected().action<Json>('addMember', { email: 'not-an-email' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('email_address: Please provide a valid email address.'),
    });
    await expect(connected({}).action<Json>('addMember', { email: 'ana@example.com' })).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('adds a registrant to the configured audience when registration.received arrives', async () => {
    const h = connected({ listId: audience.id, tags: ['registered'] });
    const event = {
      id: 'evt_2',
      event: 'registration.received',
      timestamp: '2026-01-01T09:00:00Z',
      accountId: 'acct_test',
      livemode: false,
      data: { registrationId: 'reg_7', email: 'bo.silva@example.com', name: 'Bo  da Silva' },
    };
    await mailchimp.onEvent!['registration.received'](h.context(), event);
    const member = audience.members.get(subscriberHash('bo.silva@example.com'))!;
    expect(member).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'Bo', LNAME: 'da Silva' } });
    expect(member.tags.map((tag) => tag.name)).toEqual(['registered']);
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'registrant added to the audience' });
  });

  it('skips a registration when no audience is configured', async () => {
    const h = connected({});
    const event = {
      id: 'evt_3',
      event: 'registration.received',
      timestamp: '2026-01-01T09:00:00Z',
      accountId: 'acct_test',
      livemode: false,
      data: { registrationId: 'r', email: 'x@example.com' },
    };
    await mailchimp.onEvent!['registration.received'](h.context(), event);
    expect(urls(h)).toEqual([]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('lists audiences and syncs all of them with count/offset paging', async () => {
    for (let index = 0; index < 229; index += 1) fake.state.addList(`Audience ${index}`);
    const page = await connected().action<Json>('listAudiences', { count: 2 });
    expect(page.totalItems).toBe(230);
    expect(page.audiences[0]).toMatchObject({ id: audience.id, name: 'Webinar attendees', memberCount: expect.any(Number) });
    const h = connected();
    const result = await h.sync();
    expect(result.records!.audiences).toHaveLength(230);
    expect(new Set(result.records!.audiences.map((entry: { id: string }) => entry.id)).size).toBe(230);
    expect(urls(h).map((url) => new URL(url).searchParams.get('offset'))).toEqual(['0', '100', '200']);
  });
});

const API = 'https://us6.api.mailchimp.com/3.0';
const event = (type: string, data: Json, id = `evt_${type}`): PlugboardEvent => ({
  id,
  event: type,
  timestamp: '2026-03-02T17:05:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});
const sent = (h: Harness) => h.requests.map((request) => [request.method, request.url, request.body ? request.json() : undefined]);

describe('mailchimp plugin: engagement and Customer Journeys', () => {
  let webinar: MailchimpList;
  const member = (email: string) => webinar.members.get(subscriberHash(email))!;

  beforeAll(async () => {
    webinar = fake.state.addList('Engagement');
    for (const email of ['ana@example.com', 'bo@example.com', 'cy@example.com']) {
      await connected({ listId: webinar.id }).action('addMember', { email });
    }
  });

  it('declares the engagement settings and a strict triggerJourney input', () => {
    const settings = mailchimp.settingsSchema.properties;
    expect(settings.attendedTag).toMatchObject({ type: 'string', default: 'attended' });
    expect(settings.joinedEventName.default).toBe('session_joined');
    expect(settings.watchedEventName.default).toBe('session_watched');
    const ajv = createSchemaCompiler();
    const settingsOk = ajv.compile(mailchimp.settingsSchema);
    expect(
      settingsOk({
        listId: 'l1',
        watchTimeTags: [
          { minMinutes: 0, tag: 'watched' },
          { minMinutes: 30, tag: 'watched-30m' },
        ],
      }),
    ).toBe(true);
    expect(settingsOk({ joinedEventName: 'x' })).toBe(false);
    expect(settingsOk({ joinedEventName: 'joined webinar' })).toBe(false);
    expect(settingsOk({ watchedEventName: 'a'.repeat(31) })).toBe(false);
    expect(settingsOk({ watchTimeTags: [{ minMinutes: -1, tag: 'x' }] })).toBe(false);
    expect(settingsOk({ watchTimeTags: [{ minMinutes: 5 }] })).toBe(false);
    const trigger = ajv.compile(mailchimp.actions.triggerJourney.inputSchema);
    expect(trigger({ journeyId: 1001, stepId: 10011, email: 'ana@example.com' })).toBe(true);
    expect(trigger({ journeyId: '1001', stepId: '10011', email: 'ana@example.com' })).toBe(true);
    expect(trigger({ journeyId: 'abc', stepId: 1, email: 'ana@example.com' })).toBe(false);
    expect(trigger({ journeyId: 0, stepId: 1, email: 'ana@example.com' })).toBe(false);
    expect(trigger({ journeyId: 1, stepId: 1, email: 'not-an-email' })).toBe(false);
    expect(trigger({ journeyId: 1, stepId: 1 })).toBe(false);
    expect(trigger({ journeyId: 1, stepId: 1, email: 'ana@example.com', extra: true })).toBe(false);
  });

  it('participant.joined tags the member "attended" and records a session_joined event', async () => {
    const h = connected({ listId: webinar.id });
    await mailchimp.onEvent!['participant.joined'](
      h.context(),
      event('participant.joined', {
        participantId: 'p_1',
        sessionId: 'sess_9',
        roomId: 'room_123',
        email: 'Ana@Example.com',
        joinedAt: '2026-03-02T16:01:02.345Z',
      }),
    );
    const hash = subscriberHash('ana@example.com');
    expect(sent(h)).toEqual([
      ['POST', `${API}/lists/${webinar.id}/members/${hash}/tags`, { tags: [{ name: 'attended', status: 'active' }] }],
      [
        'POST',
        `${API}/lists/${webinar.id}/members/${hash}/events`,
        { name: 'session_joined', properties: { sessionId: 'sess_9', roomId: 'room_123' }, occurred_at: '2026-03-02T16:01:02+00:00', is_syncing: false },
      ],
    ]);
    expect(member('ana@example.com').tags.map((tag) => tag.name)).toContain('attended');
    expect(member('ana@example.com').events.at(-1)).toEqual({
      name: 'session_joined',
      properties: { sessionId: 'sess_9', roomId: 'room_123' },
      occurred_at: '2026-03-02T16:01:02+00:00',
      is_syncing: false,
    });
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'participant engagement recorded' });
  });

  it('participant.joined uses the configured tag and event name, the event time when joinedAt is absent, and can skip either part', async () => {
    const custom = connected({ listId: webinar.id, attendedTag: 'webinar-attendee', joinedEventName: 'webinar-joined' });
    await mailchimp.onEvent!['participant.joined'](
      custom.context(),
      event('participant.joined', { participantId: 'p_2', sessionId: 'sess_9', email: 'bo@example.com' }),
    );
    expect(sent(custom).map(([, , body]) => body)).toEqual([
      { tags: [{ name: 'webinar-attendee', status: 'active' }] },
      { name: 'webinar-joined', properties: { sessionId: 'sess_9' }, occurred_at: '2026-03-02T17:05:00+00:00', is_syncing: false },
    ]);

    const eventsOnly = connected({ listId: webinar.id, attendedTag: '' });
    await mailchimp.onEvent!['participant.joined'](
      eventsOnly.context(),
      event('participant.joined', { participantId: 'p_2', sessionId: 's', email: 'bo@example.com' }),
    );
    expect(urls(eventsOnly).map((url) => url.split('/').at(-1))).toEqual(['events']);

    const tagOnly = connected({ listId: webinar.id, trackEngagement: false });
    await mailchimp.onEvent!['participant.joined'](
      tagOnly.context(),
      event('participant.joined', { participantId: 'p_2', sessionId: 's', email: 'bo@example.com' }),
    );
    expect(urls(tagOnly).map((url) => url.split('/').at(-1))).toEqual(['tags']);

    const nothing = connected({ listId: webinar.id, trackEngagement: false, attendedTag: '' });
    await mailchimp.onEvent!['participant.joined'](
      nothing.context(),
      event('participant.joined', { participantId: 'p_2', sessionId: 's', email: 'bo@example.com' }),
    );
    expect(urls(nothing)).toEqual([]);
  });

  it('participant.joined subscribes nobody: a participant outside the audience is logged and skipped', async () => {
    const h = connected({ listId: webinar.id });
    await mailchimp.onEvent!['participant.joined'](
      h.context(),
      event('participant.joined', { participantId: 'p_3', sessionId: 's', email: 'stranger@example.com' }),
    );
    expect(h.requests.map((request) => request.method)).toEqual(['POST']);
    expect(webinar.members.has(subscriberHash('stranger@example.com'))).toBe(false);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('not a member of the audience') })]);

    const noAudience = connected({});
    await mailchimp.onEvent!['participant.joined'](
      noAudience.context(),
      event('participant.joined', { participantId: 'p_3', sessionId: 's', email: 'ana@example.com' }),
    );
    const noEmail = connected({ listId: webinar.id });
    await mailchimp.onEvent!['participant.joined'](noEmail.context(), event('participant.joined', { participantId: 'p_3', sessionId: 's' }));
    expect([...urls(noAudience), ...urls(noEmail)]).toEqual([]);
    expect([...noAudience.logs, ...noEmail.logs].map((line) => line.level)).toEqual(['warn', 'warn']);
  });

  it('session.ended records each member’s watch time as a session_watched event and tags their watch-time bucket', async () => {
    const settings = {
      listId: webinar.id,
      watchTimeTags: [
        { minMinutes: 0, tag: 'watched' },
        { minMinutes: 30, tag: 'watched-30m' },
        { minMinutes: 55, tag: 'watched-all' },
      ],
    };
    const h = connected(settings);
    const before = { ana: member('ana@example.com').events.length, bo: member('bo@example.com').events.length };
    await mailchimp.onEvent!['session.ended'](
      h.context(),
      event('session.ended', {
        sessionId: 'sess_9',
        roomId: 'room_123',
        endedAt: '2026-03-02T17:00:00Z',
        participants: [
          { email: 'ana@example.com', watchTimeSeconds: 2400.4 },
          { email: 'bo@example.com', watchTimeSeconds: 300 },
          { email: 'stranger@example.com', watchTimeSeconds: 3600 },
          { email: 'ANA@example.com', watchTimeSeconds: 10 },
          { email: 'not an email', watchTimeSeconds: 60 },
          { name: 'no email' },
        ],
      }),
    );
    expect(member('ana@example.com').events.slice(before.ana)).toEqual([
      {
        name: 'session_watched',
        properties: { sessionId: 'sess_9', roomId: 'room_123', watchTimeSeconds: '2400', watchTimeMinutes: '40' },
        occurred_at: '2026-03-02T17:00:00+00:00',
        is_syncing: false,
      },
    ]);
    expect(member('bo@example.com').events.slice(before.bo)).toEqual([
      expect.objectContaining({
        name: 'session_watched',
        properties: { sessionId: 'sess_9', roomId: 'room_123', watchTimeSeconds: '300', watchTimeMinutes: '5' },
      }),
    ]);
    expect(member('ana@example.com').tags.map((tag) => tag.name)).toContain('watched-30m');
    expect(member('ana@example.com').tags.map((tag) => tag.name)).not.toContain('watched-all');
    expect(member('bo@example.com').tags.map((tag) => tag.name)).toContain('watched');
    expect(member('bo@example.com').tags.map((tag) => tag.name)).not.toContain('watched-30m');
    const tagged = h.requests.filter((request) => request.url.endsWith('/tags')).map((request) => request.json());
    expect(tagged).toEqual(expect.arrayContaining([{ tags: [{ name: 'watched-30m', status: 'active' }] }, { tags: [{ name: 'watched', status: 'active' }] }]));
    // One request pair per distinct, valid address: the duplicate and the invalid ones are never sent.
    expect(h.requests).toHaveLength(5);
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'watch time recorded', fields: { recorded: 2, notMembers: 1 } });
  });

  it('session.ended without participants, or without an audience, records nothing', async () => {
    const h = connected({ listId: webinar.id });
    await mailchimp.onEvent!['session.ended'](h.context(), event('session.ended', { sessionId: 'sess_9', durationSeconds: 3600 }));
    const noAudience = connected({});
    await mailchimp.onEvent!['session.ended'](
      noAudience.context(),
      event('session.ended', { sessionId: 'sess_9', participants: [{ email: 'ana@example.com', watchTimeSeconds: 5 }] }),
    );
    expect([...urls(h), ...urls(noAudience)]).toEqual([]);
    expect(noAudience.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('session.ended fails when nothing was recorded, so the host retries; after a partial failure it only logs', async () => {
    fake.state.tooManyRequests = 50;
    try {
      await expect(
        mailchimp.onEvent!['session.ended'](
          connected({ listId: webinar.id }).context(),
          event('session.ended', { sessionId: 'sess_9', participants: [{ email: 'ana@example.com', watchTimeSeconds: 60 }] }),
        ),
      ).rejects.toMatchObject({ code: 'provider_rate_limited', message: expect.stringContaining('10 simultaneous connections') });
    } finally {
      fake.state.tooManyRequests = 0;
    }

    // Bo's event fails with an outage; Ana's and Cy's are recorded, and the handler does not fail.
    const forward = forwardTo(fake.origins);
    const boEvents = `/members/${subscriberHash('bo@example.com')}/events`;
    const failing: StubHandler = (request) => (request.url.endsWith(boEvents) ? { status: 503, body: { title: 'Service Unavailable' } } : forward(request));
    const h = createHarness(plugin, {
      provider: 'mailchimp',
      credentials: { accessToken },
      settings: { listId: webinar.id },
      integration: { metadata: { dc: 'us6' } },
      http: failing,
    });
    const before = member('cy@example.com').events.length;
    await mailchimp.onEvent!['session.ended'](
      h.context(),
      event('session.ended', {
        sessionId: 'sess_10',
        participants: ['ana@example.com', 'bo@example.com', 'cy@example.com'].map((email) => ({ email, watchTimeSeconds: 120 })),
      }),
    );
    expect(
      member('cy@example.com')
        .events.slice(before)
        .map((entry) => entry.properties.sessionId),
    ).toEqual(['sess_10']);
    expect(h.logs.find((line) => line.level === 'error')).toMatchObject({ fields: { recorded: 2 } });
  });

  it('triggers a Customer Journey step for a contact (204), and passes Mailchimp’s refusals on', async () => {
    const journey = fake.state.addJourney(webinar.id);
    const stepId = [...journey.apiSteps][0];
    const h = connected({ listId: webinar.id });
    const result = await h.action<Json>('triggerJourney', { journeyId: journey.id, stepId: String(stepId), email: ' Ana@Example.com ' });
    expect(result).toEqual({ triggered: true, journeyId: String(journey.id), stepId: String(stepId), email: 'Ana@Example.com' });
    expect(sent(h)).toEqual([
      ['POST', `${API}/customer-journeys/journeys/${journey.id}/steps/${stepId}/actions/trigger`, { email_address: 'Ana@Example.com' }],
    ]);
    expect(journey.triggered).toEqual([{ stepId, email: 'Ana@Example.com' }]);

    await expect(h.action('triggerJourney', { journeyId: journey.id, stepId: stepId + 1, email: 'ana@example.com' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Resource Not Found: The requested resource could not be found.',
    });
    await expect(h.action('triggerJourney', { journeyId: journey.id, stepId, email: 'stranger@example.com' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('stranger@example.com is not a contact of the audience'),
    });
    member('cy@example.com').status = 'unsubscribed';
    await expect(h.action('triggerJourney', { journeyId: journey.id, stepId, email: 'cy@example.com' })).rejects.toMatchObject({ code: 'provider_rejected' });
    expect(journey.triggered).toHaveLength(1);
  });

  it('answers Mailchimp’s 429 as a rate limit, not a refusal', async () => {
    fake.state.tooManyRequests = 1;
    try {
      await expect(connected({ listId: webinar.id }).action('triggerJourney', { journeyId: 1, stepId: 1, email: 'ana@example.com' })).rejects.toMatchObject({
        code: 'provider_rate_limited',
        message: 'Too Many Requests: You have exceeded the limit of 10 simultaneous connections.',
      });
    } finally {
      fake.state.tooManyRequests = 0;
    }
  });
});
