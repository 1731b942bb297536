// Twilio provider for Plugboard, written against Twilio's REST API 2010-04-01 (Account and Message resources,
// https://www.twilio.com/docs/messaging/api/message-resource) and its webhook security guide
// (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ accountSid: string, authToken: string }} TwilioCredentials
 * @typedef {{
 *   from?: string,
 *   messagingServiceSid?: string,
 *   reminderTemplate?: string,
 *   updateTemplate?: string,
 *   locale?: string,
 *   statusCallbackUrl?: string,
 * }} TwilioSettings
 * @typedef {import('plugboard/sdk').PluginContext<TwilioCredentials, TwilioSettings>} TwilioContext
 *
 * An inbound webhook request as the host passes it to `webhook.verify` and `webhook.toEvents`:
 * @typedef {{ method: string, headers: Record<string, string>, query: Record<string, string>, rawBody: string }} InboundRequest
 *
 * Twilio's error body: `{ code, message, more_info, status }` (20003 also has `detail`).
 * @typedef {{ code?: number, message?: string, more_info?: string, status?: number, detail?: string }} TwilioError
 */

const API = '/2010-04-01';
const E164 = '^\\+[1-9]\\d{1,14}$';
const ACCOUNT_SID = '^AC[0-9a-f]{32}$';
const MESSAGING_SERVICE_SID = '^MG[0-9a-f]{32}$';
/** The longest Body the Message resource takes. */
const MAX_BODY = 1600;

/** The placeholders message templates may use; anything else in braces is refused by the settings schema. */
const PLACEHOLDERS = ['name', 'title', 'start', 'end', 'timeZone', 'joinUrl'];
const PLACEHOLDER = new RegExp(`\\{(${PLACEHOLDERS.join('|')})\\}`, 'g');
const DEFAULT_TEMPLATES = {
  reminder: { withLink: 'Reminder: {title} starts {start}. Join: {joinUrl}', withoutLink: 'Reminder: {title} starts {start}.' },
  update: { withLink: 'Update: {title} is scheduled for {start}. Join: {joinUrl}', withoutLink: 'Update: {title} is scheduled for {start}.' },
};

/**
 * Refusals that concern one recipient only (a bad or unreachable number, an opt-out, a region the
 * account may not text, an unverified number on a trial account): the other recipients still get theirs.
 */
const RECIPIENT_ERRORS = new Set([21211, 21408, 21608, 21610, 21612, 21614, 21635]);

/**
 * Twilio answers 429 (error 20429) when the account has too many REST requests in flight; such a request
 * "is never processed and is always safe to retry", so it is retried here after these pauses.
 */
const RATE_LIMIT_PAUSES_MS = [250, 750, 1500];
/** Messages of one reminder sent at a time: few, to stay well inside the account's REST concurrency. */
const FAN_OUT_CONCURRENCY = 4;

/** Message sync: the documented maximum page size, a bound on pages per run, how far back a first sync reaches. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 25;
const FIRST_SYNC_DAYS = 30;

/** @param {TwilioContext} ctx */
const accountPath = (ctx) => `${API}/Accounts/${encodeURIComponent(ctx.credentials.accountSid)}`;

/**
 * Twilio's error body as a message a person can act on; the numbers involved come from the request
 * (`hints`), since some of Twilio's own messages do not name them.
 * @param {TwilioError | undefined} body
 * @param {{ to?: string, from?: string }} hints
 */
