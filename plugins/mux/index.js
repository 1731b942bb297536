// Mux provider for Plugboard, written against the Mux API reference (https://www.mux.com/docs/api-reference, OpenAPI https://www.mux.com/api-spec.json: Video assets, uploads, live streams; Data metrics; System whoami) and the webhook signature guide (https://www.mux.com/docs/core/verify-webhook-signatures).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ tokenId: string, tokenSecret: string, webhookSecret?: string }} MuxCredentials
 * @typedef {'public' | 'signed'} PlaybackPolicy
 * @typedef {{
 *   createAssetsFromRecordings?: boolean,
 *   playbackPolicy?: PlaybackPolicy,
 *   videoQuality?: 'basic' | 'plus' | 'premium',
 *   testMode?: boolean,
 *   metricsTimeframe?: '24:hours' | '7:days' | '30:days',
 * }} MuxSettings
 * @typedef {import('plugboard/sdk').PluginContext<MuxCredentials, MuxSettings>} MuxContext
 * @typedef {{ id: string, policy: string }} MuxPlaybackId
 * @typedef {{ id: string, status: string, playback_ids?: MuxPlaybackId[], passthrough?: string, duration?: number, test?: boolean,
 *   errors?: { type?: string, messages?: string[] }, live_stream_id?: string, created_at?: string | number }} MuxAsset
 *
 * Mux's error body: `{ error: { type, messages: [] } }` (e.g. `invalid_parameters`, `unauthorized`, `not_found`).
 * @typedef {{ error?: { type?: string, messages?: string[] }, errors?: string[] }} MuxError
 */

/** Mux's documented RTMP entry points (Configure Broadcast Software): give either with the stream key. */
const RTMP_INGEST_URL = 'rtmp://global-live.mux.com:5222/app';
const RTMPS_INGEST_URL = 'rtmps://global-live.mux.com:443/app';
/** HLS playback of a public playback ID: https://stream.mux.com/{PLAYBACK_ID}.m3u8 */
const STREAM_ORIGIN = 'https://stream.mux.com';

/** Mux's own reference check (its SDKs) accepts signatures up to five minutes old. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
const PASSTHROUGH_MAX = 255;
/** Assets looked through before creating one from a recording, so a repeated event creates no second asset. */
const DUPLICATE_LOOKUP_LIMIT = 100;

/** Mux Data metrics synced as overall values over the configured timeframe. */
const OVERALL_METRICS = ['views', 'viewer_experience_score'];
const TIMEFRAMES = ['24:hours', '7:days', '30:days'];
const DEFAULT_TIMEFRAME = '7:days';
/** Breakdown pages: Mux's page/limit pagination takes at most 100 rows a page. */
const BREAKDOWN_PAGE_SIZE = 100;
const BREAKDOWN_MAX_PAGES = 10;

const nonEmpty = (value) => typeof value === 'string' && value.trim() !== '';

/**
 * Mux's error body as a sentence a person can act on; the token itself is never part of it (and the
 * host redacts credential values from any message).
 * @param {MuxError | undefined} body
 */
function muxMessage(body) {
  if (!body || typeof body !== 'object') return undefined;
  const error = body.error && typeof body.error === 'object' ? body.error : undefined;
  const type = typeof error?.type === 'string' && error.type ? error.type : undefined;
  // Mux's 429 has been seen as `{ errors: ["Too many requests, ..."] }` rather than the usual shape.
  const list = Array.isArray(error?.messages) ? error.messages : Array.isArray(body.errors) ? body.errors : [];
  const messages = list.filter(nonEmpty).map((message) => message.trim());
  const said = messages.join('; ');
  if (type === 'unauthorized') {
    return `Mux refused the access token (${said || 'unauthorized'}): check the Token ID and secret in Mux Settings → Access Tokens, and that the token has not been revoked.`;
  }
  if (type === 'forbidden') {
    return `Mux: this access token may not make this request (${said || 'forbidden'}): give it Mux Video Read and Write (and Mux Data Read for metrics).`;
  }
  if (!said) return type ? `Mux: ${type}` : undefined;
  return `Mux: ${said}${type ? ` (${type})` : ''}`;
}

