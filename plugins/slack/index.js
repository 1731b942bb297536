// Slack provider for Plugboard, written against Slack's Web API reference (https://docs.slack.dev/reference/methods: auth.test, chat.postMessage, conversations.list), OAuth v2 and token rotation (https://docs.slack.dev/authentication/installing-with-oauth, https://docs.slack.dev/authentication/using-token-rotation) and request signing (https://docs.slack.dev/authentication/verifying-requests-from-slack).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ channel: string, template?: string }} NotificationRoute
 * @typedef {{ notifications?: Record<string, NotificationRoute> }} SlackSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, SlackSettings>} SlackContext
 * @typedef {import('plugboard/sdk').InboundRequest} InboundRequest
 * @typedef {import('plugboard/sdk').PlugboardEvent} PlugboardEvent
 *
 * A Web API answer: always HTTP 200 with `ok`, and `error` when it is false (429 for rate limits).
 * @typedef {{ ok?: boolean, error?: string, needed?: string, provided?: string, warning?: string, response_metadata?: { next_cursor?: string, messages?: string[], warnings?: string[] } }} SlackAnswer
 */

/**
 * Bot scopes: post (chat:write), post to public channels without joining them first
 * (chat:write.public), list public and private channels (channels:read, groups:read).
 */
const SCOPES = ['chat:write', 'chat:write.public', 'channels:read', 'groups:read'];
/** Slack truncates, then refuses (msg_too_long), text past 40,000 characters; a message has at most 50 blocks. */
const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;
/** Requests whose X-Slack-Request-Timestamp is more than five minutes away are refused (replays). */
const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
/** conversations.list: Slack recommends pages of at most 200; listing everything stops after this many pages. */
const PAGE_SIZE = 200;
const MAX_PAGES = 50;

/** A channel ID (C…, G…, D…) or a channel name written `#name`. */
const CHANNEL_PATTERN = '^(?:[CGD][A-Z0-9]{6,20}|#[a-z0-9][a-z0-9._-]{0,79})$';
const TEAM_ID_PATTERN = '^[TE][A-Z0-9]{2,20}$';
const USER_ID_PATTERN = '^[UW][A-Z0-9]{2,20}$';

// --- errors --------------------------------------------------------------------------------------

/** Errors that mean the installation is gone or its token no longer works: only a new OAuth install helps. */
const RECONNECT = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'no_permission', 'team_access_not_granted', 'org_login_required']);
const RATE_LIMITED = new Set(['ratelimited', 'rate_limited']);
const OUTAGE = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Slack's `error` codes as messages a person can act on.
 * @param {SlackAnswer | undefined} body
 */
function describeError(body) {
  const code = typeof body?.error === 'string' ? body.error : undefined;
  if (!code) return undefined;
  switch (code) {
    case 'token_revoked':
      return 'Slack revoked this connection’s token (token_revoked: the app was uninstalled or its access removed): connect Slack again.';
    case 'token_expired':
      return 'The Slack token expired and was not refreshed in time (token_expired): connect Slack again.';
    case 'account_inactive':
      return 'The Slack workspace or the app’s bot user was deactivated (account_inactive): connect Slack again with an active workspace.';
    case 'invalid_auth':
    case 'not_authed':
      return `Slack does not accept this connection’s token (${code}): connect Slack again.`;
    case 'missing_scope':
      return `The Slack app was not granted ${body.needed ? `the ${body.needed} scope` : 'a scope this needs'} (missing_scope${body.provided ? `; granted: ${body.provided}` : ''}): connect Slack again and approve it.`;
    case 'channel_not_found':
      return 'Slack cannot find that channel, or the app cannot see it (channel_not_found): use a channel ID from listChannels, and invite the app to private channels.';
    case 'not_in_channel':
      return 'The Slack app is not in that channel (not_in_channel): invite it with /invite, or reconnect granting chat:write.public to post in public channels without joining.';
    case 'is_archived':
      return 'That Slack channel is archived (is_archived): unarchive it or choose another channel.';
    case 'msg_too_long':
      return `The message is too long for Slack (msg_too_long): keep text under ${MAX_TEXT} characters.`;
    case 'no_text':
      return 'Slack needs message text or blocks (no_text).';
    case 'invalid_blocks':
    case 'invalid_blocks_format': {
      const messages = Array.isArray(body.response_metadata?.messages) ? body.response_metadata.messages.filter((line) => typeof line === 'string') : [];
      return `Slack refused the blocks (${code})${messages.length ? `: ${messages.join('; ')}` : ''}. Check them in Block Kit Builder.`;
    }
    case 'restricted_action':
    case 'restricted_action_read_only_channel':
    case 'restricted_action_thread_only_channel':
    case 'restricted_action_non_threadable_channel':
      return `The workspace does not let the app post there (${code}).`;
    case 'invalid_cursor':
      return 'Slack refused the paging cursor (invalid_cursor): start again without one.';
    case 'ratelimited':
    case 'rate_limited':
      return `Slack is rate limiting this app (${code}).`;
  }
  return `Slack refused the request (${code}).`;
}

