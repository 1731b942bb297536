// Facebook Live provider for Plugboard, written against Meta's Live Video API (https://developers.facebook.com/docs/live-video-api: broadcasting guide, the /live_videos edge and LiveVideo references), Facebook Login's manual flow and access tokens, and the Graph API error-handling and rate-limiting guides.
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError } from 'plugboard/sdk';

/**
 * @typedef {{ pageId?: string, endOnLivestreamEnded?: boolean }} FacebookSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, FacebookSettings>} FacebookContext
 * @typedef {{ message?: string, type?: string, code?: number, error_subcode?: number, error_user_title?: string, error_user_msg?: string, fbtrace_id?: string }} GraphError
 */

/**
 * Pinned Graph API version: v26.0 (July 2026) is the current one in Meta's changelog; v21.0 stops
 * working on 21 January 2027. Every path below is relative to this version.
 */
const GRAPH_VERSION = 'v26.0';
const GRAPH = `https://graph.facebook.com/${GRAPH_VERSION}`;

/** publish_video: live videos on the user's profile; the three pages_* permissions: a Page access token that may go live. */
const PUBLISH_VIDEO = 'publish_video';
const PAGE_PERMISSIONS = ['pages_show_list', 'pages_read_engagement', 'pages_manage_posts'];
const SCOPES = [PUBLISH_VIDEO, ...PAGE_PERMISSIONS];

/** Graph ids (users, Pages, live videos) are numeric strings. */
const NUMERIC_ID = '^[0-9]{1,32}$';
/** LIVE_NOW goes live as soon as the encoder sends; UNPUBLISHED is a preview only the broadcaster sees (Facebook may delete it after a few hours). */
const STATUSES = ['LIVE_NOW', 'UNPUBLISHED'];
/** The Page task Facebook requires to publish (and so to go live) as the Page. */
const CREATE_CONTENT = 'CREATE_CONTENT';
const PAGE_SIZE = 100;
const MAX_PAGES = 20;

/**
 * Graph error codes that are throttling: 4 application, 17 user, 32 Page (Platform limits), 613 a
 * custom limit of the endpoint, 80001 the Pages Business Use Case limit (Page access tokens).
 */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80001]);
/** 190 (and the older 102): the access token expired, was revoked or is invalid: only a new login helps. */
const TOKEN_CODES = new Set([102, 190]);
/** 10 and 200–299: a permission is missing, was declined or removed. */
const isPermissionCode = (code) => code === 10 || (code >= 200 && code <= 299);
/** 1 (unknown) and 2 (service): Facebook's own temporary trouble. */
const OUTAGE_CODES = new Set([1, 2]);

/** Graph's `{ error: { message, type, code, error_subcode, fbtrace_id } }`, when the body is one. */
function graphError(body) {
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : undefined;
  return /** @type {GraphError | undefined} */ (error);
}

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

/**
 * How long until the throttle lifts: the Business Use Case header's estimated_time_to_regain_access
 * (minutes) when Facebook sends it (Page tokens), else Retry-After.
 */
