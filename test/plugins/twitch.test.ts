import { helixError, startFakeTwitch, TWITCH_SCOPES, type FakeTwitch } from '../fixtures/providers/twitch.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: 'wbmytr93xzw8zbg0p1izqyzzc5mbiz', clientSecret: 'twitch-client-secret-0123456789', redirectUris: [REDIRECT_URI] };
const OTHER_APP = { clientId: 'uo6dggojyb8d6soh92zknwmi5ej1q2', clientSecret: 'other-app-secret' };
const BOTH = `${TWITCH_SCOPES.streamKey} ${TWITCH_SCOPES.manageBroadcast}`;
const HELIX = 'https://api.twitch.tv/helix';
const VALIDATE = 'https://id.twitch.tv/oauth2/validate';
const INGESTS = 'https://ingest.twitch.tv/ingests';

let plugin: PluginDefinition;
let twitch: Json;
let fake: FakeTwitch;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('twitch');
  twitch = plugin.providers[0];
  fake = await startFakeTwitch();
  fake.state.oauth.registerClient(CLIENT);
  fake.state.oauth.registerClient(OTHER_APP);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, BOTH).accessToken;
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.queued.length = 0;
  fake.state.bucketSize = 800;
  fake.state.ingestsAvailable = true;
});

/** A Twitch integration; `metadata` is what verify stored (none before connecting). */
const harness = ({ token = accessToken, metadata }: { token?: string; metadata?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'twitch',
    credentials: { accessToken: token, tokenType: 'bearer' },
    integration: { metadata: metadata ?? { clientId: CLIENT.clientId, userId: fake.state.user.id, login: 'acmelive' } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);

describe('twitch plugin: declaration and OAuth', () => {
  it('declares Twitch OAuth 2.0 with both scopes and refresh, Helix as base URL, and its token bucket per connection', () => {
    expect(twitch).toMatchObject({
      id: 'twitch',
      category: 'live_streaming',
      baseUrl: HELIX,
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://id.twitch.tv/oauth2/authorize',
        tokenUrl: 'https://id.twitch.tv/oauth2/token',
        scopes: [TWITCH_SCOPES.streamKey, TWITCH_SCOPES.manageBroadcast],
        refresh: true,
      },
      rateLimits: [{ requests: 800, windowMs: 60_000, scope: 'connection' }],
    });
    expect(Object.keys(twitch.actions)).toEqual(['getStreamDestination', 'updateChannel']);
  });

  it('the fake runs Twitch’s flow: scopes as an array, bearer tokens with a refresh token, Twitch’s error bodies', async () => {
    const url = new URL(twitch.auth.authorizationUrl);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: twitch.auth.scopes.join(' '),
      state: 'st-tw',
    }))
      url.searchParams.set(key, value);
    const back = await followAuthorizationUrl(url, fake.origins);
    expect(back.searchParams.get('state')).toBe('st-tw');
    const token = (form: Record<string, string>) => postTokenRequest(twitch.auth.tokenUrl, fake.origins, form);
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };
    expect(await token({ ...exchange, client_secret: 'wrong' })).toEqual({ status: 403, body: { status: 403, message: 'invalid client secret' } });
    const granted = await token(exchange);
    expect(granted).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String),
        expires_in: 14_400,
        refresh_token: expect.any(String),
        scope: [TWITCH_SCOPES.streamKey, TWITCH_SCOPES.manageBroadcast],
        token_type: 'bearer',
      },
    });
    expect((await harness({ token: granted.body.access_token, metadata: {} }).verify()).displayName).toBe('AcmeLive');
    expect(await token(exchange)).toEqual({ status: 400, body: { status: 400, message: 'Invalid authorization code' } });

    const refresh = { grant_type: 'refresh_token', refresh_token: granted.body.refresh_token, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    const refreshed = await token(refresh);
    expect(refreshed.body).toMatchObject({ access_token: expect.any(String), refresh_token: granted.body.refresh_token, token_type: 'bearer' });
    fake.state.oauth.revokeRefreshToken(granted.body.refresh_token);
    expect(await token(refresh)).toEqual({ status: 400, body: { status: 400, message: 'Invalid refresh token' } });
  });

  it('the fake answers Helix’s 401s: no token, an unknown token, a missing or foreign Client-Id', async () => {
    const users = `${fake.url}/helix/users`;
    const get = async (headers: Record<string, string>) => {
      const response = await fetch(users, { headers });
      return { status: response.status, body: await response.json() };
    };
    expect(await get({ 'Client-Id': CLIENT.clientId })).toEqual({
      status: 401,
      body: { error: 'Unauthorized', status: 401, message: 'OAuth token is missing' },
    });
    expect(await get({ Authorization: 'Bearer nope', 'Client-Id': CLIENT.clientId })).toEqual({
      status: 401,
      body: { error: 'Unauthorized', status: 401, message: 'Invalid OAuth token' },
    });
    const mismatch = { status: 401, body: { error: 'Unauthorized', status: 401, message: 'Client ID and OAuth token do not match' } };
    expect(await get({ Authorization: `Bearer ${accessToken}` })).toEqual(mismatch);
    expect(await get({ Authorization: `Bearer ${accessToken}`, 'Client-Id': OTHER_APP.clientId })).toEqual(mismatch);
    const validate = await fetch(`${fake.url}/oauth2/validate`, { headers: { Authorization: 'OAuth nope' } });
    expect({ status: validate.status, body: await validate.json() }).toEqual({ status: 401, body: { status: 401, message: 'invalid access token' } });
  });
});