/**
 * Slack answers HTTP 200 with `ok: false` for refusals: `ok` decides, not the status. Its rate limits
 * are HTTP 429 with Retry-After (body `error: ratelimited`).
 */
const errors = {
  message: describeError,
  /** @param {SlackAnswer | null} body */
  classify(body, status) {
    if (status === 429 || RATE_LIMITED.has(body?.error)) return 'rate_limited';
    if (body?.ok === true) return 'ok';
    if (body?.ok === false) return OUTAGE.has(body.error) ? 'outage' : 'rejected';
    return undefined;
  },
};

/**
 * Calls a Web API method under https://slack.com/api. The bot token goes as `Authorization: Bearer`
 * here: Slack's token response says `token_type: bot`, which is no HTTP scheme. Reads send a query
 * string (GET), writes JSON. Refusals carry `slackError`, Slack's error code.
 * @param {SlackContext} ctx
 * @param {string} method e.g. `chat.postMessage`
 * @param {{ query?: Record<string, string>, body?: Record<string, unknown> }} init
 * @returns {Promise<{ body: any, headers: Headers }>}
 */
async function slack(ctx, method, { query, body } = {}) {
  const token = ctx.credentials?.accessToken;
  if (typeof token !== 'string' || !token) throw new ProviderRejectedError('This Slack connection has no access token: connect Slack again.');
  const headers = { accept: 'application/json', authorization: `Bearer ${token}` };
  const path = `/${method}${query ? `?${new URLSearchParams(query)}` : ''}`;
  const response = await ctx.http(
    path,
    body ? { method: 'POST', headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) } : { method: 'GET', headers },
  );
  let code;
  try {
    const answer = await readJson(response, ctx, {
      ...errors,
      message: (answerBody) => {
        code = typeof answerBody?.error === 'string' ? answerBody.error : undefined;
        return describeError(answerBody);
      },
    });
    return { body: answer, headers: response.headers };
  } catch (error) {
    if (code && error && typeof error === 'object') Object.assign(error, { slackError: code, reconnect: RECONNECT.has(code) });
    throw error;
  }
}

// --- messages ------------------------------------------------------------------------------------

/** chat.postMessage. @param {SlackContext} ctx */
async function postMessage(ctx, message) {
  const { body } = await slack(ctx, 'chat.postMessage', { body: message });
  if (body?.warning) ctx.log.debug('Slack answered with a warning', { warning: body.warning });
  return { channel: body.channel, ts: body.ts, threadTs: body.message?.thread_ts ?? null };
}

function channelSummary(channel) {
  return {
    id: channel.id,
    name: channel.name ?? null,
    isPrivate: channel.is_private === true,
    isArchived: channel.is_archived === true,
    isMember: channel.is_member === true,
    numMembers: typeof channel.num_members === 'number' ? channel.num_members : null,
    topic: channel.topic?.value || null,
    purpose: channel.purpose?.value || null,
  };
}

/**
 * conversations.list, one page (`cursor` → `response_metadata.next_cursor`, empty at the end) or,
 * with `all`, page after page.
 * @param {SlackContext} ctx
 */