function retryAfterSeconds(response) {
  const usage = response.headers.get('x-business-use-case-usage');
  if (usage) {
    try {
      const minutes = Object.values(JSON.parse(usage))
        .flat()
        .map((entry) => Number(entry?.estimated_time_to_regain_access))
        .filter((value) => Number.isFinite(value) && value > 0);
      if (minutes.length) return Math.max(...minutes) * 60;
    } catch {
      // not JSON: fall through
    }
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return response.headers.has('retry-after') && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
}

/**
 * A Graph error as what it means: throttling codes are rate limits whatever the HTTP status (Graph
 * answers them with 400 or 403), 190 says to connect again, permission codes say what to grant, 1 and
 * 2 are outages, other refusals carry Facebook's message and trace id. `secret` (a Page token) is
 * never echoed.
 */
function graphFailure(response, body, secret) {
  const status = response.status;
  const error = graphError(body) ?? {};
  const code = Number(error.code);
  let message = (typeof error.message === 'string' && error.message) || (typeof error.error_user_msg === 'string' && error.error_user_msg) || `Facebook answered HTTP ${status}`;
  if (secret) message = message.split(secret).join('[redacted]');
  const trace = typeof error.fbtrace_id === 'string' && error.fbtrace_id ? ` (fbtrace_id ${error.fbtrace_id})` : '';
  if (RATE_LIMIT_CODES.has(code) || status === 429) return new ProviderRateLimitedError(`Facebook is rate limiting these calls: ${message}`, retryAfterSeconds(response));
  if (TOKEN_CODES.has(code)) return refusal(`Facebook no longer accepts this connection's access token (${message}): connect Facebook again.`);
  if (isPermissionCode(code)) {
    return refusal(
      `Facebook refused for lack of permission (${message}): connect Facebook again and allow ${SCOPES.join(', ')}; to stream to a Page, your role on it must let you create content.${trace}`,
    );
  }
  if (code === 368) return refusal(`Facebook has temporarily blocked this action under its policies: ${message}${trace}`);
  if (OUTAGE_CODES.has(code) || status >= 500 || status === 408) return new Error(`Facebook answered HTTP ${status}: ${message}${trace}`);
  if (status >= 400 || body?.error) return refusal(`${message}${trace}`);
  return new Error(`Facebook answered HTTP ${status}: ${message}`);
}

/**
 * Calls the Graph API. Without `token`, the host adds the user's access token (under the base URL);
 * with one (a Page access token), that token is sent instead, for this request only. `form` goes as
 * `application/x-www-form-urlencoded`, as Graph takes POST parameters.
 * @param {FacebookContext} ctx
 * @param {string} path
 * @param {{ method?: string, form?: Record<string, string>, token?: string }} [options]
 */
async function graph(ctx, path, { method = 'GET', form, token } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await ctx.http(path, { method, headers, ...(form ? { body: new URLSearchParams(form) } : {}) });
  const body = await readBody(response);
  if (!response.ok || graphError(body)) throw graphFailure(response, body, token);
  if (body === undefined) throw new Error(`Facebook answered HTTP ${response.status} with a body that is not JSON`);
  return body;
}

const query = (params) => new URLSearchParams(params).toString();

/** The Page the settings name, if any (an action's own pageId wins). @param {FacebookContext} ctx */
function settingsPageId(ctx) {
  const pageId = ctx.settings?.pageId;
  return typeof pageId === 'string' && new RegExp(NUMERIC_ID).test(pageId) ? pageId : undefined;
}

/**
 * The Page's access token, asked of Facebook for this one call (it comes only to a user with a role
 * on the Page). It is never stored, logged or returned: only passed on to the next request.
 * @param {FacebookContext} ctx
 * @param {string} pageId
 * @returns {Promise<{ id: string, name: string | null, token: string }>}
 */
async function pageAccess(ctx, pageId) {
  const page = await graph(ctx, `/${encodeURIComponent(pageId)}?${query({ fields: 'id,name,access_token' })}`);
  if (typeof page.access_token !== 'string' || !page.access_token) {
    throw refusal(
      `The connected Facebook account cannot stream to the Page ${page.name ? `"${page.name}" (${pageId})` : pageId}: Facebook gives no Page access token for it. Choose one of the Pages listPages returns, or connect the Facebook account that manages this Page.`,
    );
  }
  return { id: String(page.id ?? pageId), name: typeof page.name === 'string' ? page.name : null, token: page.access_token };
}

/**
 * The user's Pages (GET /me/accounts), each with the tasks the user may perform on it. The Page
 * access tokens that edge can carry are not even asked for.
 * @param {FacebookContext} ctx
 */
async function listPages(ctx) {
  const pages = [];
  let after;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = await graph(ctx, `/me/accounts?${query({ fields: 'id,name,tasks', limit: String(PAGE_SIZE), ...(after ? { after } : {}) })}`);
    const data = Array.isArray(body.data) ? body.data : [];
    for (const entry of data) {
      const tasks = Array.isArray(entry?.tasks) ? entry.tasks.filter((task) => typeof task === 'string') : [];
      pages.push({ id: String(entry.id), name: entry.name ?? null, tasks, canStream: tasks.includes(CREATE_CONTENT) });
    }
    after = body.paging?.cursors?.after;
    if (!body.paging?.next || typeof after !== 'string' || !after || data.length === 0) break;
  }
  return { pages };
}