function describeError(body, hints = {}) {
  if (!body || typeof body !== 'object') return undefined;
  const code = Number(body.code);
  const original = typeof body.message === 'string' ? body.message.trim() : '';
  const to = hints.to ?? 'the recipient';
  const from = hints.from ? `'From' number ${hints.from}` : "'From' number";
  switch (code) {
    case 20003:
      return 'Twilio refused the Account SID and Auth Token (error 20003, Authenticate): check both in the Twilio Console, and enter the new Auth Token if it was rotated.';
    case 20005:
    case 10001:
      return `Twilio: the account is not active (error ${code}), so it cannot send messages. Settle its balance or contact Twilio Support, then check the connection again.`;
    case 20404:
      return `Twilio: ${original || 'the requested resource was not found'} (error 20404).`;
    case 20429:
      return 'Twilio: the account has too many requests in progress (error 20429). Try again in a moment.';
    case 21211:
      return `Twilio: the 'To' number ${to} is not a valid phone number (error 21211).`;
    case 21408:
      return `Twilio: this account may not send SMS to the region of ${to} (error 21408). Allow that country in the Twilio Console's Messaging geographic permissions.`;
    case 21602:
      return 'Twilio: the message has no body (error 21602).';
    case 21606:
      return `Twilio: the ${from} is not a Twilio number of this account that can send SMS to this destination (error 21606). Use an SMS-capable number of the account, or a Messaging Service.`;
    case 21608:
      return `Twilio: ${to} is not a verified number, and trial accounts can only text verified numbers (error 21608). Verify it in the Twilio Console or upgrade the account.`;
    case 21610:
      return `Twilio: ${to} has unsubscribed from this sender (replied STOP) and gets no messages until they text START (error 21610).`;
    case 21612:
      return `Twilio: messages from this sender cannot reach ${to} (error 21612).`;
    case 21614:
      return `Twilio: ${to} is not a mobile number that can receive SMS (error 21614).`;
    case 21617:
      return `Twilio: the message is longer than ${MAX_BODY} characters (error 21617).`;
  }
  if (!original) return undefined;
  const more = typeof body.more_info === 'string' && /^https:\/\/www\.twilio\.com\//.test(body.more_info) ? ` (${body.more_info})` : '';
  return Number.isFinite(code) && code > 0 ? `Twilio error ${code}: ${original}${more}` : `Twilio: ${original}`;
}

/** How the provider's errors read, for the host (`readJson`, declared requests). */
const errors = { message: (body) => describeError(body) };

/**
 * Calls the REST API with the account's Basic credentials. A refusal becomes `provider_rejected` with a
 * readable message (and `twilioCode`, Twilio's error code); a 429 is retried a few times, then becomes
 * `provider_rate_limited`; an outage stays a plain error.
 * @param {TwilioContext} ctx
 * @param {string} path relative to https://api.twilio.com
 * @param {{ method?: string, form?: URLSearchParams }} init
 * @param {{ to?: string, from?: string }} hints
 */
async function twilio(ctx, path, init = {}, hints = {}) {
  const headers = { accept: 'application/json' };
  if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  for (let attempt = 0; ; attempt += 1) {
    const response = await ctx.http(path, { method: init.method ?? 'GET', headers, ...(init.form ? { body: init.form.toString() } : {}) });
    if (response.status === 429 && attempt < RATE_LIMIT_PAUSES_MS.length && !ctx.signal.aborted) {
      await response.body?.cancel();
      await delay(RATE_LIMIT_PAUSES_MS[attempt], undefined, { signal: ctx.signal });
      continue;
    }
    let code;
    try {
      return await readJson(response, ctx, {
        message: (body) => {
          code = Number(body?.code) || undefined;
          return describeError(body, hints);
        },
      });
    } catch (error) {
      if (code !== undefined && error && typeof error === 'object') Object.assign(error, { twilioCode: code });
      throw error;
    }
  }
}

/**
 * The account behind the credentials; a suspended or closed account is refused, since it cannot send.
 * @param {TwilioContext} ctx
 */
async function activeAccount(ctx) {
  const account = await twilio(ctx, `${accountPath(ctx)}.json`);
  const name = account?.friendly_name ? `"${account.friendly_name}" (${account.sid})` : String(account?.sid ?? ctx.credentials.accountSid);
  if (account?.status === 'suspended') {
    throw new ProviderRejectedError(
      `Twilio: the account ${name} is suspended and cannot send messages. Settle its balance or contact Twilio Support, then check the connection again.`,
    );
  }
  if (account?.status === 'closed') throw new ProviderRejectedError(`Twilio: the account ${name} is closed. Connect an active Twilio account instead.`);
  return account;
}