async function listChannels(ctx, input = {}) {
  const types = input.types?.length ? input.types : ['public_channel', 'private_channel'];
  const limit = input.limit ?? PAGE_SIZE;
  const channels = [];
  let cursor = input.cursor;
  for (let page = 0; page < (input.all ? MAX_PAGES : 1); page += 1) {
    const query = { types: types.join(','), exclude_archived: String(input.excludeArchived ?? true), limit: String(limit), ...(cursor ? { cursor } : {}) };
    const { body } = await slack(ctx, 'conversations.list', { query });
    channels.push(...(Array.isArray(body?.channels) ? body.channels : []));
    cursor = body?.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  return { channels: channels.map(channelSummary), nextCursor: cursor ?? null };
}

// --- notifications -------------------------------------------------------------------------------

/**
 * The Plugboard events that can be posted, each with the message used when its route gives none.
 * Placeholders: `{field}` (a field of the event's data, dotted paths allowed), `{event}`, `{eventId}`,
 * `{timestamp}`; filters `{start|date}` (Slack shows the time in each reader's own time zone),
 * `{amount|money}` (minor units in the event's currency), `{durationSeconds|duration}`.
 */
const DEFAULT_TEMPLATES = {
  'integration.expired': ':warning: *{provider}* needs reconnecting: its credentials expired and could not be refreshed (connection {integrationId}).',
  'integration.error': ':x: *{provider}* failed: {error.message}',
  'integration.attention_needed': ':bell: *{provider}* needs attention: {message}',
  'integration.sync.failed': ':x: A *{provider}* sync failed: {error.message}',
  'payment.completed': ':moneybag: Payment of *{amount|money}* received from {customerEmail} via {provider} ({paymentId}).',
  'registration.received': ':tada: *{name}* ({email}) registered for {sessionId}.',
  'session.scheduled': ':calendar: *{title}* is scheduled for {start|date}. {joinUrl}',
  'session.cancelled': ':no_entry_sign: *{title}* ({start|date}) was cancelled. {reason}',
  'session.started': ':red_circle: *{title}* has started.',
  'recording.completed': ':movie_camera: The recording of {sessionId} is ready ({durationSeconds|duration}): {url}',
  'webhook.endpoint.disabled': ':warning: The webhook endpoint {url} was disabled ({reason}).',
};
const NOTIFIED_EVENTS = Object.keys(DEFAULT_TEMPLATES);

/** Slack's control characters in text: `&`, `<` and `>` are escaped, so event data cannot mention or link. */
const escapeText = (value) => String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** ISO 4217 currencies whose minor unit is not the cent. */
const EXPONENTS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

function money(amount, currency) {
  const code = typeof currency === 'string' ? currency.toUpperCase() : '';
  if (!Number.isInteger(amount) || !/^[A-Z]{3}$/.test(code)) return amount === undefined ? '' : `${amount}${code ? ` ${code}` : ''}`;
  const exponent = EXPONENTS[code] ?? 2;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: code, minimumFractionDigits: exponent, maximumFractionDigits: exponent })
      .format(amount / 10 ** exponent)
      .replace(/[\u00a0\u202f]/g, ' ');
  } catch {
    return `${(amount / 10 ** exponent).toFixed(exponent)} ${code}`;
  }
}

function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '';
  const whole = Math.round(seconds);
  const parts = [Math.floor(whole / 3600) && `${Math.floor(whole / 3600)}h`, Math.floor((whole % 3600) / 60) && `${Math.floor((whole % 3600) / 60)}m`, `${whole % 60}s`];
  return parts.filter(Boolean).join(' ');
}

