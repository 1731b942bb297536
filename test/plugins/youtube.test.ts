import { startFakeYouTube, youtubeError, YOUTUBE_QUOTA_COSTS, YOUTUBE_SCOPES, type FakeYouTube } from '../fixtures/providers/youtube.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '4321-yt.apps.googleusercontent.com', clientSecret: 'GOCSPX-youtube-client-secret', redirectUris: [REDIRECT_URI] };
const API = 'https://www.googleapis.com/youtube/v3';
const DAY_S = 86_400;

let plugin: PluginDefinition;
let youtube: Json;
let fake: FakeYouTube;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('youtube');
  youtube = plugin.providers[0];
  fake = await startFakeYouTube();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, YOUTUBE_SCOPES.manage).accessToken;
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.queued.length = 0;
  fake.state.quota.used = 0;
  fake.state.liveStreamingEnabled = true;
});

const connected = (settings: Json = {}, token = accessToken) =>
  createHarness(plugin, {
    provider: 'youtube',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    settings,
    integration: { metadata: { channelId: fake.state.channel?.id } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const event = (data: Json, id = 'evt_1'): PlugboardEvent => ({
  id,
  event: 'livestream.ended',
  timestamp: new Date().toISOString(),
  accountId: 'acct_test',
  livemode: false,
  data,
});

/** A broadcast created through the plugin, and the fake's stream behind it. */
async function created(input: Json = {}) {
  const result = await connected().action<Json>('createBroadcast', { title: 'Launch webinar', scheduledStart: inHours(2), ...input });
  return { result, broadcast: fake.state.broadcasts.get(result.broadcastId)!, stream: fake.state.streams.get(result.streamId)! };
}

describe('youtube plugin: declaration and OAuth', () => {
  it('declares Google OAuth 2.0 with the youtube scope, offline refresh, and daily per-project budgets', () => {
    expect(youtube).toMatchObject({
      id: 'youtube',
      category: 'live_streaming',
      baseUrl: API,
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: [YOUTUBE_SCOPES.manage],
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
    });
    // 10,000 units a day: writes cost 50, so the write budget times 50 plus the read budget fits in it.
    const [writes, reads] = youtube.rateLimits;
    expect(writes).toEqual({ requests: 160, windowMs: DAY_S * 1000, scope: 'app', match: ['POST /', 'DELETE /'] });
    expect(reads).toEqual({ requests: 2000, windowMs: DAY_S * 1000, scope: 'app', match: ['GET /'] });
    expect(writes.requests * YOUTUBE_QUOTA_COSTS.write + reads.requests * YOUTUBE_QUOTA_COSTS.read).toBeLessThanOrEqual(10_000);
    expect(Object.keys(youtube.actions)).toEqual(['createBroadcast', 'getStreamStatus', 'endBroadcast']);
    expect(Object.keys(youtube.onEvent)).toEqual(['livestream.ended']);
  });

  it('the fake runs Google’s flow: PKCE, a refresh token for offline access, refresh, invalid_grant once revoked', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const url = new URL(youtube.auth.authorizationUrl);
    const params = {
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: youtube.auth.scopes.join(' '),
      state: 'st-yt',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...youtube.auth.authorizationParams,
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value as string);
    const back = await followAuthorizationUrl(url, fake.origins);
    expect(back.searchParams.get('state')).toBe('st-yt');
    const token = (form: Record<string, string>) => postTokenRequest(youtube.auth.tokenUrl, fake.origins, form);
    const granted = await token({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      code_verifier: verifier,
    });
    expect(granted).toEqual({
      status: 200,
      body: { access_token: expect.any(String), refresh_token: expect.any(String), expires_in: 3599, scope: YOUTUBE_SCOPES.manage, token_type: 'Bearer' },
    });
    expect((await connected({}, granted.body.access_token).verify()).displayName).toBe('Acme Live');

    const refresh = { grant_type: 'refresh_token', refresh_token: granted.body.refresh_token, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret };
    const refreshed = await token(refresh);
    expect(refreshed.status).toBe(200);
    fake.state.oauth.revokeRefreshToken(granted.body.refresh_token);
    expect(await token(refresh)).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
    await expect(connected({}, refreshed.body.access_token).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect YouTube again'),
    });
  });
});

describe('youtube plugin: verify and health', () => {
  it('verifies with the channel of the account and checks it may stream', async () => {
    const h = connected();
    expect(await h.verify()).toEqual({
      displayName: 'Acme Live',
      metadata: { channelId: fake.state.channel!.id, channelTitle: 'Acme Live', customUrl: '@acmelive' },
    });
    expect(calls(h)).toEqual([`GET ${API}/channels?part=id%2Csnippet&mine=true`, `GET ${API}/liveBroadcasts?part=id&mine=true&maxResults=1`]);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(fake.state.quota.used).toBe(2 * YOUTUBE_QUOTA_COSTS.read);
  });

  it('refuses an account without a channel, with where to create one', async () => {
    const channel = fake.state.channel;
    fake.state.channel = null;
    try {
      await expect(connected().verify()).rejects.toMatchObject({
        code: 'provider_rejected',
        message: expect.stringContaining('has no YouTube channel: create one at https://www.youtube.com/create_channel'),
      });
      await expect(connected().healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
    } finally {
      fake.state.channel = channel;
    }
  });

  it('refuses a channel not enabled for live streaming (liveStreamingNotEnabled), saying how to enable it', async () => {
    fake.state.liveStreamingEnabled = false;
    await expect(connected().verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      reason: 'liveStreamingNotEnabled',
      message: expect.stringContaining('not enabled for live streaming: enable live streaming at https://www.youtube.com/features'),
    });
  });

  it('refuses an expired token and a grant without YouTube access', async () => {
    const { accessToken: stale } = fake.state.oauth.mintTokens(CLIENT.clientId, YOUTUBE_SCOPES.manage);
    fake.state.oauth.expireAccessToken(stale);
    await expect(connected({}, stale).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Google refused the access token: connect YouTube again.',
    });
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT.clientId, 'openid email');
    await expect(connected({}, narrow).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      reason: 'insufficientPermissions',
      message: expect.stringContaining('allow Plugboard to manage your YouTube account'),
    });
  });

  it('checks health with one channels.list call (one quota unit)', async () => {
    const h = connected();
    await h.healthCheck();
    expect(calls(h)).toEqual([`GET ${API}/channels?part=id&mine=true`]);
    expect(fake.state.quota.used).toBe(1);
  });
});

