import { jest } from '@jest/globals';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { readJson } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { signMuxWebhook, startFakeMux, type FakeMux, type FakeMuxToken } from '../fixtures/providers/mux.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const WEBHOOK_SECRET = 'mux-webhook-signing-secret-0123456789';

let plugin: PluginDefinition;
let mux: Json;
let fake: FakeMux;

beforeAll(async () => {
  plugin = await loadBundledPlugin('mux');
  mux = plugin.providers[0];
  fake = await startFakeMux();
});
afterAll(() => fake.close());
afterEach(() => {
  jest.restoreAllMocks();
  fake.state.throttle = 0;
});

const credentialsOf = (token: FakeMuxToken, extra: Record<string, unknown> = { webhookSecret: WEBHOOK_SECRET }) => ({
  tokenId: token.id,
  tokenSecret: token.secret,
  ...extra,
});

const harness = (settings: Record<string, unknown> = {}, credentials: Record<string, unknown> = credentialsOf(fake.token)) =>
  createHarness(plugin, {
    provider: 'mux',
    credentials,
    settings,
    integration: { metadata: { environmentId: fake.token.environmentId } },
    http: forwardTo(fake.origins),
  });

/** What the fake received since `before`: method, path, query and JSON body. */
const received = (before: number) =>
  fake.state.requests.slice(before).map((request) => ({ method: request.method, path: request.path, query: request.query, body: request.body }));

const basic = (token: FakeMuxToken) => `Basic ${Buffer.from(`${token.id}:${token.secret}`).toString('base64')}`;

function recordingEvent(data: Json): PlugboardEvent {
  return { id: 'evt_recording', event: 'recording.completed', timestamp: '2026-03-02T15:00:00Z', accountId: 'acct_test', livemode: false, data };
}