/** A date-time as Slack's date token: each reader sees it in their own time zone; the fallback is UTC. */
function slackDate(value) {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) return typeof value === 'string' ? escapeText(value) : '';
  const fallback = new Date(time).toISOString().replace(/:\d\d\.\d{3}Z$/, ' UTC').replace('T', ' ');
  return `<!date^${Math.floor(time / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

function lookup(data, path) {
  let current = data;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * A notification's text: the template (the operator's own mrkdwn) with each placeholder replaced by the
 * event's value, escaped, or written by its filter. Unknown placeholders become nothing.
 * @param {string} template
 * @param {PlugboardEvent} event
 */
function renderTemplate(template, event) {
  const data = event?.data && typeof event.data === 'object' ? event.data : {};
  const meta = { event: event?.event, eventId: event?.id, timestamp: event?.timestamp };
  const text = template.replace(/\{([A-Za-z_][\w.]{0,100})(?:\|(date|money|duration))?\}/g, (_match, path, filter) => {
    const value = lookup(data, path) ?? (Object.hasOwn(meta, path) ? meta[path] : undefined);
    if (filter === 'date') return slackDate(value);
    if (filter === 'money') return escapeText(money(value, data.currency));
    if (filter === 'duration') return duration(value);
    if (value === undefined || value === null || typeof value === 'object') return '';
    return escapeText(value);
  });
  return text.replace(/[ \t]+$/gm, '').trim().slice(0, MAX_TEXT);
}

/**
 * Posts an event to the channel its route names, when it has one; other events are left alone.
 * @param {string} type
 */
function notifier(type) {
  /** @param {SlackContext} ctx @param {PlugboardEvent} event */
  return async (ctx, event) => {
    const route = ctx.settings?.notifications?.[type];
    if (!route?.channel) return;
    const text = renderTemplate(route.template || DEFAULT_TEMPLATES[type], event) || `${type} (${event?.id ?? ''})`;
    const posted = await postMessage(ctx, { channel: route.channel, text, unfurl_links: false, unfurl_media: false });
    ctx.log.info('notification posted', { eventId: event?.id, type, channel: posted.channel, ts: posted.ts });
  };
}

// --- Events API ----------------------------------------------------------------------------------

/** A header of an inbound request, whatever its case. */
function header(req, name) {
  for (const [key, value] of Object.entries(req?.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

function sameText(a, b) {
  const left = Buffer.from(String(a), 'utf8');
  const right = Buffer.from(String(b), 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `v0=` and the hex HMAC-SHA256, keyed with the app's signing secret, of `v0:{timestamp}:{raw body}`. */
const signature = (secret, timestamp, rawBody) => `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;

function parsePayload(rawBody) {
  try {
    const payload = JSON.parse(rawBody);
    return payload && typeof payload === 'object' ? payload : undefined;
  } catch {
    return undefined;
  }
}

// --- schemas -------------------------------------------------------------------------------------

const channel = { type: 'string', pattern: CHANNEL_PATTERN, description: 'A channel ID (C…/G…, see listChannels) or a channel name written #name' };

const route = (type) => ({
  type: 'object',
  additionalProperties: false,
  required: ['channel'],
  title: type,
  properties: {
    channel: { ...channel, title: 'Channel' },
    template: {
      type: 'string',
      minLength: 1,
      maxLength: 3000,
      title: 'Message',
      description: `Slack mrkdwn with {placeholders} from the event (see the provider description). Default: "${DEFAULT_TEMPLATES[type]}"`,
    },
  },
});

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    notifications: {
      type: 'object',
      additionalProperties: false,
      title: 'Notifications',
      description: `Which Plugboard events are posted, and to which channel: e.g. integration.expired → #alerts, payment.completed and registration.received → #sales. Events without a route are not posted. Types: ${NOTIFIED_EVENTS.join(', ')}.`,
      properties: Object.fromEntries(NOTIFIED_EVENTS.map((type) => [type, route(type)])),
    },
  },
};