describe('youtube plugin: broadcasts', () => {
  it('creates a broadcast and an RTMP stream, binds them, and answers the ingestion address and stream key', async () => {
    const h = connected({ defaultPrivacy: 'unlisted' });
    const start = inHours(24);
    const result = await h.action<Json>('createBroadcast', { title: 'Launch webinar', description: 'What is new', scheduledStart: start });
    const broadcast = fake.state.broadcasts.get(result.broadcastId)!;
    const stream = fake.state.streams.get(result.streamId)!;
    expect(result).toEqual({
      broadcastId: broadcast.id,
      watchUrl: `https://www.youtube.com/watch?v=${broadcast.id}`,
      title: 'Launch webinar',
      lifeCycleStatus: 'ready',
      privacy: 'unlisted',
      scheduledStart: broadcast.snippet.scheduledStartTime,
      actualStart: null,
      actualEnd: null,
      streamId: stream.id,
      rtmpUrl: 'rtmp://a.rtmp.youtube.com/live2',
      rtmpsUrl: 'rtmps://a.rtmps.youtube.com/live2',
      backupRtmpUrl: 'rtmp://b.rtmp.youtube.com/live2?backup=1',
      streamKey: stream.cdn.ingestionInfo.streamName,
    });
    expect(Date.parse(result.scheduledStart)).toBe(Date.parse(start.replace(/\.\d+Z$/, 'Z')));
    expect(broadcast.contentDetails.boundStreamId).toBe(stream.id);

    const [insert, streamInsert, bind] = fake.state.requests.slice(-3);
    expect([insert, streamInsert, bind].map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /youtube/v3/liveBroadcasts',
      'POST /youtube/v3/liveStreams',
      'POST /youtube/v3/liveBroadcasts/bind',
    ]);
    expect(insert.query).toEqual({ part: 'snippet,status,contentDetails' });
    expect(insert.body).toEqual({
      snippet: { title: 'Launch webinar', description: 'What is new', scheduledStartTime: start },
      status: { privacyStatus: 'unlisted' },
      contentDetails: { enableAutoStart: true, enableAutoStop: true },
    });
    expect(streamInsert.query).toEqual({ part: 'snippet,cdn,contentDetails,status' });
    expect(streamInsert.body).toEqual({
      snippet: { title: 'Launch webinar' },
      cdn: { ingestionType: 'rtmp', resolution: 'variable', frameRate: 'variable' },
      contentDetails: { isReusable: false },
    });
    expect(bind.query).toEqual({ id: broadcast.id, streamId: stream.id, part: 'id,snippet,status,contentDetails' });
    expect(bind.rawBody).toBe('');
    expect(fake.state.quota.used).toBe(3 * YOUTUBE_QUOTA_COSTS.write);
    // The stream key is a secret: returned, never logged.
    expect(h.logs).toEqual([{ level: 'info', message: 'YouTube broadcast created and bound', fields: { broadcastId: broadcast.id, streamId: stream.id } }]);
    expect(JSON.stringify(h.logs)).not.toContain(result.streamKey);
  });

  it('uses the input’s privacy over the setting, private by default, and declares made-for-kids only when asked', async () => {
    const { result } = await created({ privacy: 'public', madeForKids: false });
    expect(result.privacy).toBe('public');
    expect(fake.state.requests.at(-3)!.body).toMatchObject({ status: { privacyStatus: 'public', selfDeclaredMadeForKids: false } });
    const plain = await created();
    expect(plain.result.privacy).toBe('private');
  });

  it('removes the broadcast it made when the stream cannot be created, and passes YouTube’s refusal on', async () => {
    const before = fake.state.broadcasts.size;
    fake.state.queued.push({ ...youtubeError(400, 'invalidFormat', 'Invalid format', 'youtube.liveStream'), match: 'POST /youtube/v3/liveStreams' });
    const h = connected();
    await expect(h.action('createBroadcast', { title: 'Doomed', scheduledStart: inHours(1) })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Invalid format',
      reason: 'invalidFormat',
    });
    const deleted = fake.state.requests.at(-1)!;
    expect(`${deleted.method} ${deleted.path}`).toBe('DELETE /youtube/v3/liveBroadcasts');
    expect(fake.state.broadcasts.size).toBe(before);
    expect(fake.state.broadcasts.has(deleted.query.id)).toBe(false);
  });

  it('passes YouTube’s refusal of the input on, and the schema refuses malformed input before any call', async () => {
    await expect(connected().action('createBroadcast', { title: 'Too late', scheduledStart: inHours(-1) })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Invalid scheduled start time',
      reason: 'invalidScheduledStartTime',
    });
    const ajv = createSchemaCompiler();
    const create = ajv.compile(youtube.actions.createBroadcast.inputSchema);
    expect(create({ title: 'Ok', scheduledStart: '2030-01-01T10:00:00Z', privacy: 'unlisted' })).toBe(true);
    expect(create({ title: 'A <b>bold</b> title', scheduledStart: '2030-01-01T10:00:00Z' })).toBe(false);
    expect(create({ title: 'Ok', scheduledStart: 'tomorrow' })).toBe(false);
    expect(create({ title: 'Ok', scheduledStart: '2030-01-01T10:00:00Z', privacy: 'friends' })).toBe(false);
    expect(create({ title: 'x'.repeat(101), scheduledStart: '2030-01-01T10:00:00Z' })).toBe(false);
    expect(create({ title: 'Ok', scheduledStart: '2030-01-01T10:00:00Z', streamKey: 'x' })).toBe(false);
    const status = ajv.compile(youtube.actions.getStreamStatus.inputSchema);
    expect(status({ broadcastId: 'dQw4w9WgXcQ' })).toBe(true);
    expect(status({ broadcastId: '../channels' })).toBe(false);
  });

  it('reports the life cycle and the bound stream’s health, without fetching the stream key', async () => {
    const { result, stream } = await created();
    const h = connected();
    expect(await h.action<Json>('getStreamStatus', { broadcastId: result.broadcastId })).toMatchObject({
      broadcastId: result.broadcastId,
      lifeCycleStatus: 'ready',
      recordingStatus: 'notRecording',
      streamId: stream.id,
      stream: { streamId: stream.id, streamStatus: 'ready', healthStatus: 'noData', lastUpdated: null, issues: [] },
    });
    fake.state.startStreaming(stream.id);
    stream.status.healthStatus = {
      status: 'ok',
      lastUpdateTimeSeconds: '1767261600',
      configurationIssues: [
        {
          type: 'bitrateLow',
          severity: 'warning',
          reason: 'Check video settings',
          description: 'The stream’s current bitrate is lower than the recommended bitrate.',
        },
      ],
    };
    const live = await h.action<Json>('getStreamStatus', { broadcastId: result.broadcastId });
    expect(live).toMatchObject({
      lifeCycleStatus: 'live',
      recordingStatus: 'recording',
      actualStart: expect.any(String),
      stream: {
        streamStatus: 'active',
        healthStatus: 'ok',
        lastUpdated: '2026-01-01T10:00:00.000Z',
        issues: [{ type: 'bitrateLow', severity: 'warning', reason: 'Check video settings', description: expect.any(String) }],
      },
    });
    expect(calls(h).at(-1)).toBe(`GET ${API}/liveStreams?part=id%2Cstatus&id=${stream.id}`);
    expect(JSON.stringify(live)).not.toContain(stream.cdn.ingestionInfo.streamName);
    await expect(h.action('getStreamStatus', { broadcastId: 'AAAAAAAAAAA' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'No YouTube broadcast AAAAAAAAAAA on this channel.',
    });
  });

  it('ends a live broadcast; ending it again is not an error; a broadcast that never went live cannot be ended', async () => {
    const { result, stream, broadcast } = await created();
    fake.state.startStreaming(stream.id);
    const h = connected();
    const ended = await h.action<Json>('endBroadcast', { broadcastId: result.broadcastId });
    expect(ended).toMatchObject({ broadcastId: result.broadcastId, lifeCycleStatus: 'complete', ended: true, actualEnd: expect.any(String) });
    expect(broadcast.status.lifeCycleStatus).toBe('complete');
    expect(fake.state.requests.at(-1)!.query).toEqual({ broadcastStatus: 'complete', id: result.broadcastId, part: 'id,snippet,status' });
    expect(await h.action<Json>('endBroadcast', { broadcastId: result.broadcastId })).toMatchObject({ lifeCycleStatus: 'complete', ended: false });

    const idle = await created();
    await expect(h.action('endBroadcast', { broadcastId: idle.result.broadcastId })).rejects.toMatchObject({
      code: 'provider_rejected',
      reason: 'invalidTransition',
      message: 'Invalid transition: only a broadcast that is testing or live can be ended.',
    });
    expect(idle.broadcast.status.lifeCycleStatus).toBe('ready');
  });
});

