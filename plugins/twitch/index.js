// Twitch provider for Plugboard, written against the Twitch API (Helix) reference (https://dev.twitch.tv/docs/api/reference), Twitch authentication and token validation (https://dev.twitch.tv/docs/authentication) and Get Ingest Servers (https://dev.twitch.tv/docs/video-broadcast/reference/ingest).
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError } from 'plugboard/sdk';

/**
 * @typedef {{ clientId?: string, userId?: string, login?: string }} TwitchMetadata
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, Record<string, never>>} TwitchContext
 * @typedef {{ client_id: string, login?: string, user_id?: string, scopes: string[] | null, expires_in: number }} ValidatedToken
 */

const STREAM_KEY_SCOPE = 'channel:read:stream_key';
const MANAGE_BROADCAST_SCOPE = 'channel:manage:broadcast';
const SCOPES = [STREAM_KEY_SCOPE, MANAGE_BROADCAST_SCOPE];
/** Outside the Helix base URL: the host adds no credentials there, the plugin sends `Authorization: OAuth <token>` itself. */
const VALIDATE_URL = 'https://id.twitch.tv/oauth2/validate';
/** Needs neither Client-Id nor Authorization. */
const INGESTS_URL = 'https://ingest.twitch.tv/ingests';
/** The global ingest Twitch documents as the default, used when the ingest list cannot be read. */
const DEFAULT_INGEST = { name: 'Default', server: 'rtmp://ingest.global-contribute.live-video.net/app', secureServer: 'rtmps://ingest.global-contribute.live-video.net/app' };
const STREAM_KEY_PLACEHOLDER = '/{stream_key}';