const channelOutput = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: ['string', 'null'] },
    isPrivate: { type: 'boolean' },
    isArchived: { type: 'boolean' },
    isMember: { type: 'boolean' },
    numMembers: { type: ['integer', 'null'] },
    topic: { type: ['string', 'null'] },
    purpose: { type: ['string', 'null'] },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'slack',
      name: 'Slack',
      category: 'communication',
      description:
        'Post to Slack channels as your app’s bot, route Plugboard events (expired connections, payments, registrations, sessions, recordings) to the channels you choose with your own message templates, list channels, and check the Events API requests Slack signs. Placeholders in templates: {field} of the event’s data (dotted paths), {event}, {eventId}, {timestamp}, and {start|date}, {amount|money}, {durationSeconds|duration}.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://slack.com/oauth/v2/authorize',
        tokenUrl: 'https://slack.com/api/oauth.v2.access',
        scopes: SCOPES,
        // Slack takes the scope parameter comma-separated.
        scopeSeparator: ',',
        // With token rotation on, access tokens last 12 hours (expires_in 43200) and each refresh answers
        // a new refresh token; without it, tokens never expire and no refresh token is issued.
        refresh: true,
        // The workspace and bot of this install, from the token response (refreshes answer them again).
        // The app's signing secret checks the Events API requests Slack sends (ctx.credentials.app).
        appSecrets: ['signingSecret'],
        tokenMetadata: {
          teamId: { pointer: '/team/id', pattern: TEAM_ID_PATTERN },
          teamName: '/team/name',
          botUserId: { pointer: '/bot_user_id', pattern: USER_ID_PATTERN },
        },
      },
      settingsSchema,
      baseUrl: 'https://slack.com/api',
      errors,
      // Slack limits each method per app per workspace. chat.postMessage: about one message a second per
      // channel (short bursts tolerated) — the host counts budgets per workspace, not per channel, so
      // one a second for the whole workspace is kept. conversations.list: Tier 2, 20+ a minute.
      rateLimits: [
        { requests: 1, windowMs: 1000, scope: 'account', accountKey: 'teamId', match: ['POST /chat.postMessage'] },
        { requests: 20, windowMs: 60_000, scope: 'account', accountKey: 'teamId', match: ['GET /conversations.list', 'POST /conversations.list'] },
      ],

      /**
       * auth.test names the workspace and the bot; the scopes granted come back in `x-oauth-scopes`.
       * Posting needs chat:write.
       * @param {SlackContext} ctx
       */
      async verify(ctx) {
        const { body, headers } = await slack(ctx, 'auth.test');
        const granted = (headers.get('x-oauth-scopes') ?? ctx.credentials?.scope ?? '')
          .split(/[\s,]+/)
          .map((scope) => scope.trim())
          .filter(Boolean);
        if (granted.length && !granted.includes('chat:write')) {
          throw new ProviderRejectedError(`This Slack installation was not granted chat:write (granted: ${granted.join(', ')}): connect Slack again and approve it.`);
        }
        const team = body.team || body.team_id;
        return {
          displayName: body.user ? `${team} (@${body.user})` : String(team),
          metadata: {
            teamId: body.team_id,
            teamName: body.team ?? null,
            teamUrl: body.url ?? null,
            botUserId: body.user_id ?? null,
            botId: body.bot_id ?? null,
            botName: body.user ?? null,
            enterpriseId: body.enterprise_id ?? null,
            scopes: granted,
            canPostToPublicChannels: granted.includes('chat:write.public'),
            canListPrivateChannels: granted.includes('groups:read'),
          },
        };
      },

      /** auth.test: the cheapest call that proves the token works. @param {SlackContext} ctx */
      async healthCheck(ctx) {
        await slack(ctx, 'auth.test');
      },

      actions: {
        postMessage: {
          description:
            'Posts a message to a channel as the app’s bot (chat.postMessage): text in Slack mrkdwn and/or Block Kit blocks (then the text is the notification fallback). Private channels need the app invited.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['channel'],
            anyOf: [{ required: ['text'] }, { required: ['blocks'] }],
            properties: {
              channel,
              text: { type: 'string', minLength: 1, maxLength: MAX_TEXT },
              blocks: {
                type: 'array',
                minItems: 1,
                maxItems: MAX_BLOCKS,
                description: 'Block Kit blocks (https://docs.slack.dev/reference/block-kit/blocks)',
                items: { type: 'object', required: ['type'], properties: { type: { type: 'string', pattern: '^[a-z_]{1,50}$' } } },
              },
              threadTs: { type: 'string', pattern: '^\\d{9,11}\\.\\d{6}$', description: 'Reply in the thread of this message (its ts)' },
              unfurlLinks: { type: 'boolean', description: 'Show previews of links (Slack’s default for bots: off for text-only links)' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['channel', 'ts'],
            properties: { channel: { type: 'string' }, ts: { type: 'string' }, threadTs: { type: ['string', 'null'] } },
          },
          /** @param {SlackContext} ctx */
          run: (ctx, input) =>
            postMessage(ctx, {
              channel: input.channel,
              ...(input.text ? { text: input.text } : {}),
              ...(input.blocks ? { blocks: input.blocks } : {}),
              ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
              ...(input.unfurlLinks !== undefined ? { unfurl_links: input.unfurlLinks } : {}),
            }),
        },
        listChannels: {
          description:
            'Lists the workspace’s channels (conversations.list): public ones, and the private ones the app is in. One page per call (pass nextCursor back as cursor), or every page with all.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              types: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['public_channel', 'private_channel'] } },
              excludeArchived: { type: 'boolean', default: true },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: PAGE_SIZE },
              cursor: { type: 'string', minLength: 1, maxLength: 500 },
              all: { type: 'boolean', default: false, description: `Follow the cursor to the end (at most ${MAX_PAGES} pages)` },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['channels', 'nextCursor'],
            properties: { channels: { type: 'array', items: channelOutput }, nextCursor: { type: ['string', 'null'] } },
          },
          /** @param {SlackContext} ctx */
          run: (ctx, input) => listChannels(ctx, input),
        },
      },

      onEvent: Object.fromEntries(NOTIFIED_EVENTS.map((type) => [type, notifier(type)])),

      sync: {
        defaultFrequency: '1d',
        /** `channels`: every non-archived public channel, and the private ones the app is in. @param {SlackContext} ctx */
        async run(ctx) {
          const { channels } = await listChannels(ctx, { all: true });
          return { records: { channels } };
        },
      },

      webhook: {
        /**
         * Slack signs every request it sends (Events API included, its url_verification handshake too):
         * `X-Slack-Signature` is checked against the app's signing secret, in constant time, and
         * `X-Slack-Request-Timestamp` must be within five minutes.
         * @param {SlackContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          // The Slack app's signing secret: an app secret (auth.appSecrets), never kept in settings.
          const secret = ctx.credentials?.app?.signingSecret;
          if (typeof secret !== 'string' || !secret) {
            ctx.log.warn('a Slack request arrived but the Slack app has no signing secret configured (PLUGBOARD_OAUTH_SLACK_APP_SIGNING_SECRET, or oauthApp.secrets.signingSecret): it cannot be verified');
            return false;
          }
          const timestamp = header(req, 'x-slack-request-timestamp');
          const given = header(req, 'x-slack-signature');
          if (!timestamp || !given || typeof req?.rawBody !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
          if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
          return sameText(given, signature(secret, timestamp, req.rawBody));
        },

        /**
         * Slack's events have no host event type: they are checked and logged, and none is published.
         * Events of another workspace (a Slack app has one Request URL for all its installs) are
         * dropped; app_uninstalled and tokens_revoked are logged as warnings (the connection then needs
         * a new install). The url_verification handshake needs its challenge echoed: see `reply`.
         * @param {SlackContext} ctx
         * @param {InboundRequest} req
         */
        toEvents(ctx, req) {
          const payload = parsePayload(req?.rawBody);
          if (!payload) {
            ctx.log.warn('a Slack request body is not JSON: ignored');
            return [];
          }
          if (payload.type === 'url_verification') {
            ctx.log.info('Slack is verifying the Events API Request URL');
            return [];
          }
          if (payload.type !== 'event_callback') {
            ctx.log.info('Slack request of another kind', { type: String(payload.type ?? '') });
            return [];
          }
          const teamId = ctx.integration?.metadata?.teamId;
          if (typeof teamId === 'string' && payload.team_id !== teamId) {
            ctx.log.warn('a Slack event for another workspace reached this connection: ignored', { teamId: String(payload.team_id ?? ''), eventId: payload.event_id ?? null });
            return [];
          }
          const type = String(payload.event?.type ?? '');
          if (type === 'app_uninstalled' || type === 'tokens_revoked') {
            ctx.log.warn(`Slack reports ${type}: this connection no longer works until Slack is connected again`, { eventId: payload.event_id ?? null });
          } else ctx.log.info('Slack event received', { type, eventId: payload.event_id ?? null });
          return [];
        },

        /**
         * What to answer Slack instead of the host's default: the url_verification challenge, echoed as
         * plain text. The host does not call this yet (its webhook route always answers
         * `{ received }`): it is here for the host change the Slack integration needs to pass Slack's
         * Request URL check.
         * @param {SlackContext} _ctx
         * @param {InboundRequest} req
         */
        reply(_ctx, req) {
          const payload = parsePayload(req?.rawBody);
          if (payload?.type !== 'url_verification' || typeof payload.challenge !== 'string') return undefined;
          return { status: 200, contentType: 'text/plain', body: payload.challenge };
        },
      },
    },
  ],
});