/** The server and stream key an encoder asks for, split from the stream URL at its last slash. */
function splitStreamUrl(url) {
  if (typeof url !== 'string') return { server: null, streamKey: null };
  const at = url.lastIndexOf('/');
  return at > url.indexOf('//') + 1 && at < url.length - 1 ? { server: url.slice(0, at + 1), streamKey: url.slice(at + 1) } : { server: null, streamKey: null };
}

/**
 * Creates a LiveVideo on the Page (with its Page access token) or, without a Page, on the user's
 * profile. The stream URLs embed the stream key: they are returned to the caller only, never logged.
 * @param {FacebookContext} ctx
 */
async function createLiveVideo(ctx, input) {
  const pageId = input.pageId ?? settingsPageId(ctx);
  const status = input.status ?? 'LIVE_NOW';
  const form = { status, title: input.title, ...(input.description ? { description: input.description } : {}) };
  let created;
  if (pageId) {
    const page = await pageAccess(ctx, pageId);
    created = await graph(ctx, `/${encodeURIComponent(page.id)}/live_videos`, { method: 'POST', form, token: page.token });
  } else {
    created = await graph(ctx, '/me/live_videos', { method: 'POST', form });
  }
  if (typeof created.id !== 'string' && typeof created.id !== 'number') throw new Error('Facebook created a live video without an id');
  const id = String(created.id);
  ctx.log.info('Facebook live video created', { liveVideoId: id, target: pageId ? 'page' : 'profile', pageId: pageId ?? null, status });
  const secure = splitStreamUrl(created.secure_stream_url);
  return {
    id,
    pageId: pageId ?? null,
    status,
    stream_url: created.stream_url ?? null,
    secure_stream_url: created.secure_stream_url ?? null,
    server: secure.server,
    streamKey: secure.streamKey,
  };
}

/**
 * Ends a live broadcast (end_live_video=true); a Page's live video is ended with that Page's token.
 * @param {FacebookContext} ctx
 */
async function endLiveVideo(ctx, input) {
  const pageId = input.pageId ?? settingsPageId(ctx);
  const token = pageId ? (await pageAccess(ctx, pageId)).token : undefined;
  const body = await graph(ctx, `/${encodeURIComponent(input.liveVideoId)}`, { method: 'POST', form: { end_live_video: 'true' }, token });
  return { id: String(body.id ?? input.liveVideoId), pageId: pageId ?? null, ended: true };
}

const idField = (description) => ({ type: 'string', pattern: NUMERIC_ID, description });
const pageIdField = idField('The Facebook Page (one listPages returns); defaults to the Page in the settings, else the user’s own profile');