function refusal(message) {
  return new ProviderRejectedError(message);
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Seconds until the bucket refills: Retry-After when given, else Twitch's Ratelimit-Reset (epoch seconds). */
function retryAfterSeconds(response) {
  const retryAfter = Number(response.headers.get('retry-after'));
  if (response.headers.has('retry-after') && Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter;
  const reset = Number(response.headers.get('ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(1, Math.ceil(reset - Date.now() / 1000)) : undefined;
}

/**
 * Helix's `{ error, status, message }` as what it means: 429 is the token bucket running dry; a 401
 * is a token, Client-Id or scope problem said in words a person can act on; other 4xx refusals carry
 * Twitch's message; anything else is an outage.
 */
function twitchFailure(response, body) {
  const status = response.status;
  const message = (typeof body?.message === 'string' && body.message) || (typeof body?.error === 'string' && body.error) || `Twitch answered HTTP ${status}`;
  if (status === 429) return new ProviderRateLimitedError(`Twitch is rate limiting this connection: ${message}`, retryAfterSeconds(response));
  if (status === 401) {
    const scope = /^missing scope:?\s*(.+)$/i.exec(message);
    if (scope) return refusal(`Twitch did not grant ${scope[1].trim()}: connect Twitch again and allow it.`);
    return refusal(`Twitch refused the credentials (${message}): connect Twitch again.`);
  }
  if (status >= 400 && status < 500 && status !== 408) return refusal(message);
  return new Error(`Twitch answered HTTP ${status}: ${message}`);
}

/**
 * GET /oauth2/validate: the token's app (client_id), user and scopes. Twitch asks apps to validate their
 * tokens on start and hourly; it costs no Helix points.
 * @param {TwitchContext} ctx
 * @returns {Promise<ValidatedToken>}
 */
async function validate(ctx) {
  const response = await ctx.http(VALIDATE_URL, { headers: { accept: 'application/json', Authorization: `OAuth ${ctx.credentials.accessToken}` } });
  const body = await readBody(response);
  if (response.status === 401) throw refusal('Twitch says the access token is no longer valid (expired or revoked): connect Twitch again.');
  if (!response.ok) throw twitchFailure(response, body);
  if (typeof body?.client_id !== 'string' || !body.client_id) throw new Error('Twitch validated the token without naming its client id');
  if (typeof body.user_id !== 'string' || !body.user_id) throw refusal('This is an app access token, not a user’s: connect a Twitch account.');
  return body;
}

/** Per call: one /validate answers both ids when the connection has not kept them. */
const identities = new WeakMap();

/**
 * The OAuth app's client id (Helix wants it as Client-Id on every call) and the connected user (the
 * broadcaster): kept by verify, else asked of /validate once per call.
 * @param {TwitchContext} ctx
 * @returns {Promise<{ clientId: string, userId: string }>}
 */
function identity(ctx) {
  const { clientId, userId } = ctx.integration.metadata ?? {};
  if (typeof clientId === 'string' && clientId && typeof userId === 'string' && userId) return Promise.resolve({ clientId, userId });
  let pending = identities.get(ctx);
  if (!pending) {
    pending = validate(ctx).then((token) => ({ clientId: token.client_id, userId: token.user_id }));
    identities.set(ctx, pending);
  }
  return pending;
}

/**
 * Calls Helix: the host adds the bearer token under the base URL; Helix also wants the app's client id.
 * @param {TwitchContext} ctx
 */
async function helix(ctx, path, init = {}, clientId = undefined) {
  const id = clientId ?? (await identity(ctx)).clientId;
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', 'Client-Id': id, ...init.headers } });
  const body = await readBody(response);
  if (!response.ok) throw twitchFailure(response, body);
  return body ?? {};
}

const query = (params) => new URLSearchParams(params).toString();

/**
 * The ingest to stream to: the first available one of Twitch's list (Twitch orders it, its global
 * "Default" first), or the documented default when the list cannot be read.
 * @param {TwitchContext} ctx
 */
async function ingestServer(ctx) {
  try {
    const response = await ctx.http(INGESTS_URL, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`the ingest list answered HTTP ${response.status}`);
    const body = await readBody(response);
    const usable = (Array.isArray(body?.ingests) ? body.ingests : []).filter(
      (ingest) => typeof ingest?.url_template === 'string' && /^rtmps?:\/\//.test(ingest.url_template) && ingest.url_template.endsWith(STREAM_KEY_PLACEHOLDER),
    );
    const chosen = usable.find((ingest) => ingest.availability !== 0) ?? usable[0];
    if (chosen) {
      const secure = typeof chosen.url_template_secure === 'string' && chosen.url_template_secure.endsWith(STREAM_KEY_PLACEHOLDER) ? chosen.url_template_secure : undefined;
      return {
        name: typeof chosen.name === 'string' ? chosen.name : null,
        server: chosen.url_template.slice(0, -STREAM_KEY_PLACEHOLDER.length),
        secureServer: secure ? secure.slice(0, -STREAM_KEY_PLACEHOLDER.length) : null,
      };
    }
    throw new Error('the ingest list has no usable server');
  } catch (error) {
    ctx.log.warn('Twitch ingest list unavailable: using the default ingest', { error: error instanceof Error ? error.message : String(error) });
    return DEFAULT_INGEST;
  }
}

/**
 * The channel's stream key and the ingest server to send it to. The key is a secret: returned to the
 * caller only, never logged.
 * @param {TwitchContext} ctx
 */
async function getStreamDestination(ctx) {
  const { userId: broadcasterId } = await identity(ctx);
  const key = await helix(ctx, `/streams/key?${query({ broadcaster_id: broadcasterId })}`);
  const streamKey = key.data?.[0]?.stream_key;
  if (typeof streamKey !== 'string' || !streamKey) throw new Error('Twitch answered without a stream key');
  const ingest = await ingestServer(ctx);
  ctx.log.info('Twitch stream destination read', { broadcasterId, ingest: ingest.name });
  return { broadcasterId, ingestName: ingest.name, server: ingest.server, secureServer: ingest.secureServer, streamKey };
}

/**
 * A category (game) id by name: Get Games matches the exact name; else Search Categories, taking a
 * case-insensitive exact match. No match is refused with the closest names.
 * @param {TwitchContext} ctx
 */
async function resolveCategory(ctx, name) {
  const games = await helix(ctx, `/games?${query({ name })}`);
  const game = games.data?.[0];
  if (game) return { id: game.id, name: game.name };
  const found = await helix(ctx, `/search/categories?${query({ query: name, first: '10' })}`);
  const candidates = Array.isArray(found.data) ? found.data : [];
  const wanted = name.trim().toLowerCase();
  const match = candidates.find((candidate) => typeof candidate?.name === 'string' && candidate.name.trim().toLowerCase() === wanted);
  if (match) return { id: match.id, name: match.name };
  const closest = candidates
    .slice(0, 5)
    .map((candidate) => candidate.name)
    .filter(Boolean);
  throw refusal(`Twitch has no category named "${name}"${closest.length ? `; closest: ${closest.join(', ')}` : ''}.`);
}

/** Modify Channel Information: the stream title and/or category. @param {TwitchContext} ctx */
async function updateChannel(ctx, input) {
  const { userId: broadcasterId } = await identity(ctx);
  const category = input.categoryName ? await resolveCategory(ctx, input.categoryName) : null;
  await helix(ctx, `/channels?${query({ broadcaster_id: broadcasterId })}`, {
    method: 'PATCH',
    body: { ...(input.title === undefined ? {} : { title: input.title }), ...(category ? { game_id: category.id } : {}) },
  });
  return { broadcasterId, title: input.title ?? null, category };
}

export default definePlugin({
  providers: [
    {
      id: 'twitch',
      name: 'Twitch',
      category: 'live_streaming',
      description: 'Stream sessions to a Twitch channel: read its stream key and ingest server, and set the stream title and category.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://id.twitch.tv/oauth2/authorize',
        tokenUrl: 'https://id.twitch.tv/oauth2/token',
        scopes: SCOPES,
        scopeSeparator: ' ',
        // Authorization-code tokens last about four hours; the refresh token gets new ones.
        refresh: true,
      },
      baseUrl: 'https://api.twitch.tv/helix',
      // Helix meters user-token calls with a token bucket of 800 points a minute per client id and user
      // (one connection); every endpoint used here costs one point. /validate and the ingest list are
      // outside the base URL and not metered by it.
      rateLimits: [{ requests: 800, windowMs: 60_000, scope: 'connection' }],
      errors: { message: '/message' },

      /**
       * Validates the token (its app's client id, its user, the scopes granted), then reads the user
       * from Helix with that client id. The client id and user id are kept: later calls send them.
       * @param {TwitchContext} ctx
       */
      async verify(ctx) {
        const token = await validate(ctx);
        const granted = Array.isArray(token.scopes) ? token.scopes : [];
        const missing = SCOPES.filter((scope) => !granted.includes(scope));
        if (missing.length) throw refusal(`Twitch did not grant ${missing.join(' and ')}: connect Twitch again and allow reading the stream key and managing the broadcast.`);
        const users = await helix(ctx, '/users', {}, token.client_id);
        const user = users.data?.[0];
        if (!user?.id) throw refusal('Twitch answered no user for this access token: connect Twitch again.');
        return {
          displayName: user.display_name || user.login,
          metadata: {
            clientId: token.client_id,
            userId: user.id,
            login: user.login ?? token.login ?? null,
            displayName: user.display_name ?? null,
            broadcasterType: user.broadcaster_type || null,
            scopes: granted,
          },
        };
      },

      /** Token validation, as Twitch asks apps to do hourly; no Helix points. @param {TwitchContext} ctx */
      async healthCheck(ctx) {
        const token = await validate(ctx);
        const userId = ctx.integration.metadata?.userId;
        if (typeof userId === 'string' && userId && token.user_id !== userId) throw refusal('The access token now belongs to another Twitch account: connect Twitch again.');
      },

      actions: {
        getStreamDestination: {
          description: 'The channel’s RTMP destination: the ingest server (rtmp:// and rtmps://) and the stream key (a secret: give it only to the encoder).',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          run: getStreamDestination,
        },
        updateChannel: {
          description: 'Sets the channel’s stream title and/or category; the category is given by name (e.g. "Just Chatting", "Software and Game Development").',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            anyOf: [{ required: ['title'] }, { required: ['categoryName'] }],
            properties: {
              title: { type: 'string', minLength: 1, maxLength: 140, pattern: '\\S', description: 'The stream title (up to 140 characters)' },
              categoryName: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S', description: 'The category (game) name as Twitch shows it' },
            },
          },
          run: updateChannel,
        },
      },
    },
  ],
});
