// YouTube provider for Plugboard, written against the YouTube Data API v3 and its Live Streaming methods (https://developers.google.com/youtube/v3/live/docs) and Google's OAuth 2.0 for web server apps.
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError } from 'plugboard/sdk';

/**
 * @typedef {{ defaultPrivacy?: 'public' | 'unlisted' | 'private', endOnLivestreamEnded?: boolean }} YouTubeSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, YouTubeSettings>} YouTubeContext
 * @typedef {{ id: string, snippet?: Record<string, any>, status?: Record<string, any>, contentDetails?: Record<string, any> }} LiveBroadcast
 */

/** Manage your YouTube account: live broadcasts and streams need it (or youtube.force-ssl). */
const SCOPE = 'https://www.googleapis.com/auth/youtube';
const WATCH_URL = 'https://www.youtube.com/watch?v=';
const LIVE_FEATURES_URL = 'https://www.youtube.com/features';
const CREATE_CHANNEL_URL = 'https://www.youtube.com/create_channel';
/** A broadcast is a video: its id is a video id, 11 characters of base64url. */
const BROADCAST_ID = '^[A-Za-z0-9_-]{11}$';
const BROADCAST_PARTS = 'id,snippet,status,contentDetails';
const PRIVACY = ['public', 'unlisted', 'private'];

/** Reasons Google gives for short-term throttling (403 or 429), as opposed to a refusal. */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'userRequestsExceedRateLimit']);
/** The project's daily quota is spent (403): nothing more goes through before midnight Pacific Time. */
const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded']);

/** Google's messages sometimes carry HTML (quotaExceeded links to the quota docs). */
const plain = (text) => String(text).replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();

/**
 * Seconds until the next midnight in America/Los_Angeles, when YouTube quotas reset (a DST change day
 * is off by an hour at most, which only makes the wait a little longer or shorter).
 */
function secondsUntilQuotaReset(now = new Date()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(now)
      .map((part) => [part.type, part.value]),
  );
  const elapsed = Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  return Math.max(1, 86_400 - elapsed);
}

function retryAfterSeconds(response) {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function refusal(message, reason) {
  return Object.assign(new ProviderRejectedError(message), reason ? { reason } : {});
}

/**
 * Google's `{ error: { code, message, errors: [{ reason, domain, message }] } }` as what it means:
 * quota and throttling are rate limits, refusals carry Google's message (and `reason` for callers),
 * anything else is an outage.
 */
function googleFailure(response, body) {
  const status = response.status;
  const error = body?.error ?? {};
  const detail = (Array.isArray(error.errors) && error.errors[0]) || {};
  const reason = typeof detail.reason === 'string' ? detail.reason : undefined;
  const message = plain(error.message || detail.message || `YouTube answered HTTP ${status}`);
  if (reason && QUOTA_REASONS.has(reason)) {
    return new ProviderRateLimitedError(`The YouTube API daily quota of this Google Cloud project is spent; it resets at midnight Pacific Time (${message})`, secondsUntilQuotaReset());
  }
  if (status === 429 || (reason && RATE_LIMIT_REASONS.has(reason))) return new ProviderRateLimitedError(`YouTube is throttling requests: ${message}`, retryAfterSeconds(response));
  if (status === 401) return refusal('Google refused the access token: connect YouTube again.', reason ?? 'authError');
  if (reason === 'liveStreamingNotEnabled') {
    return refusal(`This YouTube channel is not enabled for live streaming: enable live streaming at ${LIVE_FEATURES_URL} (it can take up to 24 hours), then try again.`, reason);
  }
  if (status === 403 && reason === 'insufficientPermissions') {
    return refusal('YouTube access was not granted: connect again and allow Plugboard to manage your YouTube account.', reason);
  }
  if (reason === 'invalidTransition') return refusal(`${message}: only a broadcast that is testing or live can be ended.`, reason);
  if (status >= 400 && status < 500 && status !== 408) return refusal(message, reason);
  return new Error(`YouTube answered HTTP ${status}: ${message}`);
}

/**
 * Calls the Data API (the host adds the bearer token under the base URL and refreshes it first when
 * it is about to expire). Answers the JSON body; `{}` for an empty 2xx (deletes answer 204).
 * @param {YouTubeContext} ctx
 */
async function youtube(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) {
    if (text && body === undefined) throw new Error(`YouTube answered ${response.status} with a body that is not JSON`);
    return body ?? {};
  }
  throw googleFailure(response, body);
}