describe('mux plugin', () => {
  it('declares a video provider with Basic credentials, documented rate limits, and schemas that refuse malformed values', () => {
    expect(mux).toMatchObject({
      id: 'mux',
      category: 'video',
      auth: { type: 'basic', apply: { basic: { username: '{tokenId}', password: '{tokenSecret}' } } },
      baseUrl: 'https://api.mux.com',
    });
    expect(mux.auth.credentialsSchema.properties.tokenSecret.secret).toBe(true);
    expect(mux.auth.credentialsSchema.properties.webhookSecret.secret).toBe(true);
    expect(mux.rateLimits).toEqual([
      { requests: 10, windowMs: 10_000, scope: 'account', accountKey: 'environmentId', match: ['POST /video/'] },
      {
        requests: 50,
        windowMs: 10_000,
        scope: 'account',
        accountKey: 'environmentId',
        match: ['GET /video/', 'PUT /video/', 'PATCH /video/', 'DELETE /video/'],
      },
      { requests: 50, windowMs: 10_000, scope: 'account', accountKey: 'environmentId', match: ['GET /data/'] },
    ]);
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(mux.auth.credentialsSchema);
    expect(credentials(credentialsOf(fake.token))).toBe(true);
    expect(credentials({ tokenId: fake.token.id })).toBe(false);
    expect(credentials({ tokenId: 'has space', tokenSecret: fake.token.secret })).toBe(false);
    expect(credentials({ ...credentialsOf(fake.token), extra: 'x' })).toBe(false);

    const settings = ajv.compile(mux.settingsSchema);
    expect(settings({ createAssetsFromRecordings: true, playbackPolicy: 'signed', videoQuality: 'plus', testMode: true, metricsTimeframe: '30:days' })).toBe(
      true,
    );
    expect(settings({ playbackPolicy: 'drm' })).toBe(false);
    expect(settings({ metricsTimeframe: '90:days' })).toBe(false);

    const asset = ajv.compile(mux.actions.createAssetFromUrl.inputSchema);
    expect(asset({ url: 'https://cdn.example.com/rec.mp4', playbackPolicy: 'signed', passthrough: 'rec_1' })).toBe(true);
    expect(asset({ url: 'ftp://cdn.example.com/rec.mp4' })).toBe(false);
    expect(asset({ url: 'https://cdn.example.com/rec.mp4', passthrough: 'x'.repeat(256) })).toBe(false);
    expect(asset({ url: 'https://cdn.example.com/rec.mp4', input: 'x' })).toBe(false);
    const upload = ajv.compile(mux.actions.createDirectUpload.inputSchema);
    expect(upload({})).toBe(true);
    expect(upload({ corsOrigin: 'https://app.example.com', timeoutSeconds: 600 })).toBe(true);
    expect(upload({ corsOrigin: 'https://app.example.com/path' })).toBe(false);
    expect(upload({ timeoutSeconds: 30 })).toBe(false);
    const live = ajv.compile(mux.actions.createLiveStream.inputSchema);
    expect(live({ playbackPolicy: 'public', latencyMode: 'low' })).toBe(true);
    expect(live({ latencyMode: 'instant' })).toBe(false);
  });

  it('verifies with HTTP Basic on whoami and keeps the organization and environment', async () => {
    const before = fake.state.requests.length;
    await expect(harness().verify()).resolves.toEqual({
      displayName: `Acme Events / Production`,
      metadata: {
        organizationId: fake.token.organizationId,
        organizationName: 'Acme Events',
        environmentId: fake.token.environmentId,
        environmentName: 'Production',
        environmentType: 'production',
        accessTokenName: 'Plugboard',
        permissions: ['video:read', 'video:write', 'data:read'],
      },
    });
    const [request] = fake.state.requests.slice(before);
    expect(request).toMatchObject({ method: 'GET', path: '/system/v1/whoami' });
    expect(request.headers.authorization).toBe(basic(fake.token));
  });

  it('refuses a wrong secret readably, without echoing it, in verify and the health check', async () => {
    const wrong = 'Wrong+Secret/0123456789abcdef';
    const attempt = harness({}, { tokenId: fake.token.id, tokenSecret: wrong }).verify();
    await expect(attempt).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Mux refused the access token (Unauthorized request): check the Token ID and secret in Mux Settings → Access Tokens, and that the token has not been revoked.',
    });
    const error = (await harness({}, { tokenId: fake.token.id, tokenSecret: wrong })
      .healthCheck()
      .catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({ code: 'provider_rejected' });
    expect(error.message).not.toContain(wrong);
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/system/v1/whoami' });
  });

  it('checks health with the one whoami request', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(received(before)).toEqual([{ method: 'GET', path: '/system/v1/whoami', query: {}, body: undefined }]);
  });

  it('creates an asset from a URL with inputs[].url and playback_policies, and the settings’ defaults', async () => {
    const before = fake.state.requests.length;
    const result = await harness({ playbackPolicy: 'signed', videoQuality: 'plus', testMode: true }).action<Json>('createAssetFromUrl', {
      url: 'https://cdn.example.com/rec_1.mp4',
      passthrough: 'rec_1',
    });
    const stored = fake.state.assets.at(-1)!;
    expect(received(before)).toEqual([
      {
        method: 'POST',
        path: '/video/v1/assets',
        query: {},
        body: {
          inputs: [{ url: 'https://cdn.example.com/rec_1.mp4' }],
          playback_policies: ['signed'],
          passthrough: 'rec_1',
          video_quality: 'plus',
          test: true,
        },
      },
    ]);
    expect(result).toEqual({
      assetId: stored.id,
      status: 'preparing',
      playbackIds: [{ id: stored.playback_ids[0].id, policy: 'signed' }],
      playbackUrls: [],
      passthrough: 'rec_1',
      test: true,
      createdAt: new Date(Number(stored.created_at) * 1000).toISOString(),
    });

    const open = await harness().action<Json>('createAssetFromUrl', { url: 'https://cdn.example.com/a.mp4', playbackPolicy: 'public' });
    expect(fake.state.requests.at(-1)!.body).toEqual({ inputs: [{ url: 'https://cdn.example.com/a.mp4' }], playback_policies: ['public'] });
    expect(open.playbackUrls).toEqual([`https://stream.mux.com/${fake.state.assets.at(-1)!.playback_ids[0].id}.m3u8`]);
  });

  it('turns Mux’s invalid_parameters answer into a readable refusal', async () => {
    // The host's schema check stops this first; the harness sends it, so Mux's own answer is read.
    await expect(harness().action('createAssetFromUrl', { url: 'https://cdn.example.com/a.mp4', playbackPolicy: 'private' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Mux: Playback policy private is not valid (invalid_parameters)',
    });
  });

  it('creates a direct upload (cors_origin * by default) and returns its upload URL', async () => {
    const before = fake.state.requests.length;
    const result = await harness({ videoQuality: 'basic' }).action<Json>('createDirectUpload', { passthrough: 'rec_2', timeoutSeconds: 900 });
    const stored = fake.state.uploads.at(-1)!;
    expect(received(before)).toEqual([
      {
        method: 'POST',
        path: '/video/v1/uploads',
        query: {},
        body: { cors_origin: '*', new_asset_settings: { playback_policies: ['public'], passthrough: 'rec_2', video_quality: 'basic' }, timeout: 900 },
      },
    ]);
    expect(result).toEqual({ uploadId: stored.id, url: stored.url, status: 'waiting', timeoutSeconds: 900, corsOrigin: '*', test: false });

    await harness().action('createDirectUpload', { corsOrigin: 'https://app.example.com', playbackPolicy: 'signed' });
    expect(fake.state.requests.at(-1)!.body).toEqual({ cors_origin: 'https://app.example.com', new_asset_settings: { playback_policies: ['signed'] } });
  });

  it('creates a live stream with its stream key, Mux’s RTMP(S) ingest URLs and playback IDs, and never logs the key', async () => {
    const h = harness();
    const before = fake.state.requests.length;
    const result = await h.action<Json>('createLiveStream', { latencyMode: 'low', passthrough: 'sess_9' });
    const stored = fake.state.liveStreams.at(-1)! as Json;
    expect(received(before)).toEqual([
      {
        method: 'POST',
        path: '/video/v1/live-streams',
        query: {},
        body: {
          playback_policies: ['public'],
          new_asset_settings: { playback_policies: ['public'], passthrough: 'sess_9' },
          latency_mode: 'low',
          passthrough: 'sess_9',
        },
      },
    ]);
    expect(result).toEqual({
      liveStreamId: stored.id,
      status: 'idle',
      streamKey: stored.stream_key,
      ingestUrl: 'rtmps://global-live.mux.com:443/app',
      rtmpUrl: 'rtmp://global-live.mux.com:5222/app',
      playbackIds: [{ id: stored.playback_ids[0].id, policy: 'public' }],
      playbackUrls: [`https://stream.mux.com/${stored.playback_ids[0].id}.m3u8`],
      latencyMode: 'low',
      test: false,
    });
    expect(h.logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(h.logs)).not.toContain(stored.stream_key);
  });

  it('creates an asset from a completed recording only when the setting says so, with the recording id as passthrough, once', async () => {
    const event = recordingEvent({ recordingId: 'rec_77', roomId: 'room_1', url: 'https://cdn.example.com/rec_77.mp4', durationSeconds: 3600 });
    const off = harness();
    let before = fake.state.requests.length;
    await mux.onEvent['recording.completed'](off.context(), event);
    expect(fake.state.requests.length).toBe(before);

    const on = harness({ createAssetsFromRecordings: true, playbackPolicy: 'signed' });
    before = fake.state.requests.length;
    await mux.onEvent['recording.completed'](on.context(), event);
    expect(received(before)).toEqual([
      { method: 'GET', path: '/video/v1/assets', query: { limit: '100' }, body: undefined },
      {
        method: 'POST',
        path: '/video/v1/assets',
        query: {},
        body: { inputs: [{ url: 'https://cdn.example.com/rec_77.mp4' }], playback_policies: ['signed'], passthrough: 'rec_77' },
      },
    ]);
    const created = fake.state.assets.at(-1)!;
    expect(on.logs.at(-1)).toMatchObject({
      level: 'info',
      message: 'Mux asset created from a recording',
      fields: { recordingId: 'rec_77', assetId: created.id },
    });

    // The same event again (a retry): the asset is found, no second one is created.
    before = fake.state.requests.length;
    await mux.onEvent['recording.completed'](on.context(), event);
    expect(received(before).map((request) => request.method)).toEqual(['GET']);
    expect(fake.state.assets.filter((asset) => asset.passthrough === 'rec_77')).toHaveLength(1);

    before = fake.state.requests.length;
    await mux.onEvent['recording.completed'](on.context(), recordingEvent({ recordingId: 'rec_78' }));
    expect(fake.state.requests.length).toBe(before);
    expect(on.logs.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('without a URL') });
  });

  it('syncs overall playback metrics and views per asset from Mux Data, page by page', async () => {
    fake.state.overall.set('views', { value: 1234, total_views: 1234, total_watch_time: 98_765_000, total_playing_time: 90_000_000, global_value: null });
    fake.state.overall.set('viewer_experience_score', {
      value: 0.87,
      total_views: 1234,
      total_watch_time: 98_765_000,
      total_playing_time: 90_000_000,
      global_value: 0.82,
    });
    fake.state.viewsByAsset = [
      ...Array.from({ length: 130 }, (_, index) => ({
        field: `asset${String(index).padStart(3, '0')}`,
        value: 1000 - index,
        views: 1000 - index,
        negative_impact: 1,
        total_watch_time: 1000 * index,
        total_playing_time: 900 * index,
      })),
      { field: null, value: 5, views: 5, negative_impact: 0, total_watch_time: 10, total_playing_time: 9 },
    ];
    const before = fake.state.requests.length;
    const result = await harness({ metricsTimeframe: '30:days' }).sync();
    const requests = received(before);
    expect(requests.map((request) => request.path)).toEqual([
      '/data/v1/metrics/views/overall',
      '/data/v1/metrics/viewer_experience_score/overall',
      '/data/v1/metrics/views/breakdown',
      '/data/v1/metrics/views/breakdown',
    ]);
    expect(requests[0].query).toEqual({ 'timeframe[]': '30:days' });
    expect(requests.slice(2).map((request) => request.query)).toEqual([
      { group_by: 'asset_id', 'timeframe[]': '30:days', order_by: 'views', order_direction: 'desc', limit: '100', page: '1' },
      { group_by: 'asset_id', 'timeframe[]': '30:days', order_by: 'views', order_direction: 'desc', limit: '100', page: '2' },
    ]);
    const metrics = result.records!.playbackMetrics;
    expect(metrics.map((record) => record.id)).toEqual(['views', 'viewer_experience_score']);
    expect(metrics[1]).toMatchObject({
      metric: 'viewer_experience_score',
      timeframe: '30:days',
      value: 0.87,
      totalViews: 1234,
      globalValue: 0.82,
      aggregation: 'avg',
    });
    expect(Date.parse(String(metrics[1].timeframeEnd)) - Date.parse(String(metrics[1].timeframeStart))).toBe(30 * 86_400_000);
    const views = result.records!.assetViews;
    expect(views).toHaveLength(130);
    expect(views[0]).toMatchObject({ id: 'asset000', assetId: 'asset000', views: 1000, totalWatchTime: 0 });
    expect(views.at(-1)).toMatchObject({ id: 'asset129', views: 871 });
  });

  it('accepts Mux’s own signature test vector, and refuses a tampered body, a wrong secret and a stale timestamp', async () => {
    // Test vector generated by Mux's backend, from the verify-header tests of Mux's Node SDK (mux-node-sdk, v7):
    // secret "SuperSecret123", body {"test":"body"}, t=1565125718.
    const vector = {
      rawBody: '{"test":"body"}',
      headers: { 'Mux-Signature': 't=1565125718,v1=854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7' },
    };
    const h = harness({}, credentialsOf(fake.token, { webhookSecret: 'SuperSecret123' }));
    jest.spyOn(Date, 'now').mockReturnValue(1_565_125_718_000 + 30_000);
    await expect(h.webhookVerify(vector)).resolves.toBe(true);
    await expect(h.webhookVerify({ ...vector, rawBody: '{"test":"bodY"}' })).resolves.toBe(false);
    await expect(harness({}, credentialsOf(fake.token, { webhookSecret: 'SuperSecret124' })).webhookVerify(vector)).resolves.toBe(false);
    // Several v1 signatures (a rotated secret): one matching is enough.
    const rotated = {
      ...vector,
      headers: { 'mux-signature': `t=1565125718,v1=${'0'.repeat(64)},v1=854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7` },
    };
    await expect(h.webhookVerify(rotated)).resolves.toBe(true);
    jest.spyOn(Date, 'now').mockReturnValue(1_565_125_718_000 + 301_000);
    await expect(h.webhookVerify(vector)).resolves.toBe(false);
    jest.restoreAllMocks();

    await expect(h.webhookVerify({ rawBody: '{}', headers: {} })).resolves.toBe(false);
    await expect(h.webhookVerify({ rawBody: '{}', headers: { 'mux-signature': 'v1=abc' } })).resolves.toBe(false);
    const unconfigured = harness({}, credentialsOf(fake.token, {}));
    const fresh = fake.state.seedAsset(fake.token, { status: 'preparing' });
    await expect(unconfigured.webhookVerify(fake.state.assetWebhook(fresh.id, 'ready', WEBHOOK_SECRET))).resolves.toBe(false);
    expect(unconfigured.logs.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('no webhook signing secret') });
  });

  it('maps video.asset.ready and video.asset.errored with the passthrough back to recordingId, and drops other events', async () => {
    const h = harness();
    const asset = fake.state.seedAsset(fake.token, { status: 'preparing', passthrough: 'rec_91' });
    const ready = fake.state.assetWebhook(asset.id, 'ready', WEBHOOK_SECRET);
    await expect(h.webhookVerify(ready)).resolves.toBe(true);
    await expect(h.webhookToEvents(ready)).resolves.toEqual([
      {
        event: 'video.asset.ready',
        data: {
          assetId: asset.id,
          provider: 'mux',
          playbackIds: [asset.playback_ids[0].id],
          durationSeconds: asset.duration,
          recordingId: 'rec_91',
          muxEventId: ready.event.id,
        },
      },
    ]);
    const stale = fake.state.assetWebhook(asset.id, 'ready', WEBHOOK_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    await expect(h.webhookVerify(stale)).resolves.toBe(false);

    const broken = fake.state.seedAsset(fake.token, { status: 'preparing', passthrough: 'rec_92' });
    const errored = fake.state.assetWebhook(broken.id, 'errored', WEBHOOK_SECRET);
    await expect(h.webhookVerify(errored)).resolves.toBe(true);
    await expect(h.webhookToEvents(errored)).resolves.toEqual([
      {
        event: 'video.asset.errored',
        data: expect.objectContaining({
          assetId: broken.id,
          provider: 'mux',
          recordingId: 'rec_92',
          error: 'The input file could not be processed: it contains no video or audio track.',
        }),
      },
    ]);

    const created = JSON.stringify({ type: 'video.asset.created', id: 'e1', data: { id: asset.id, status: 'preparing' } });
    await expect(h.webhookToEvents({ rawBody: created, headers: { 'mux-signature': signMuxWebhook(WEBHOOK_SECRET, created) } })).resolves.toEqual([]);
  });

  it('reports Mux’s 429 as a rate limit with its Retry-After, and reads its 404', async () => {
    fake.state.throttle = 1;
    await expect(harness().action('createDirectUpload', {})).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 1,
      message: 'Mux: Too many requests, retry later (too_many_requests)',
    });
    const ctx = harness().context();
    const missing = await ctx.http('/video/v1/assets/doesnotexist');
    await expect(readJson(missing, ctx, mux.errors)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "Mux: The requested resource either doesn't exist or you don't have access to it. (not_found)",
    });
  });
});