describe('youtube plugin: quota and throttling', () => {
  it('answers a spent daily quota (403 quotaExceeded) as a rate limit until midnight Pacific, not a refusal', async () => {
    fake.state.quota.used = fake.state.quota.limit - 10;
    const error = await connected()
      .action('createBroadcast', { title: 'Over quota', scheduledStart: inHours(1) })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'provider_rate_limited', message: expect.stringContaining('daily quota') });
    expect((error as Error).message).not.toContain('<a');
    const retry = (error as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(DAY_S);
    const reply = fake.state.requests.at(-1)!;
    expect(`${reply.method} ${reply.path}`).toBe('POST /youtube/v3/liveBroadcasts');
  });

  it('answers throttling (403 userRequestsExceedRateLimit, 429 with Retry-After) as rate limits; a 5xx as an outage', async () => {
    fake.state.queued.push(
      youtubeError(403, 'userRequestsExceedRateLimit', 'The user has sent too many requests in a given timeframe.', 'youtube.liveBroadcast'),
    );
    await expect(connected().action('getStreamStatus', { broadcastId: 'AAAAAAAAAAA' })).rejects.toMatchObject({ code: 'provider_rate_limited' });
    fake.state.queued.push({
      ...youtubeError(429, 'rateLimitExceeded', 'Resource has been exhausted (e.g. check quota).', 'global'),
      headers: { 'retry-after': '7' },
    });
    await expect(connected().healthCheck()).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 7 });
    fake.state.queued.push(youtubeError(503, 'backendError', 'Backend Error', 'global'));
    const outage = await connected()
      .healthCheck()
      .catch((caught: unknown) => caught);
    expect(outage).toBeInstanceOf(Error);
    expect((outage as { code?: string }).code).toBeUndefined();
    expect((outage as Error).message).toBe('YouTube answered HTTP 503: Backend Error');
  });
});