/** How Mux's errors read, for the host (`readJson`, declared requests). */
const errors = { message: muxMessage };

/**
 * Calls the Mux API; the host adds HTTP Basic from the Token ID and secret.
 * @param {MuxContext} ctx
 * @param {string} path relative to https://api.mux.com
 * @param {{ method?: string, body?: Record<string, unknown> }} init
 */
async function mux(ctx, path, init = {}) {
  const response = await ctx.http(path, { method: init.method ?? 'GET', headers: { accept: 'application/json' }, ...(init.body ? { body: init.body } : {}) });
  return readJson(response, ctx, errors);
}

/** The `data` of a Mux answer, or an error saying which request answered without it. */
function dataOf(answer, what) {
  const data = answer?.data;
  if (!data || typeof data !== 'object') throw new Error(`Mux answered ${what} without data`);
  return data;
}

/** @param {MuxContext} ctx @param {PlaybackPolicy | undefined} policy */
const policyOf = (ctx, policy) => policy ?? ctx.settings?.playbackPolicy ?? 'public';

/** @param {MuxPlaybackId[] | undefined} ids */
function playbackIds(ids) {
  return (Array.isArray(ids) ? ids : []).filter((entry) => nonEmpty(entry?.id)).map((entry) => ({ id: entry.id, policy: entry.policy ?? null }));
}

/** HLS URLs of public playback IDs (signed ones need a token, so no URL is given for them). */
function playbackUrls(ids) {
  return ids.filter((entry) => entry.policy === 'public').map((entry) => `${STREAM_ORIGIN}/${encodeURIComponent(entry.id)}.m3u8`);
}

/** Mux dates are Unix seconds (a string in REST answers, a number in webhooks). */
function isoFromUnix(value) {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
}

/** @param {MuxAsset} asset */
function assetSummary(asset) {
  const ids = playbackIds(asset.playback_ids);
  return {
    assetId: asset.id,
    status: asset.status,
    playbackIds: ids,
    playbackUrls: playbackUrls(ids),
    passthrough: asset.passthrough ?? null,
    test: asset.test === true,
    createdAt: isoFromUnix(asset.created_at),
  };
}

/**
 * Creates an asset from a file Mux downloads (`inputs[].url`; the older `input` is deprecated).
 * @param {MuxContext} ctx
 * @param {{ url: string, playbackPolicy?: PlaybackPolicy, passthrough?: string, videoQuality?: string }} input
 */
async function createAsset(ctx, input) {
  const settings = ctx.settings ?? {};
  const videoQuality = input.videoQuality ?? settings.videoQuality;
  const answer = await mux(ctx, '/video/v1/assets', {
    method: 'POST',
    body: {
      inputs: [{ url: input.url }],
      playback_policies: [policyOf(ctx, input.playbackPolicy)],
      ...(input.passthrough ? { passthrough: input.passthrough } : {}),
      ...(videoQuality ? { video_quality: videoQuality } : {}),
      ...(settings.testMode ? { test: true } : {}),
    },
  });
  return assetSummary(/** @type {MuxAsset} */ (dataOf(answer, 'the asset creation')));
}

/**
 * The asset made from this recording before, if one of the newest assets carries its id as passthrough.
 * @param {MuxContext} ctx
 */
async function assetFromRecording(ctx, recordingId) {
  const answer = await mux(ctx, `/video/v1/assets?limit=${DUPLICATE_LOOKUP_LIMIT}`);
  const assets = Array.isArray(answer?.data) ? answer.data : [];
  return assets.find((asset) => asset?.passthrough === recordingId);
}