export default definePlugin({
  providers: [
    {
      id: 'facebook_live',
      name: 'Facebook Live',
      category: 'live_streaming',
      description: 'Stream sessions to Facebook Live on a Page or your profile: create the live video with its RTMPS stream URL, end it when the session ends.',
      auth: {
        type: 'oauth2',
        authorizationUrl: `https://www.facebook.com/${GRAPH_VERSION}/dialog/oauth`,
        tokenUrl: `${GRAPH}/oauth/access_token`,
        scopes: SCOPES,
        scopeSeparator: ',',
        // Facebook issues no refresh tokens: the server-side code exchange answers a long-lived user
        // token (about 60 days); after that the user connects again.
        refresh: false,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          pageId: {
            type: 'string',
            pattern: NUMERIC_ID,
            title: 'Facebook Page',
            description: 'The id of the Page to stream to (run listPages to see yours); leave empty to stream to your own profile',
          },
          endOnLivestreamEnded: {
            type: 'boolean',
            default: true,
            title: 'End live videos when streaming stops',
            description: 'When a session stops streaming, end the Facebook live videos it was streaming to',
          },
        },
      },
      baseUrl: GRAPH,
      // Platform rate limits: calls with a user access token are counted per user over a rolling hour
      // (application-level throttling starts at 200 calls per user per hour); Page access tokens fall
      // under the Pages Business Use Case limit (4,800 calls × engaged users per Page per 24 hours),
      // far above what these actions spend. The budget keeps each connection under 200 an hour.
      rateLimits: [{ requests: 200, windowMs: 3_600_000, scope: 'connection' }],
      errors: {
        message: (body) => graphError(body)?.message,
        classify: (body, status) => {
          const code = Number(graphError(body)?.code);
          if (!graphError(body)) return undefined;
          if (RATE_LIMIT_CODES.has(code)) return 'rate_limited';
          if (OUTAGE_CODES.has(code) || status >= 500) return 'outage';
          return 'rejected';
        },
      },

      /**
       * Who connected (GET /me) and which permissions they granted: without publish_video nor the
       * Page permissions there is nothing this connection could stream to.
       * @param {FacebookContext} ctx
       */
      async verify(ctx) {
        const me = await graph(ctx, `/me?${query({ fields: 'id,name' })}`);
        if (!me.id) throw refusal('Facebook answered no user for this access token: connect Facebook again.');
        const permissions = await graph(ctx, '/me/permissions');
        const entries = Array.isArray(permissions.data) ? permissions.data : [];
        const granted = entries.filter((entry) => entry?.status === 'granted').map((entry) => entry.permission);
        const declined = entries.filter((entry) => entry?.status === 'declined').map((entry) => entry.permission);
        const canPage = PAGE_PERMISSIONS.every((permission) => granted.includes(permission));
        if (!granted.includes(PUBLISH_VIDEO) && !canPage) {
          throw refusal(`Facebook did not grant ${SCOPES.join(', ')}: connect Facebook again and allow them, or nothing can be streamed.`);
        }
        return {
          displayName: me.name || String(me.id),
          metadata: { userId: String(me.id), name: me.name ?? null, grantedPermissions: granted, declinedPermissions: declined },
        };
      },

      /** GET /me with the id only; notices a token of another user. @param {FacebookContext} ctx */
      async healthCheck(ctx) {
        const me = await graph(ctx, `/me?${query({ fields: 'id' })}`);
        const userId = ctx.integration.metadata?.userId;
        if (typeof userId === 'string' && userId && String(me.id) !== userId) throw refusal('The access token now belongs to another Facebook user: connect Facebook again.');
      },

      actions: {
        listPages: {
          description: 'The Facebook Pages of the connected user: id, name and the tasks the user may perform there (canStream when CREATE_CONTENT is among them). Page access tokens are never returned.',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          run: listPages,
        },
        createLiveVideo: {
          description:
            'Creates a Facebook live video on a Page (pageId, else the Page in the settings) or on your profile. Answers its id and the stream URLs: secure_stream_url (RTMPS, with server and streamKey split from it) and stream_url — secrets to give only to the encoder. With LIVE_NOW the video goes live when the encoder starts sending; UNPUBLISHED is a preview only you see.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['title'],
            properties: {
              title: { type: 'string', minLength: 1, maxLength: 254, pattern: '\\S', description: 'The live video title (up to 254 characters)' },
              description: { type: 'string', maxLength: 5000, description: 'The text shown with the live video' },
              pageId: pageIdField,
              status: { type: 'string', enum: STATUSES, default: 'LIVE_NOW', description: 'LIVE_NOW (public once the stream arrives) or UNPUBLISHED (a preview)' },
            },
          },
          run: createLiveVideo,
        },
        endLiveVideo: {
          description: 'Ends a Facebook live video (end_live_video). A live video on a Page is ended with that Page’s access token.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['liveVideoId'],
            properties: { liveVideoId: idField('The live video id createLiveVideo answered'), pageId: pageIdField },
          },
          run: endLiveVideo,
        },
      },

      onEvent: {
        /**
         * Ends the Facebook live videos among the event's destinations, unless turned off in the
         * settings. One Facebook refuses to end (already over, deleted) is logged and skipped.
         * @param {FacebookContext} ctx
         */
        async 'livestream.ended'(ctx, event) {
          if (ctx.settings?.endOnLivestreamEnded === false) return;
          const destinations = Array.isArray(event.data?.destinations) ? event.data.destinations : [];
          const pattern = new RegExp(NUMERIC_ID);
          const ids = new Set(destinations.filter((entry) => entry?.provider === 'facebook_live' && typeof entry.id === 'string' && pattern.test(entry.id)).map((entry) => entry.id));
          for (const liveVideoId of ids) {
            try {
              await endLiveVideo(ctx, { liveVideoId });
              ctx.log.info('Facebook live video ended', { eventId: event.id, liveVideoId });
            } catch (error) {
              if (error?.code !== 'provider_rejected') throw error;
              ctx.log.warn('Facebook did not end the live video', { eventId: event.id, liveVideoId, error: error.message });
            }
          }
        },
      },
    },
  ],
});