describe('youtube plugin: livestream.ended', () => {
  it('ends the YouTube broadcasts among the destinations, and only those', async () => {
    const first = await created();
    const second = await created();
    fake.state.startStreaming(first.stream.id);
    fake.state.startStreaming(second.stream.id);
    const h = connected();
    await youtube.onEvent['livestream.ended'](
      h.context(),
      event({
        sessionId: 'sess_9',
        destinations: [
          { provider: 'youtube', id: first.result.broadcastId },
          { provider: 'twitch', id: second.result.broadcastId },
          { provider: 'youtube', id: 'not a broadcast id' },
          { provider: 'youtube', id: first.result.broadcastId },
        ],
      }),
    );
    expect(calls(h)).toEqual([`POST ${API}/liveBroadcasts/transition?broadcastStatus=complete&id=${first.result.broadcastId}&part=id%2Csnippet%2Cstatus`]);
    expect(first.broadcast.status.lifeCycleStatus).toBe('complete');
    expect(second.broadcast.status.lifeCycleStatus).toBe('live');
    expect(h.logs).toEqual([{ level: 'info', message: 'YouTube broadcast ended', fields: { eventId: 'evt_1', broadcastId: first.result.broadcastId } }]);
  });

  it('logs and skips a broadcast YouTube refuses to end, rethrows an outage, and does nothing when turned off', async () => {
    const idle = await created();
    const h = connected();
    await youtube.onEvent['livestream.ended'](
      h.context(),
      event({ sessionId: 's', destinations: [{ provider: 'youtube', id: idle.result.broadcastId }] }, 'evt_2'),
    );
    expect(h.logs).toEqual([
      {
        level: 'warn',
        message: 'YouTube did not end the broadcast',
        fields: { eventId: 'evt_2', broadcastId: idle.result.broadcastId, reason: 'invalidTransition', error: expect.stringContaining('Invalid transition') },
      },
    ]);

    fake.state.queued.push(youtubeError(500, 'backendError', 'Backend Error', 'global'));
    await expect(
      youtube.onEvent['livestream.ended'](h.context(), event({ sessionId: 's', destinations: [{ provider: 'youtube', id: idle.result.broadcastId }] })),
    ).rejects.toThrow('YouTube answered HTTP 500');

    const off = connected({ endOnLivestreamEnded: false });
    await youtube.onEvent['livestream.ended'](off.context(), event({ sessionId: 's', destinations: [{ provider: 'youtube', id: idle.result.broadcastId }] }));
    expect(off.requests).toEqual([]);
  });
});