/** A header of an inbound request, whatever its case. */
function header(req, name) {
  for (const [key, value] of Object.entries(req?.headers ?? {})) if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(',') : value;
  return undefined;
}

/** Constant-time equality of two strings (false when their lengths differ). */
function sameText(a, b) {
  const left = Buffer.from(String(a), 'utf8');
  const right = Buffer.from(String(b), 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` → its timestamp and v1 signatures. */
function parseSignatureHeader(value) {
  const parsed = { timestamp: undefined, signatures: [] };
  for (const part of String(value).split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const [key, text] = [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    if (key === 't' && /^\d{1,12}$/.test(text)) parsed.timestamp = text;
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(text)) parsed.signatures.push(text.toLowerCase());
  }
  return parsed;
}

/** Mux's v1 signature: hex HMAC-SHA256, keyed with the webhook signing secret, of `{t}.{raw body}`. */
const muxSignature = (secret, timestamp, rawBody) => createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');

function eventOf(req) {
  if (req?.body && typeof req.body === 'object' && !Array.isArray(req.body)) return req.body;
  try {
    const parsed = JSON.parse(req?.rawBody ?? '');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The Mux Data timeframe of the settings (`7:days` by default). @param {MuxContext} ctx */
function timeframeOf(ctx) {
  const chosen = ctx.settings?.metricsTimeframe;
  return TIMEFRAMES.includes(chosen) ? chosen : DEFAULT_TIMEFRAME;
}

const numberOrNull = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Mux Data's `timeframe: [start, end]` (Unix seconds) as ISO dates. */
function timeframeWindow(answer) {
  const [start, end] = Array.isArray(answer?.timeframe) ? answer.timeframe : [];
  return { timeframeStart: isoFromUnix(start), timeframeEnd: isoFromUnix(end) };
}

const playbackPolicy = { type: 'string', enum: ['public', 'signed'], description: 'public: anyone with the playback ID can watch; signed: playback needs a signed token. Default: the setting, else public' };
const passthrough = {
  type: 'string',
  minLength: 1,
  maxLength: PASSTHROUGH_MAX,
  description: 'Your reference (e.g. a recording id), kept by Mux and sent back in its webhooks: video.asset.ready/errored carry it as recordingId',
};
const playbackIdsSchema = {
  type: 'array',
  items: { type: 'object', required: ['id', 'policy'], properties: { id: { type: 'string' }, policy: { type: ['string', 'null'] } } },
};
const assetOutput = {
  type: 'object',
  required: ['assetId', 'status', 'playbackIds', 'playbackUrls'],
  properties: {
    assetId: { type: 'string' },
    status: { type: 'string', enum: ['preparing', 'ready', 'errored'] },
    playbackIds: playbackIdsSchema,
    playbackUrls: { type: 'array', items: { type: 'string', format: 'uri' }, description: 'HLS URLs of the public playback IDs' },
    passthrough: { type: ['string', 'null'] },
    test: { type: 'boolean', description: 'A test asset: watermarked, 10 seconds at most, deleted after 24 hours' },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'mux',
      name: 'Mux',
      category: 'video',
      description:
        'Host session recordings and uploads on Mux Video (assets, direct uploads, live streams), hear when an asset is ready to play, and sync playback metrics from Mux Data.',
      auth: {
        type: 'basic',
        credentialsSchema: {
          type: 'object',
          required: ['tokenId', 'tokenSecret'],
          additionalProperties: false,
          properties: {
            tokenId: {
              type: 'string',
              title: 'Access Token ID',
              description: 'Mux Settings → Access Tokens: the token’s ID (its environment is the one this connection works in). Give it Mux Video Read and Write, and Mux Data Read for metrics',
              pattern: '^[A-Za-z0-9-]{8,64}$',
            },
            tokenSecret: {
              type: 'string',
              title: 'Secret Key',
              description: 'The secret shown once when the access token was created',
              minLength: 16,
              maxLength: 256,
              pattern: '^\\S+$',
              secret: true,
            },
            webhookSecret: {
              type: 'string',
              title: 'Webhook signing secret',
              description: 'Mux Settings → Webhooks: the signing secret of the webhook that posts to this connection’s hook URL; needed to accept asset events',
              minLength: 8,
              maxLength: 256,
              pattern: '^\\S+$',
              secret: true,
            },
          },
        },
        apply: { basic: { username: '{tokenId}', password: '{tokenSecret}' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          createAssetsFromRecordings: {
            type: 'boolean',
            default: false,
            title: 'Create assets from recordings',
            description: 'When a recording is completed, have Mux download it into a new asset (its passthrough is the recording id)',
          },
          playbackPolicy: { ...playbackPolicy, default: 'public', title: 'Playback policy', description: 'For assets, uploads and live streams created without one' },
          videoQuality: {
            type: 'string',
            enum: ['basic', 'plus', 'premium'],
            title: 'Video quality',
            description: 'Mux’s video quality level for new assets (it sets the price); the environment’s default when unset',
          },
          testMode: {
            type: 'boolean',
            default: false,
            title: 'Test mode',
            description: 'Create test assets, uploads and live streams: free, watermarked, limited to 10 seconds (5 minutes live) and deleted after 24 hours',
          },
          metricsTimeframe: { type: 'string', enum: TIMEFRAMES, default: DEFAULT_TIMEFRAME, title: 'Metrics timeframe', description: 'The window of the Mux Data metrics synced' },
        },
      },
      baseUrl: 'https://api.mux.com',
      errors,
      // Mux's documented limits (Make API requests → API rate limits): POSTs under /video/ (new assets,
      // live streams, uploads) a sustained 1 request/s with short bursts above it; other Video methods 5/s;
      // general Data API 5/s. Each environment has its own bucket (Mux, "per-environment limits", 2025;
      // older docs said per account), so they are counted per environment (`environmentId`, from verify).
      rateLimits: [
        { requests: 10, windowMs: 10_000, scope: 'account', accountKey: 'environmentId', match: ['POST /video/'] },
        { requests: 50, windowMs: 10_000, scope: 'account', accountKey: 'environmentId', match: ['GET /video/', 'PUT /video/', 'PATCH /video/', 'DELETE /video/'] },
        { requests: 50, windowMs: 10_000, scope: 'account', accountKey: 'environmentId', match: ['GET /data/'] },
      ],

      /**
       * Who the token is: its organization, environment and permissions (GET /system/v1/whoami answers for
       * every access token, whatever its permissions).
       * @param {MuxContext} ctx
       */
      async verify(ctx) {
        const who = dataOf(await mux(ctx, '/system/v1/whoami'), 'whoami');
        const name = [who.organization_name, who.environment_name].filter(nonEmpty).join(' / ');
        return {
          displayName: name || String(who.environment_id ?? 'Mux'),
          metadata: {
            organizationId: who.organization_id ?? null,
            organizationName: who.organization_name ?? null,
            environmentId: who.environment_id ?? null,
            environmentName: who.environment_name ?? null,
            environmentType: who.environment_type ?? null,
            accessTokenName: who.access_token_name ?? null,
            permissions: Array.isArray(who.permissions) ? who.permissions.filter(nonEmpty) : [],
          },
        };
      },

      /** The cheapest authenticated call. */
      healthCheck: { request: { path: '/system/v1/whoami' } },

      actions: {
        createAssetFromUrl: {
          description:
            'Has Mux download a video file into a new asset. Answers at once with the asset (status preparing); video.asset.ready or video.asset.errored follows through the webhook.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['url'],
            properties: {
              url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048, description: 'Where Mux downloads the file (publicly reachable, or a signed URL)' },
              playbackPolicy,
              passthrough,
              videoQuality: { type: 'string', enum: ['basic', 'plus', 'premium'], description: 'Overrides the setting for this asset' },
            },
          },
          outputSchema: assetOutput,
          /** @param {MuxContext} ctx */
          run: (ctx, input) => createAsset(ctx, input),
        },

        createDirectUpload: {
          description:
            'Creates a direct upload: a one-time URL a browser or app PUTs a video file to; Mux turns the upload into an asset. The URL is a credential for that one upload: hand it only to the uploader.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              corsOrigin: {
                type: 'string',
                maxLength: 2048,
                pattern: '^(\\*|https?://[^\\s/?#]+)$',
                description: 'The web origin that uploads from a browser (https://app.example.com), or * (the default)',
              },
              playbackPolicy,
              passthrough,
              timeoutSeconds: { type: 'integer', minimum: 60, maximum: 604_800, description: 'How long the URL stays valid (Mux’s default: 3600)' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['uploadId', 'url', 'status'],
            properties: {
              uploadId: { type: 'string' },
              url: { type: 'string', format: 'uri', description: 'PUT the file here' },
              status: { type: 'string' },
              timeoutSeconds: { type: ['integer', 'null'] },
              corsOrigin: { type: ['string', 'null'] },
              test: { type: 'boolean' },
            },
          },
          /** @param {MuxContext} ctx */
          async run(ctx, input) {
            const settings = ctx.settings ?? {};
            const answer = await mux(ctx, '/video/v1/uploads', {
              method: 'POST',
              body: {
                cors_origin: input.corsOrigin ?? '*',
                new_asset_settings: {
                  playback_policies: [policyOf(ctx, input.playbackPolicy)],
                  ...(input.passthrough ? { passthrough: input.passthrough } : {}),
                  ...(settings.videoQuality ? { video_quality: settings.videoQuality } : {}),
                },
                ...(input.timeoutSeconds ? { timeout: input.timeoutSeconds } : {}),
                ...(settings.testMode ? { test: true } : {}),
              },
            });
            const upload = dataOf(answer, 'the upload creation');
            if (!nonEmpty(upload.url)) throw new Error('Mux created the upload without an upload URL');
            return {
              uploadId: upload.id,
              url: upload.url,
              status: upload.status,
              timeoutSeconds: numberOrNull(upload.timeout),
              corsOrigin: upload.cors_origin ?? null,
              test: upload.test === true,
            };
          },
        },

        createLiveStream: {
          description:
            'Creates a live stream: broadcast software sends to the RTMPS (or RTMP) URL with the stream key, viewers watch the playback IDs. The stream key lets anyone broadcast: keep it secret.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              playbackPolicy,
              latencyMode: { type: 'string', enum: ['standard', 'reduced', 'low'], description: 'Mux’s latency mode (default standard)' },
              passthrough,
            },
          },
          outputSchema: {
            type: 'object',
            required: ['liveStreamId', 'status', 'streamKey', 'ingestUrl', 'rtmpUrl', 'playbackIds', 'playbackUrls'],
            properties: {
              liveStreamId: { type: 'string' },
              status: { type: 'string', enum: ['idle', 'active', 'disabled'] },
              streamKey: { type: 'string', description: 'Secret: whoever has it can broadcast to this stream' },
              ingestUrl: { type: 'string', description: `Mux's RTMPS entry point, ${RTMPS_INGEST_URL}` },
              rtmpUrl: { type: 'string', description: `Mux's plain RTMP entry point, ${RTMP_INGEST_URL}` },
              playbackIds: playbackIdsSchema,
              playbackUrls: { type: 'array', items: { type: 'string', format: 'uri' } },
              latencyMode: { type: ['string', 'null'] },
              test: { type: 'boolean' },
            },
          },
          /** @param {MuxContext} ctx */
          async run(ctx, input) {
            const settings = ctx.settings ?? {};
            const policy = policyOf(ctx, input.playbackPolicy);
            const answer = await mux(ctx, '/video/v1/live-streams', {
              method: 'POST',
              body: {
                playback_policies: [policy],
                // Each broadcast is recorded as an asset with the same policy.
                new_asset_settings: { playback_policies: [policy], ...(input.passthrough ? { passthrough: input.passthrough } : {}) },
                ...(input.latencyMode ? { latency_mode: input.latencyMode } : {}),
                ...(input.passthrough ? { passthrough: input.passthrough } : {}),
                ...(settings.testMode ? { test: true } : {}),
              },
            });
            const stream = dataOf(answer, 'the live stream creation');
            if (!nonEmpty(stream.stream_key)) throw new Error('Mux created the live stream without a stream key');
            const ids = playbackIds(stream.playback_ids);
            // The stream key is never logged.
            ctx.log.info('Mux live stream created', { liveStreamId: stream.id, playbackIds: ids.map((entry) => entry.id) });
            return {
              liveStreamId: stream.id,
              status: stream.status,
              streamKey: stream.stream_key,
              ingestUrl: RTMPS_INGEST_URL,
              rtmpUrl: RTMP_INGEST_URL,
              playbackIds: ids,
              playbackUrls: playbackUrls(ids),
              latencyMode: stream.latency_mode ?? null,
              test: stream.test === true,
            };
          },
        },
      },

      onEvent: {
        /**
         * With "Create assets from recordings" on, has Mux download the recording into an asset whose
         * passthrough is the recording id. Mux has no idempotency key, so the newest assets are looked
         * through first: the same event delivered again creates no second asset.
         * @param {MuxContext} ctx
         */
        async 'recording.completed'(ctx, event) {
          if (ctx.settings?.createAssetsFromRecordings !== true) return;
          const data = event?.data ?? {};
          const recordingId = data.recordingId;
          if (!nonEmpty(recordingId) || recordingId.length > PASSTHROUGH_MAX) {
            ctx.log.warn('a recording without a usable id: no Mux asset created', { eventId: event?.id });
            return;
          }
          if (!nonEmpty(data.url) || !/^https?:\/\//i.test(data.url)) {
            ctx.log.warn('a recording without a URL Mux can download: no Mux asset created', { eventId: event?.id, recordingId });
            return;
          }
          const existing = await assetFromRecording(ctx, recordingId);
          if (existing) {
            ctx.log.info('the recording already has a Mux asset', { recordingId, assetId: existing.id });
            return;
          }
          const asset = await createAsset(ctx, { url: data.url, passthrough: recordingId });
          ctx.log.info('Mux asset created from a recording', { recordingId, assetId: asset.assetId, status: asset.status });
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * Playback metrics from Mux Data over the configured timeframe: overall views and viewer experience
         * score (`playbackMetrics`, one record per metric), and views per asset (`assetViews`, one record
         * per asset id, from the views breakdown grouped by asset_id, page by page).
         * @param {MuxContext} ctx
         */
        async run(ctx) {
          const timeframe = timeframeOf(ctx);
          const playbackMetrics = [];
          for (const metric of OVERALL_METRICS) {
            const answer = await mux(ctx, `/data/v1/metrics/${metric}/overall?${new URLSearchParams([['timeframe[]', timeframe]])}`);
            const data = answer?.data ?? {};
            playbackMetrics.push({
              id: metric,
              metric,
              timeframe,
              value: numberOrNull(data.value),
              totalViews: numberOrNull(data.total_views),
              totalWatchTime: numberOrNull(data.total_watch_time),
              totalPlayingTime: numberOrNull(data.total_playing_time),
              globalValue: numberOrNull(data.global_value),
              aggregation: answer?.meta?.aggregation ?? null,
              ...timeframeWindow(answer),
            });
          }
          const assetViews = [];
          for (let page = 1; page <= BREAKDOWN_MAX_PAGES; page += 1) {
            const query = new URLSearchParams([
              ['group_by', 'asset_id'],
              ['timeframe[]', timeframe],
              ['order_by', 'views'],
              ['order_direction', 'desc'],
              ['limit', String(BREAKDOWN_PAGE_SIZE)],
              ['page', String(page)],
            ]);
            const answer = await mux(ctx, `/data/v1/metrics/views/breakdown?${query}`);
            const rows = Array.isArray(answer?.data) ? answer.data : [];
            for (const row of rows) {
              // Views with no asset id (players not on Mux Video) are grouped under null: not an asset.
              if (!nonEmpty(row?.field)) continue;
              assetViews.push({
                id: row.field,
                assetId: row.field,
                timeframe,
                views: numberOrNull(row.views),
                totalWatchTime: numberOrNull(row.total_watch_time),
                totalPlayingTime: numberOrNull(row.total_playing_time),
                negativeImpact: numberOrNull(row.negative_impact),
                ...timeframeWindow(answer),
              });
            }
            const total = typeof answer?.total_row_count === 'number' ? answer.total_row_count : undefined;
            if (rows.length < BREAKDOWN_PAGE_SIZE || (total !== undefined && page * BREAKDOWN_PAGE_SIZE >= total)) break;
            if (page === BREAKDOWN_MAX_PAGES) ctx.log.warn('Mux views breakdown stopped at the page limit', { pages: BREAKDOWN_MAX_PAGES, total });
          }
          return { records: { playbackMetrics, assetViews } };
        },
      },

      webhook: {
        /**
         * Mux-Signature `t=<unix seconds>,v1=<hex>`: the v1 value is HMAC-SHA256, keyed with the webhook
         * signing secret, of `{t}.{raw body}`; compared in constant time, and `t` must be within five
         * minutes of now.
         * @param {MuxContext} ctx
         */
        verify(ctx, req) {
          const secret = ctx.credentials?.webhookSecret;
          if (!nonEmpty(secret)) {
            ctx.log.warn('a Mux webhook arrived but no webhook signing secret is configured: it cannot be verified');
            return false;
          }
          const value = header(req, 'mux-signature');
          if (!nonEmpty(value) || typeof req?.rawBody !== 'string') return false;
          const { timestamp, signatures } = parseSignatureHeader(value);
          if (timestamp === undefined || signatures.length === 0) return false;
          if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
          const expected = muxSignature(secret, timestamp, req.rawBody);
          return signatures.some((signature) => sameText(signature, expected));
        },

        /**
         * video.asset.ready → video.asset.ready and video.asset.errored → video.asset.errored, with the
         * asset's passthrough as recordingId; every other Mux event is acknowledged and dropped.
         */
        toEvents(ctx, req) {
          const event = eventOf(req);
          const asset = event?.data;
          if (!asset || typeof asset !== 'object' || !nonEmpty(asset.id)) return [];
          const common = {
            assetId: asset.id,
            provider: 'mux',
            playbackIds: playbackIds(asset.playback_ids).map((entry) => entry.id),
            ...(typeof asset.duration === 'number' && asset.duration >= 0 ? { durationSeconds: asset.duration } : {}),
            ...(nonEmpty(asset.passthrough) ? { recordingId: asset.passthrough } : {}),
            ...(nonEmpty(asset.live_stream_id) ? { liveStreamId: asset.live_stream_id } : {}),
            ...(nonEmpty(event.id) ? { muxEventId: event.id } : {}),
          };
          if (event.type === 'video.asset.ready') return [{ event: 'video.asset.ready', data: common }];
          if (event.type === 'video.asset.errored') {
            const messages = Array.isArray(asset.errors?.messages) ? asset.errors.messages.filter(nonEmpty) : [];
            const error = messages.join('; ') || asset.errors?.type || 'Mux could not process the asset';
            return [{ event: 'video.asset.errored', data: { ...common, error: String(error).slice(0, 2000) } }];
          }
          return [];
        },
      },
    },
  ],
});