const query = (params) => new URLSearchParams(params).toString();
const watchUrl = (id) => `${WATCH_URL}${encodeURIComponent(id)}`;

/** @param {LiveBroadcast} broadcast */
function broadcastSummary(broadcast) {
  return {
    broadcastId: broadcast.id,
    watchUrl: watchUrl(broadcast.id),
    title: broadcast.snippet?.title ?? null,
    lifeCycleStatus: broadcast.status?.lifeCycleStatus ?? null,
    privacy: broadcast.status?.privacyStatus ?? null,
    scheduledStart: broadcast.snippet?.scheduledStartTime ?? null,
    actualStart: broadcast.snippet?.actualStartTime ?? null,
    actualEnd: broadcast.snippet?.actualEndTime ?? null,
  };
}

/** @param {YouTubeContext} ctx @returns {Promise<LiveBroadcast>} */
async function findBroadcast(ctx, broadcastId) {
  const page = await youtube(ctx, `/liveBroadcasts?${query({ part: BROADCAST_PARTS, id: broadcastId })}`);
  const broadcast = page.items?.[0];
  if (!broadcast) throw refusal(`No YouTube broadcast ${broadcastId} on this channel.`, 'liveBroadcastNotFound');
  return broadcast;
}

/** Best effort: removes what a failed createBroadcast had already made, so no orphan is left on the channel. @param {YouTubeContext} ctx */
async function cleanUp(ctx, broadcastId, streamId) {
  for (const [path, id] of [
    ['/liveBroadcasts', broadcastId],
    ['/liveStreams', streamId],
  ]) {
    if (!id) continue;
    try {
      await youtube(ctx, `${path}?${query({ id })}`, { method: 'DELETE' });
    } catch (error) {
      ctx.log.warn('could not remove a half-created YouTube resource', { resource: path.slice(1), id, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/**
 * Schedules a broadcast, creates a single-use RTMP stream and binds them. The broadcast starts and
 * stops by itself when the encoder starts and stops sending (enableAutoStart/enableAutoStop). The
 * stream key is returned to the caller only: it is never logged.
 * @param {YouTubeContext} ctx
 */
async function createBroadcast(ctx, input) {
  const privacy = input.privacy ?? ctx.settings?.defaultPrivacy ?? 'private';
  const broadcast = await youtube(ctx, `/liveBroadcasts?${query({ part: 'snippet,status,contentDetails' })}`, {
    method: 'POST',
    body: {
      snippet: { title: input.title, ...(input.description ? { description: input.description } : {}), scheduledStartTime: input.scheduledStart },
      status: { privacyStatus: privacy, ...(input.madeForKids === undefined ? {} : { selfDeclaredMadeForKids: input.madeForKids }) },
      contentDetails: { enableAutoStart: true, enableAutoStop: true },
    },
  });
  let stream;
  let bound;
  try {
    stream = await youtube(ctx, `/liveStreams?${query({ part: 'snippet,cdn,contentDetails,status' })}`, {
      method: 'POST',
      body: {
        snippet: { title: input.title.slice(0, 128) },
        cdn: { ingestionType: 'rtmp', resolution: 'variable', frameRate: 'variable' },
        contentDetails: { isReusable: false },
      },
    });
    bound = await youtube(ctx, `/liveBroadcasts/bind?${query({ id: broadcast.id, streamId: stream.id, part: BROADCAST_PARTS })}`, { method: 'POST' });
  } catch (error) {
    await cleanUp(ctx, broadcast.id, stream?.id);
    throw error;
  }
  const ingestion = stream.cdn?.ingestionInfo ?? {};
  if (typeof ingestion.streamName !== 'string' || typeof ingestion.ingestionAddress !== 'string') throw new Error('YouTube created a stream without ingestion details');
  ctx.log.info('YouTube broadcast created and bound', { broadcastId: broadcast.id, streamId: stream.id });
  return {
    ...broadcastSummary(bound),
    streamId: stream.id,
    rtmpUrl: ingestion.ingestionAddress,
    rtmpsUrl: ingestion.rtmpsIngestionAddress ?? null,
    backupRtmpUrl: ingestion.backupIngestionAddress ?? null,
    streamKey: ingestion.streamName,
  };
}

/** The broadcast's life cycle and the health of the stream bound to it. @param {YouTubeContext} ctx */
async function getStreamStatus(ctx, { broadcastId }) {
  const broadcast = await findBroadcast(ctx, broadcastId);
  const streamId = broadcast.contentDetails?.boundStreamId;
  let stream = null;
  if (streamId) {
    // Only id and status: the cdn part would bring the stream key along, which a status check has no use for.
    const page = await youtube(ctx, `/liveStreams?${query({ part: 'id,status', id: streamId })}`);
    const found = page.items?.[0];
    if (found) {
      const health = found.status?.healthStatus;
      stream = {
        streamId: found.id,
        streamStatus: found.status?.streamStatus ?? null,
        healthStatus: health?.status ?? null,
        lastUpdated: health?.lastUpdateTimeSeconds ? new Date(Number(health.lastUpdateTimeSeconds) * 1000).toISOString() : null,
        issues: (health?.configurationIssues ?? []).map((issue) => ({ type: issue.type, severity: issue.severity, reason: issue.reason ?? null, description: issue.description ?? null })),
      };
    }
  }
  return { ...broadcastSummary(broadcast), recordingStatus: broadcast.status?.recordingStatus ?? null, streamId: streamId ?? null, stream };
}

/** Completes a live (or testing) broadcast; one already complete is reported as it is. @param {YouTubeContext} ctx */
async function endBroadcast(ctx, { broadcastId }) {
  try {
    const ended = await youtube(ctx, `/liveBroadcasts/transition?${query({ broadcastStatus: 'complete', id: broadcastId, part: 'id,snippet,status' })}`, { method: 'POST' });
    return { ...broadcastSummary(ended), ended: true };
  } catch (error) {
    if (error?.reason !== 'redundantTransition') throw error;
    // Already complete, or on its way there: nothing to do.
    return { ...broadcastSummary(await findBroadcast(ctx, broadcastId)), ended: false };
  }
}

const broadcastIdInput = {
  type: 'object',
  additionalProperties: false,
  required: ['broadcastId'],
  properties: { broadcastId: { type: 'string', pattern: BROADCAST_ID, description: 'The broadcast id (also the video id in its watch URL)' } },
};
/** YouTube refuses < and > in titles and descriptions (invalidTitle, invalidDescription). */
const NO_ANGLE_BRACKETS = '^[^<>]*$';

export default definePlugin({
  providers: [
    {
      id: 'youtube',
      name: 'YouTube',
      category: 'live_streaming',
      description: 'Stream sessions to YouTube Live: schedule a broadcast with its RTMP ingestion address and stream key, follow its status, end it.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: [SCOPE],
        scopeSeparator: ' ',
        pkce: true,
        // offline + consent: Google issues a refresh token on every connection, not only the first.
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          defaultPrivacy: {
            type: 'string',
            enum: PRIVACY,
            default: 'private',
            title: 'Default privacy',
            description: 'Who can watch broadcasts created without a privacy of their own: public, unlisted (anyone with the link) or private',
          },
          endOnLivestreamEnded: {
            type: 'boolean',
            default: true,
            title: 'End broadcasts when streaming stops',
            description: 'When a session stops streaming, complete the YouTube broadcasts it was streaming to',
          },
        },
      },
      baseUrl: 'https://www.googleapis.com/youtube/v3',
      // YouTube's quota is 10,000 units a day per Google Cloud project (all connections made with the
      // operator's OAuth client share it; resets at midnight Pacific Time). Writes cost 50 units each
      // (liveBroadcasts insert/bind/transition/delete, liveStreams insert/delete), reads 1. The budget
      // keeps 8,000 units for writes (160 a day: 40 createBroadcast calls of four writes) and 2,000 for
      // reads, so quotaExceeded stays the exception. A project granted more quota can raise these.
      rateLimits: [
        { requests: 160, windowMs: 86_400_000, scope: 'app', match: ['POST /', 'DELETE /'] },
        { requests: 2000, windowMs: 86_400_000, scope: 'app', match: ['GET /'] },
      ],
      errors: { message: (body) => (typeof body?.error?.message === 'string' ? plain(body.error.message) : undefined) },

      /**
       * The channel of the signed-in account, and whether it may stream: an account without a channel
       * or without live streaming enabled is refused with what to do about it.
       * @param {YouTubeContext} ctx
       */
      async verify(ctx) {
        const channels = await youtube(ctx, `/channels?${query({ part: 'id,snippet', mine: 'true' })}`);
        const channel = channels.items?.[0];
        if (!channel) throw refusal(`This Google account has no YouTube channel: create one at ${CREATE_CHANNEL_URL}, then connect again.`, 'channelNotFound');
        // liveStreamingNotEnabled, when it applies, is answered here (one unit).
        await youtube(ctx, `/liveBroadcasts?${query({ part: 'id', mine: 'true', maxResults: '1' })}`);
        return {
          displayName: channel.snippet?.title || channel.id,
          metadata: { channelId: channel.id, channelTitle: channel.snippet?.title ?? null, customUrl: channel.snippet?.customUrl ?? null },
        };
      },

      /** One unit. @param {YouTubeContext} ctx */
      async healthCheck(ctx) {
        const channels = await youtube(ctx, `/channels?${query({ part: 'id', mine: 'true' })}`);
        if (!channels.items?.length) throw refusal('This Google account no longer has a YouTube channel.', 'channelNotFound');
      },

      actions: {
        createBroadcast: {
          description:
            'Schedules a YouTube Live broadcast and binds a new RTMP stream to it. Answers the broadcast id, its watch URL, the RTMP ingestion address and the stream key (a secret: give it only to the encoder). The broadcast goes live when the encoder starts sending and ends when it stops.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['title', 'scheduledStart'],
            properties: {
              title: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_ANGLE_BRACKETS, description: 'The broadcast (video) title; no < or >' },
              description: { type: 'string', maxLength: 5000, pattern: NO_ANGLE_BRACKETS, description: 'No < or >' },
              privacy: { type: 'string', enum: PRIVACY, description: 'Defaults to the configured privacy' },
              scheduledStart: { type: 'string', format: 'date-time', description: 'When the broadcast is scheduled to start (not in the past)' },
              madeForKids: { type: 'boolean', description: 'Declares the broadcast made for kids (or not); left to the channel’s default when absent' },
            },
          },
          run: createBroadcast,
        },
        getStreamStatus: {
          description: 'The broadcast’s life cycle (created, ready, testing, live, complete, …) and the bound stream’s status (active, inactive, …) and health (good, ok, bad, noData).',
          inputSchema: broadcastIdInput,
          run: getStreamStatus,
        },
        endBroadcast: {
          description: 'Ends a live broadcast (transition to complete). A broadcast already complete is answered as it is, with ended: false.',
          inputSchema: broadcastIdInput,
          run: endBroadcast,
        },
      },

      onEvent: {
        /**
         * Ends the YouTube broadcasts among the event's destinations, unless turned off in the settings.
         * A broadcast YouTube refuses to end (never went live, deleted) is logged and skipped.
         * @param {YouTubeContext} ctx
         */
        async 'livestream.ended'(ctx, event) {
          if (ctx.settings?.endOnLivestreamEnded === false) return;
          const destinations = Array.isArray(event.data?.destinations) ? event.data.destinations : [];
          const ids = new Set(destinations.filter((entry) => entry?.provider === 'youtube' && typeof entry.id === 'string' && new RegExp(BROADCAST_ID).test(entry.id)).map((entry) => entry.id));
          for (const broadcastId of ids) {
            try {
              const result = await endBroadcast(ctx, { broadcastId });
              ctx.log.info(result.ended ? 'YouTube broadcast ended' : 'YouTube broadcast was already complete', { eventId: event.id, broadcastId });
            } catch (error) {
              if (error?.code !== 'provider_rejected') throw error;
              ctx.log.warn('YouTube did not end the broadcast', { eventId: event.id, broadcastId, reason: error.reason ?? null, error: error.message });
            }
          }
        },
      },
    },
  ],
});