/** RFC 2822 dates (Twilio's) as ISO 8601; null when absent or unreadable. */
function isoDate(value) {
  if (typeof value !== 'string' || !value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function messageSummary(message) {
  return {
    sid: message.sid,
    status: message.status,
    to: message.to,
    from: message.from ?? null,
    messagingServiceSid: message.messaging_service_sid ?? null,
    numSegments: Number(message.num_segments ?? 0),
    dateCreated: isoDate(message.date_created),
  };
}

/** The last four digits only: logs never carry whole phone numbers. */
const masked = (phone) => (typeof phone === 'string' && phone.length > 4 ? `…${phone.slice(-4)}` : '…');

/**
 * Creates a Message: To, Body, and the sender (From, a Messaging Service, or both: Twilio then sends
 * from that number of the service's pool); StatusCallback when a callback URL is configured.
 * @param {TwilioContext} ctx
 * @param {{ to: string, body: string, from?: string }} input
 */
async function createMessage(ctx, { to, body, from }) {
  const settings = ctx.settings ?? {};
  const sender = from ?? settings.from;
  const service = settings.messagingServiceSid;
  if (!sender && !service) {
    throw new ProviderRejectedError('No sender: set a sending number (E.164) or a Messaging Service SID in the Twilio settings, or give "from".');
  }
  const form = new URLSearchParams({ To: to });
  if (service) form.set('MessagingServiceSid', service);
  if (sender) form.set('From', sender);
  form.set('Body', body);
  if (settings.statusCallbackUrl) form.set('StatusCallback', settings.statusCallbackUrl);
  const message = await twilio(ctx, `${accountPath(ctx)}/Messages.json`, { method: 'POST', form }, { to, from: sender });
  return messageSummary(message);
}

/** A session time for a text message, in the session's time zone: "Mon, Mar 2, 5:00 PM GMT+1". */
function formatTime(value, timeZone, locale) {
  if (typeof value !== 'string' || !value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const options = { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
  let format;
  for (const [tag, zone] of [
    [locale, timeZone],
    ['en-US', timeZone],
    ['en-US', 'UTC'],
  ]) {
    try {
      format = new Intl.DateTimeFormat(tag || 'en-US', { ...options, timeZone: zone || 'UTC' });
      break;
    } catch {
      // An unknown locale or time zone: try the next, plainer choice.
    }
  }
  // ICU puts narrow/no-break spaces in times; they are not GSM-7 and would make the SMS cost more segments.
  return format.format(date).replace(/[\u00a0\u202f\u2009]/g, ' ');
}

/** The text of a reminder or update for one recipient, from the configured template or the default. */
function renderMessage(kind, settings, data, recipient) {
  const custom = kind === 'reminder' ? settings.reminderTemplate : settings.updateTemplate;
  const defaults = DEFAULT_TEMPLATES[kind];
  const template = custom || (data.joinUrl ? defaults.withLink : defaults.withoutLink);
  const values = {
    name: typeof recipient.name === 'string' ? recipient.name : '',
    title: typeof data.title === 'string' ? data.title : '',
    start: formatTime(data.start, data.timeZone, settings.locale),
    end: formatTime(data.end, data.timeZone, settings.locale),
    timeZone: typeof data.timeZone === 'string' ? data.timeZone : '',
    joinUrl: typeof data.joinUrl === 'string' ? data.joinUrl : '',
  };
  const text = template.replace(PLACEHOLDER, (_match, key) => values[key]).trim();
  return text.length > MAX_BODY ? `${text.slice(0, MAX_BODY - 3)}...` : text;
}

/** Runs `task` over `items`, `limit` at a time. */
async function eachLimited(items, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Texts every recipient that has a phone number (once per number). A refusal about one recipient is
 * logged and the others still get theirs. Twilio has no idempotency key for messages, so the handler only
 * fails — and the host only runs the event again — when no message at all was accepted: a retry then
 * cannot text anyone twice. When some were accepted and others failed, the failure is logged instead.
 * @param {TwilioContext} ctx
 * @param {'reminder' | 'update'} kind
 */
async function notifyRecipients(ctx, event, kind) {
  const data = event?.data ?? {};
  const settings = ctx.settings ?? {};
  const phone = new RegExp(E164);
  const seen = new Set();
  const recipients = (Array.isArray(data.recipients) ? data.recipients : []).filter((recipient) => {
    if (typeof recipient?.phone !== 'string' || !phone.test(recipient.phone) || seen.has(recipient.phone)) return false;
    seen.add(recipient.phone);
    return true;
  });
  if (recipients.length === 0) {
    ctx.log.info(`no recipient with a phone number: no ${kind} SMS sent`, { eventId: event?.id });
    return;
  }
  if (!settings.from && !settings.messagingServiceSid) {
    throw new ProviderRejectedError('No sender: set a sending number (E.164) or a Messaging Service SID in the Twilio settings.');
  }
  const sent = [];
  const skipped = [];
  let failure;
  await eachLimited(recipients, FAN_OUT_CONCURRENCY, async (recipient) => {
    if (failure) return;
    try {
      const message = await createMessage(ctx, { to: recipient.phone, body: renderMessage(kind, settings, data, recipient) });
      sent.push(message.sid);
    } catch (error) {
      if (RECIPIENT_ERRORS.has(error?.twilioCode)) {
        skipped.push(recipient.phone);
        ctx.log.warn(`Twilio refused one ${kind} SMS`, { eventId: event?.id, to: masked(recipient.phone), twilioCode: error.twilioCode, reason: error.message });
      } else failure ??= error;
    }
  });
  if (failure && sent.length === 0) throw failure;
  if (failure) {
    ctx.log.error(`some ${kind} SMS were not sent; the event is not failed so that a retry texts no one twice`, {
      eventId: event?.id,
      sent: sent.length,
      notSent: recipients.length - sent.length - skipped.length,
      reason: failure instanceof Error ? failure.message : String(failure),
    });
  }
  ctx.log.info(`${kind} SMS sent`, { eventId: event?.id, sent: sent.length, skipped: skipped.length, messageSids: sent });
}

/** A header of an inbound request, whatever its case. */
function header(req, name) {
  for (const [key, value] of Object.entries(req?.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Constant-time equality of two strings (false when their lengths differ). */
function sameText(a, b) {
  const left = Buffer.from(String(a), 'utf8');
  const right = Buffer.from(String(b), 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The POST parameters of a form body, by name (a repeated name keeps all its values). */
function formParameters(rawBody) {
  const params = new Map();
  for (const [name, value] of new URLSearchParams(rawBody ?? '')) params.set(name, [...(params.get(name) ?? []), value]);
  return params;
}

/**
 * Twilio's signature: HMAC-SHA1, keyed with the Auth Token, of the full URL followed by every POST
 * parameter name and value, sorted by name (a repeated name: its values sorted); base64.
 */
function twilioSignature(authToken, url, params) {
  let data = url;
  for (const name of [...params.keys()].sort()) for (const value of [...new Set(params.get(name))].sort()) data += `${name}${value}`;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * The URL as Twilio may have written it when signing: as given, without its port, and with the scheme's
 * default port (Twilio's own libraries check all three, as signing has not always treated ports alike).
 */
function urlVariants(url) {
  const variants = new Set([url]);
  try {
    const parsed = new URL(url);
    const withoutPort = new URL(url);
    withoutPort.port = '';
    variants.add(withoutPort.href);
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    variants.add(`${parsed.protocol}//${parsed.username}${parsed.password ? `:${parsed.password}` : ''}${parsed.username || parsed.password ? '@' : ''}${parsed.hostname}:${port}${parsed.pathname}${parsed.search}`);
  } catch {
    // Not a URL: only the text as given.
  }
  return [...variants];
}

/**
 * Where Twilio may have sent the callback: the configured status callback URL, and the URL the host
 * received it at.
 * @param {TwilioContext} ctx
 * @param {InboundRequest} req
 */
function callbackUrls(ctx, req) {
  const urls = [];
  const configured = ctx.settings?.statusCallbackUrl;
  if (typeof configured === 'string' && configured) {
    urls.push(configured);
    // JSON callbacks: Twilio adds the body's hash to the URL it was given.
    const bodyHash = req.query?.bodySHA256;
    if (typeof bodyHash === 'string' && !configured.includes('bodySHA256=')) {
      urls.push(`${configured}${configured.includes('?') ? '&' : '?'}bodySHA256=${encodeURIComponent(bodyHash)}`);
    }
  }
  // The URL the host received the callback at.
  if (typeof req.url === 'string' && req.url) urls.push(req.url);
  return urls;
}

/** Twilio's message statuses that end a message's delivery. */
const FINAL_STATUSES = new Set(['delivered', 'undelivered', 'failed', 'read', 'canceled']);

/** Message records for the sync (no bodies: they are personal data Twilio itself keeps only for a while). */
function messageRecord(message) {
  return {
    id: message.sid,
    direction: message.direction ?? null,
    status: message.status ?? null,
    to: message.to ?? null,
    from: message.from ?? null,
    messagingServiceSid: message.messaging_service_sid ?? null,
    numSegments: Number(message.num_segments ?? 0),
    errorCode: message.error_code ?? null,
    errorMessage: message.error_message ?? null,
    price: message.price ?? null,
    priceUnit: message.price_unit ?? null,
    dateCreated: isoDate(message.date_created),
    dateSent: isoDate(message.date_sent),
    dateUpdated: isoDate(message.date_updated),
  };
}

const template = (title, description) => ({
  type: 'string',
  minLength: 1,
  maxLength: MAX_BODY,
  // Only the documented placeholders: a misspelt one is refused when the settings are saved.
  pattern: `^(?:[^{}]|\\{(?:${PLACEHOLDERS.join('|')})\\})*$`,
  title,
  description,
});

const PLACEHOLDER_HELP = 'Placeholders: {name} (the recipient), {title}, {start}, {end} (in the session’s time zone), {timeZone}, {joinUrl}.';

export default definePlugin({
  providers: [
    {
      id: 'twilio',
      name: 'Twilio',
      category: 'sms',
      description: 'Text session reminders and schedule changes to participants through your Twilio account, and send SMS.',
      auth: {
        type: 'basic',
        credentialsSchema: {
          type: 'object',
          required: ['accountSid', 'authToken'],
          additionalProperties: false,
          properties: {
            accountSid: {
              type: 'string',
              title: 'Account SID',
              description: 'AC… from the Twilio Console (Account Info)',
              pattern: ACCOUNT_SID,
            },
            authToken: {
              type: 'string',
              title: 'Auth Token',
              description: 'The account’s primary Auth Token: it authenticates requests and signs Twilio’s status callbacks',
              minLength: 32,
              maxLength: 64,
              secret: true,
            },
          },
        },
        apply: { basic: { username: '{accountSid}', password: '{authToken}' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          from: {
            type: 'string',
            pattern: E164,
            title: 'Sending number',
            description: 'An SMS-capable Twilio number of this account, in E.164 (+14155550123)',
          },
          messagingServiceSid: {
            type: 'string',
            pattern: MESSAGING_SERVICE_SID,
            title: 'Messaging Service SID',
            description: 'MG…: Twilio picks the sender from the service’s pool (with a sending number too, that number of the pool is used)',
          },
          reminderTemplate: template(
            'Reminder text',
            `Text of session reminders. Default: "${DEFAULT_TEMPLATES.reminder.withLink}". ${PLACEHOLDER_HELP}`,
          ),
          updateTemplate: template('Update text', `Text sent when a session changes. Default: "${DEFAULT_TEMPLATES.update.withLink}". ${PLACEHOLDER_HELP}`),
          locale: {
            type: 'string',
            pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$',
            default: 'en-US',
            title: 'Date language',
            description: 'BCP 47 language tag used to write {start} and {end}, e.g. en-GB, fr-FR',
          },
          statusCallbackUrl: {
            type: 'string',
            format: 'uri',
            maxLength: 2048,
            // Plugboard's hook route for this connection; Twilio refuses host names with underscores.
            pattern: '^https?://[^\\s/?#_@]+(/[^\\s?#]*)?/v1/hooks/[0-9a-fA-F-]{36}$',
            title: 'Status callback URL',
            description:
              'This connection’s webhook URL (https://<your Plugboard>/v1/hooks/<connection id>): sent as StatusCallback with every message, and the URL Twilio’s signatures are checked against',
          },
        },
      },
      baseUrl: 'https://api.twilio.com',
      errors,
      // Twilio documents two kinds of limit, neither of which is a request budget:
      // - a per-account REST API concurrency limit (no published figure): past it Twilio answers 429 with
      //   error 20429, which is never processed and safe to retry — `twilio()` retries it, and reminders
      //   are sent FAN_OUT_CONCURRENCY at a time;
      // - per-sender throughput (1 message segment per second for a US/Canada long code, 3 for toll-free,
      //   10 for international senders, 100 for a short code): Twilio queues what exceeds it (up to
      //   10 hours' worth per sender) instead of refusing it. Declaring it as a request budget would hold
      //   a reminder to many people past the call's deadline, and a retry would then text some twice.
      rateLimits: [],

      /** @param {TwilioContext} ctx */
      async verify(ctx) {
        const account = await activeAccount(ctx);
        const name = account.friendly_name || account.sid;
        // The Account resource also carries the auth token: only these fields are kept.
        return {
          displayName: account.type === 'Trial' ? `${name} (trial)` : name,
          metadata: {
            accountSid: account.sid,
            friendlyName: account.friendly_name ?? null,
            accountType: account.type ?? null,
            status: account.status ?? null,
            ownerAccountSid: account.owner_account_sid ?? null,
          },
        };
      },

      /** The same cheap call: the account resource. @param {TwilioContext} ctx */
      async healthCheck(ctx) {
        await activeAccount(ctx);
      },

      actions: {
        sendSms: {
          description:
            'Sends an SMS from the configured sender (or "from"). Answers with the Message SID and its status (queued or accepted: delivery is reported later).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['to', 'body'],
            properties: {
              to: { type: 'string', pattern: E164, description: 'The recipient, in E.164 (+14155550123)' },
              body: { type: 'string', minLength: 1, maxLength: MAX_BODY, description: `The text, up to ${MAX_BODY} characters` },
              from: { type: 'string', pattern: E164, description: 'A Twilio number of the account; defaults to the configured sending number' },
            },
          },
          /** @param {TwilioContext} ctx */
          run: (ctx, input) => createMessage(ctx, input),
        },
      },

      onEvent: {
        /** Texts the reminder to every recipient with a phone number. @param {TwilioContext} ctx */
        'session.reminder': (ctx, event) => notifyRecipients(ctx, event, 'reminder'),
        /** Texts the new time and link to the session's recipients, when the event lists any. @param {TwilioContext} ctx */
        'session.updated': (ctx, event) => notifyRecipients(ctx, event, 'update'),
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * The account's messages (newest first), page by page through `next_page_uri`. Twilio filters
         * by the day a message was sent (`DateSent>=YYYY-MM-DD`), so each run re-reads the day of the
         * last sync's newest message, which also picks up later status changes of that day.
         * @param {TwilioContext} ctx
         */
        async run(ctx, input = {}) {
          const previous = input?.highWaterMarks?.messages;
          const since = previous && !Number.isNaN(Date.parse(previous)) ? new Date(previous) : new Date(Date.now() - FIRST_SYNC_DAYS * 86_400_000);
          const list = `${accountPath(ctx)}/Messages.json`;
          let next = `${list}?${new URLSearchParams({ 'DateSent>': since.toISOString().slice(0, 10), PageSize: String(PAGE_SIZE) })}`;
          const messages = [];
          let newest = previous;
          for (let page = 0; next; page += 1) {
            if (page === MAX_PAGES) {
              ctx.log.warn('message sync stopped after the page limit; older messages of the window were not read', { pages: MAX_PAGES });
              break;
            }
            const body = await twilio(ctx, next);
            for (const message of Array.isArray(body?.messages) ? body.messages : []) {
              const record = messageRecord(message);
              messages.push(record);
              if (record.dateSent && (!newest || record.dateSent > newest)) newest = record.dateSent;
            }
            const uri = body?.next_page_uri;
            // Only this account's message list: credentials never follow a link elsewhere.
            next = typeof uri === 'string' && uri.startsWith(`${list}?`) ? uri : undefined;
          }
          return newest ? { records: { messages }, highWaterMarks: { messages: newest } } : { records: { messages } };
        },
      },

      webhook: {
        /**
         * X-Twilio-Signature: base64 HMAC-SHA1, keyed with the Auth Token, of the full URL Twilio called
         * followed by the sorted POST parameters, compared in constant time. JSON bodies are signed
         * through the URL's `bodySHA256` parameter (the body's SHA-256, hex), checked against the body.
         * @param {TwilioContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const signature = header(req, 'x-twilio-signature');
          const authToken = ctx.credentials?.authToken;
          if (!signature || typeof authToken !== 'string' || !authToken || typeof req?.rawBody !== 'string') return false;
          let params = new Map();
          const bodyHash = req.query?.bodySHA256;
          if (bodyHash !== undefined) {
            if (!sameText(createHash('sha256').update(req.rawBody, 'utf8').digest('hex'), bodyHash)) return false;
          } else if ((req.method ?? 'POST').toUpperCase() === 'POST') params = formParameters(req.rawBody);
          return callbackUrls(ctx, req)
            .flatMap(urlVariants)
            .some((url) => sameText(twilioSignature(authToken, url, params), signature));
        },

        /**
         * Message status callbacks (queued, sent, delivered, undelivered, failed, …) have no host event
         * type to become: the host's types describe sessions, recordings and payments. They are verified,
         * final statuses are logged (failures with Twilio's error code), and no event is published.
         * @param {TwilioContext} ctx
         * @param {InboundRequest} req
         */
        toEvents(ctx, req) {
          const params = formParameters(req?.rawBody);
          const first = (name) => params.get(name)?.[0];
          const status = first('MessageStatus') ?? first('SmsStatus');
          if (status && FINAL_STATUSES.has(status)) {
            const fields = { messageSid: first('MessageSid') ?? first('SmsSid') ?? null, status, to: masked(first('To')) };
            const errorCode = Number(first('ErrorCode'));
            if (status === 'failed' || status === 'undelivered') ctx.log.warn('Twilio could not deliver a message', { ...fields, errorCode: errorCode || null });
            else ctx.log.info('Twilio delivered a message', fields);
          }
          return [];
        },
      },
    },
  ],
});