describe('twitch plugin: verify and health', () => {
  it('validates the token, then reads the user with the token’s client id, and keeps both ids', async () => {
    const h = harness({ metadata: {} });
    expect(await h.verify()).toEqual({
      displayName: 'AcmeLive',
      metadata: {
        clientId: CLIENT.clientId,
        userId: fake.state.user.id,
        login: 'acmelive',
        displayName: 'AcmeLive',
        broadcasterType: 'affiliate',
        scopes: [TWITCH_SCOPES.streamKey, TWITCH_SCOPES.manageBroadcast],
      },
    });
    expect(calls(h)).toEqual([`GET ${VALIDATE}`, `GET ${HELIX}/users`]);
    const [validate, users] = h.requests;
    expect(validate.headers.authorization).toBe(`OAuth ${accessToken}`);
    expect(validate.headers['client-id']).toBeUndefined();
    expect(users.headers).toMatchObject({ authorization: `Bearer ${accessToken}`, 'client-id': CLIENT.clientId });
  });

  it('refuses a grant without both scopes, a dead token, and an app access token', async () => {
    const { accessToken: keyOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, TWITCH_SCOPES.streamKey);
    await expect(harness({ token: keyOnly, metadata: {} }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining(`Twitch did not grant ${TWITCH_SCOPES.manageBroadcast}: connect Twitch again`),
    });
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, BOTH);
    fake.state.oauth.expireAccessToken(stale);
    await expect(harness({ token: stale, metadata: {} }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('no longer valid'),
    });
    await expect(harness({ token: fake.state.mintAppToken(CLIENT.clientId), metadata: {} }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'This is an app access token, not a user’s: connect a Twitch account.',
    });
  });

  it('checks health with the validate endpoint only (no Helix points), and notices a token of another account', async () => {
    const h = harness();
    await h.healthCheck();
    expect(calls(h)).toEqual([`GET ${VALIDATE}`]);
    await expect(harness({ metadata: { clientId: CLIENT.clientId, userId: '1' } }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('another Twitch account'),
    });
    const { accessToken: revoked } = fake.state.oauth.mintTokens(CLIENT.clientId, BOTH);
    fake.state.oauth.accessTokens.get(revoked)!.revoked = true;
    await expect(harness({ token: revoked }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });
});

describe('twitch plugin: stream destination', () => {
  it('answers the stream key and the default ingest server, sending Client-Id to Helix and nothing to the ingest list', async () => {
    const h = harness();
    const destination = await h.action<Json>('getStreamDestination', {});
    expect(destination).toEqual({
      broadcasterId: fake.state.user.id,
      ingestName: 'Default',
      server: 'rtmp://ingest.global-contribute.live-video.net/app',
      secureServer: 'rtmps://ingest.global-contribute.live-video.net/app',
      streamKey: fake.state.streamKey,
    });
    expect(calls(h)).toEqual([`GET ${HELIX}/streams/key?broadcaster_id=${fake.state.user.id}`, `GET ${INGESTS}`]);
    expect(h.requests[0].headers).toMatchObject({ authorization: `Bearer ${accessToken}`, 'client-id': CLIENT.clientId });
    expect(h.requests[1].headers.authorization).toBeUndefined();
    expect(h.requests[1].headers['client-id']).toBeUndefined();
    // The stream key is a secret: returned, never logged.
    expect(JSON.stringify(h.logs)).not.toContain(fake.state.streamKey);
  });

  it('finds the client id and broadcaster through /validate when the connection has not kept them', async () => {
    const h = harness({ metadata: {} });
    expect((await h.action<Json>('getStreamDestination', {})).streamKey).toBe(fake.state.streamKey);
    expect(calls(h)).toEqual([`GET ${VALIDATE}`, `GET ${HELIX}/streams/key?broadcaster_id=${fake.state.user.id}`, `GET ${INGESTS}`]);
    expect(h.requests[1].headers['client-id']).toBe(CLIENT.clientId);
  });

  it('falls back to Twitch’s documented default ingest when the list is down', async () => {
    fake.state.ingestsAvailable = false;
    fake.state.ingests[0].url_template = 'rtmp://elsewhere.contribute.live-video.net/app/{stream_key}';
    try {
      const h = harness();
      expect(await h.action<Json>('getStreamDestination', {})).toMatchObject({
        ingestName: 'Default',
        server: 'rtmp://ingest.global-contribute.live-video.net/app',
      });
      expect(h.logs).toEqual([
        expect.objectContaining({ level: 'warn', message: 'Twitch ingest list unavailable: using the default ingest' }),
        expect.objectContaining({ level: 'info' }),
      ]);
      fake.state.ingestsAvailable = true;
      expect((await harness().action<Json>('getStreamDestination', {})).server).toBe('rtmp://elsewhere.contribute.live-video.net/app');
    } finally {
      fake.state.ingests[0].url_template = 'rtmp://ingest.global-contribute.live-video.net/app/{stream_key}';
    }
  });

  it('refuses when the stream-key scope was not granted, and when the kept client id is not the token’s app', async () => {
    const { accessToken: manageOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, TWITCH_SCOPES.manageBroadcast);
    await expect(harness({ token: manageOnly }).action('getStreamDestination', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Twitch did not grant ${TWITCH_SCOPES.streamKey}: connect Twitch again and allow it.`,
    });
    await expect(harness({ metadata: { clientId: OTHER_APP.clientId, userId: fake.state.user.id } }).action('getStreamDestination', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Twitch refused the credentials (Client ID and OAuth token do not match): connect Twitch again.',
    });
    await expect(harness({ metadata: { clientId: CLIENT.clientId, userId: '12345' } }).action('getStreamDestination', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('must match the user ID'),
    });
  });
});

describe('twitch plugin: channel updates', () => {
  it('sets the title and a category found by its exact name', async () => {
    const h = harness();
    const result = await h.action<Json>('updateChannel', { title: 'Launch day Q&A', categoryName: 'Software and Game Development' });
    expect(result).toEqual({
      broadcasterId: fake.state.user.id,
      title: 'Launch day Q&A',
      category: { id: '1469308723', name: 'Software and Game Development' },
    });
    expect(calls(h)).toEqual([`GET ${HELIX}/games?name=Software+and+Game+Development`, `PATCH ${HELIX}/channels?broadcaster_id=${fake.state.user.id}`]);
    expect(h.requests[1].json()).toEqual({ title: 'Launch day Q&A', game_id: '1469308723' });
    expect(h.requests[1].headers['client-id']).toBe(CLIENT.clientId);
    expect(fake.state.channel).toMatchObject({ title: 'Launch day Q&A', game_id: '1469308723', game_name: 'Software and Game Development' });
  });

  it('falls back to searching categories for a name that differs in case, and changes only the title when only a title is given', async () => {
    const h = harness();
    expect((await h.action<Json>('updateChannel', { categoryName: 'just chatting' })).category).toEqual({ id: '509658', name: 'Just Chatting' });
    expect(calls(h)).toEqual([
      `GET ${HELIX}/games?name=just+chatting`,
      `GET ${HELIX}/search/categories?query=just+chatting&first=10`,
      `PATCH ${HELIX}/channels?broadcaster_id=${fake.state.user.id}`,
    ]);
    expect(h.requests[2].json()).toEqual({ game_id: '509658' });
    const titled = harness();
    await titled.action('updateChannel', { title: 'Only the title' });
    expect(calls(titled)).toEqual([`PATCH ${HELIX}/channels?broadcaster_id=${fake.state.user.id}`]);
    expect(titled.requests[0].json()).toEqual({ title: 'Only the title' });
    expect(fake.state.channel).toMatchObject({ title: 'Only the title', game_name: 'Just Chatting' });
  });

  it('refuses an unknown category with the closest names, without touching the channel', async () => {
    const before = { ...fake.state.channel };
    await expect(harness().action('updateChannel', { title: 'x', categoryName: 'Science' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Twitch has no category named "Science"; closest: Science & Technology.',
    });
    await expect(harness().action('updateChannel', { categoryName: 'Underwater basket weaving' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Twitch has no category named "Underwater basket weaving".',
    });
    expect(fake.state.channel).toEqual(before);
  });

  it('passes Twitch’s refusals on, and the schema refuses malformed input before any call', async () => {
    const { accessToken: keyOnly } = fake.state.oauth.mintTokens(CLIENT.clientId, TWITCH_SCOPES.streamKey);
    await expect(harness({ token: keyOnly }).action('updateChannel', { title: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `Twitch did not grant ${TWITCH_SCOPES.manageBroadcast}: connect Twitch again and allow it.`,
    });
    fake.state.queued.push(helixError(400, 'Bad Request', 'The title contains words that are not allowed.'));
    await expect(harness().action('updateChannel', { title: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The title contains words that are not allowed.',
    });

    const update = createSchemaCompiler().compile(twitch.actions.updateChannel.inputSchema);
    expect(update({ title: 'Hello' })).toBe(true);
    expect(update({ categoryName: 'Art' })).toBe(true);
    expect(update({})).toBe(false);
    expect(update({ title: '   ' })).toBe(false);
    expect(update({ title: 'x'.repeat(141) })).toBe(false);
    expect(update({ title: 'Hello', gameId: '1' })).toBe(false);
    expect(createSchemaCompiler().compile(twitch.actions.getStreamDestination.inputSchema)({ broadcasterId: '1' })).toBe(false);
  });
});

describe('twitch plugin: rate limits and outages', () => {
  it('answers a dry token bucket (429) as a rate limit until Ratelimit-Reset', async () => {
    fake.state.bucketSize = 0;
    const error = await harness()
      .action('getStreamDestination', {})
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'provider_rate_limited', message: 'Twitch is rate limiting this connection: Too Many Requests' });
    const wait = (error as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(wait).toBeGreaterThanOrEqual(1);
    // A minute at most, rounded up to whole seconds on both ends.
    expect(wait).toBeLessThanOrEqual(61);
  });

  it('answers a Helix 5xx as an outage, not a refusal', async () => {
    fake.state.queued.push(helixError(503, 'Service Unavailable', 'Service Unavailable'));
    const error = await harness()
      .action('updateChannel', { title: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBeUndefined();
    expect((error as Error).message).toBe('Twitch answered HTTP 503: Service Unavailable');
  });
});
