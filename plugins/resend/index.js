// Resend provider for Plugboard, written against the Resend API reference (https://resend.com/docs/api-reference; OpenAPI at https://github.com/resend/resend-openapi) and Svix's webhook signatures, which Resend's webhooks use (https://docs.svix.com/receiving/verifying-payloads/how-manual).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string, webhookSigningSecret?: string }} ResendCredentials
 * @typedef {{
 *   from?: string,
 *   replyTo?: string,
 *   locale?: string,
 *   registrationTemplateId?: string,
 *   reminderTemplateId?: string,
 * }} ResendSettings
 * @typedef {import('plugboard/sdk').PluginContext<ResendCredentials, ResendSettings>} ResendContext
 * @typedef {import('plugboard/sdk').InboundRequest} InboundRequest
 *
 * Resend's error body.
 * @typedef {{ statusCode?: number, name?: string, message?: string }} ResendError
 *
 * A date template variable: formatted by the plugin (Resend's variables are strings and numbers only).
 * @typedef {{ value: string, timeZone?: string, locale?: string, dateStyle?: string, timeStyle?: string }} DateVariable
 */

/** POST /emails/batch takes at most 100 emails. */
const BATCH_SIZE = 100;
/** `to` takes at most 50 addresses. */
const MAX_RECIPIENTS = 50;
/** Emails can be scheduled up to 30 days ahead. */
const MAX_SCHEDULE_DAYS = 30;
/** Svix signatures: a timestamp further than five minutes from now is refused (replays). */
const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
/** List endpoints take `limit` 1–100 and page with `after` (the last item's id) while `has_more`. */
const PAGE_SIZE = 100;
const MAX_DOMAIN_PAGES = 20;
/** How far back the first metrics sync reaches (Resend's own default range is the last 7 days). */
const FIRST_METRICS_DAYS = 7;
/** Template variable names Resend reserves for contact data. */
const RESERVED_VARIABLES = ['FIRST_NAME', 'LAST_NAME', 'EMAIL', 'UNSUBSCRIBE_URL', 'contact', 'this'];

/** An address, then a sender: `events@acme.com` or `Acme Events <events@acme.com>`. */
const ADDRESS = '[^\\s@<>",;]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+';
const SENDER_PATTERN = `^(?:${ADDRESS}|[^<>\\r\\n]{1,256} <${ADDRESS}>)$`;
/** Tag names and values: ASCII letters, digits, underscores and dashes, up to 256 characters. */
const TAG_PATTERN = '^[A-Za-z0-9_-]{1,256}$';
/** A template's id (a UUID) or the alias given to it. */
const TEMPLATE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$';
const VARIABLE_NAME = { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,99}$', not: { enum: RESERVED_VARIABLES } };
const LOCALE_PATTERN = '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// --- errors --------------------------------------------------------------------------------------

/**
 * Resend's error body `{ statusCode, name, message }` as a message a person can act on (Resend's own
 * message where it says what is wrong, the error name for support).
 * @param {ResendError | undefined} body
 */
function describeError(body) {
  if (!body || typeof body !== 'object') return undefined;
  const name = typeof body.name === 'string' ? body.name : '';
  const said = typeof body.message === 'string' ? body.message.trim() : '';
  const detail = said ? `: ${said}` : '';
  switch (name) {
    case 'missing_api_key':
      return 'Resend received no API key: enter one in the connection.';
    case 'invalid_api_key':
      return 'Resend does not accept this API key (invalid_api_key): create one at https://resend.com/api-keys and update the connection.';
    case 'restricted_api_key':
      return 'This Resend API key can only send emails (restricted_api_key): this needs a key with Full access.';
    case 'invalid_from_address':
      return `Resend refused the sender (invalid_from_address)${detail}. Send from an address on a domain verified at https://resend.com/domains.`;
    case 'missing_required_field':
      return `Resend: a required field is missing (missing_required_field)${detail}`;
    case 'daily_quota_exceeded':
      return 'Resend: the daily sending quota is used up (daily_quota_exceeded). Sending resumes once the 24 hours have passed, or with a plan that has no daily quota.';
    case 'monthly_quota_exceeded':
      return 'Resend: the monthly sending quota is used up (monthly_quota_exceeded). Upgrade the plan to send more this month.';
    case 'rate_limit_exceeded':
      return `Resend: too many requests (rate_limit_exceeded)${detail}`;
    case 'invalid_idempotency_key':
      return `Resend refused the idempotency key (invalid_idempotency_key)${detail}`;
    case 'invalid_idempotent_request':
      return 'Resend: this idempotency key was already used for a different email in the last 24 hours (invalid_idempotent_request). Use a new key for a different email.';
    case 'concurrent_idempotent_requests':
      return 'Resend is still processing a request with this idempotency key (concurrent_idempotent_requests). Try again in a moment.';
  }
  if (name === 'validation_error' && /api key is invalid/i.test(said)) {
    return 'Resend does not accept this API key (it does not exist or was deleted): create one at https://resend.com/api-keys and update the connection.';
  }
  if (!said) return name ? `Resend refused the request (${name}).` : undefined;
  return name ? `Resend (${name}): ${said}` : `Resend: ${said}`;
}

/**
 * How Resend's answers read: its 429s are either the per-second rate limit (`rate_limit_exceeded`:
 * wait and retry) or a spent daily/monthly quota (a refusal: retrying soon cannot help).
 */
const errors = {
  message: describeError,
  /** @param {ResendError} body */
  classify(body, status) {
    if (status < 400) return undefined;
    const name = body?.name;
    if (name === 'rate_limit_exceeded' || name === 'concurrent_idempotent_requests') return 'rate_limited';
    if (name === 'daily_quota_exceeded' || name === 'monthly_quota_exceeded') return 'rejected';
    return status >= 500 ? 'outage' : undefined;
  },
};

/**
 * Calls the Resend API (the host adds `Authorization: Bearer <apiKey>` and waits for the declared rate
 * budget). Refusals carry `resendError`, Resend's error name.
 * @param {ResendContext} ctx
 * @param {string} path relative to https://api.resend.com
 * @param {{ method?: string, body?: unknown, headers?: Record<string, string> }} init
 */
async function resend(ctx, path, init = {}) {
  const headers = { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const response = await ctx.http(path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  let name;
  try {
    return await readJson(response, ctx, {
      ...errors,
      message: (body) => {
        name = typeof body?.name === 'string' ? body.name : undefined;
        return describeError(body);
      },
    });
  } catch (error) {
    if (name && error && typeof error === 'object') Object.assign(error, { resendError: name });
    throw error;
  }
}

/** Sending-only keys are refused every endpoint but sending with 401 `restricted_api_key`. */
const isRestricted = (error) => error?.resendError === 'restricted_api_key';

// --- domains -------------------------------------------------------------------------------------

/** Every domain of the account (`GET /domains`, 100 a page). @param {ResendContext} ctx */
async function listDomains(ctx) {
  const domains = [];
  let after;
  for (let page = 0; page < MAX_DOMAIN_PAGES; page += 1) {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(after ? { after } : {}) });
    const body = await resend(ctx, `/domains?${query}`);
    const data = Array.isArray(body?.data) ? body.data : [];
    domains.push(...data);
    if (body?.has_more !== true || data.length === 0) break;
    after = data.at(-1).id;
  }
  return domains;
}

/**
 * The domains mail can be sent from: `verified` ones with sending enabled, and `partially_verified`
 * ones (one capability's records verified) whose sending records, SPF and DKIM, are all verified.
 * @param {ResendContext} ctx
 */
async function sendingDomains(ctx) {
  const domains = await listDomains(ctx);
  const verified = [];
  for (const domain of domains) {
    if (typeof domain?.name !== 'string' || domain.capabilities?.sending === 'disabled') continue;
    if (domain.status === 'verified') verified.push(domain.name.toLowerCase());
    else if (domain.status === 'partially_verified' && typeof domain.id === 'string') {
      const detail = await resend(ctx, `/domains/${encodeURIComponent(domain.id)}`);
      const records = (Array.isArray(detail?.records) ? detail.records : []).filter((record) => record?.record === 'SPF' || record?.record === 'DKIM');
      if (records.length > 0 && records.every((record) => record.status === 'verified')) verified.push(domain.name.toLowerCase());
    }
  }
  return { domains, verified };
}

/** The address of a sender (`Name <address>` or an address). */
function senderAddress(from) {
  const match = /<([^<>]+)>\s*$/.exec(from);
  return (match ? match[1] : from).trim();
}

const senderDomain = (from) => senderAddress(from).split('@').pop().toLowerCase();

/**
 * Refuses senders outside the account's verified domains before anything is sent. The domains `verify`
 * stored are trusted when they cover every sender; otherwise Resend is asked again (a domain may have
 * been verified since). A sending-only key cannot list domains: Resend itself then checks the sender.
 * @param {ResendContext} ctx
 * @param {string[]} senders
 */
async function checkSenders(ctx, senders) {
  const wanted = [...new Set(senders.map(senderDomain))];
  const metadata = ctx.integration?.metadata ?? {};
  if (metadata.keyAccess === 'sending_access') return;
  const known = Array.isArray(metadata.verifiedDomains) ? metadata.verifiedDomains : undefined;
  if (known && wanted.every((domain) => known.includes(domain))) return;
  let verified;
  try {
    verified = (await sendingDomains(ctx)).verified;
  } catch (error) {
    if (isRestricted(error)) return;
    throw error;
  }
  const outside = wanted.filter((domain) => !verified.includes(domain));
  if (outside.length === 0) return;
  const list = outside.map((domain) => `"${domain}"`).join(', ');
  throw new ProviderRejectedError(
    `Resend: ${list} ${outside.length > 1 ? 'are not verified sending domains' : 'is not a verified sending domain'} of this Resend account (${
      verified.length ? `verified: ${verified.join(', ')}` : 'it has no verified domain yet'
    }). Send from a verified domain, or add and verify it at https://resend.com/domains.`,
  );
}

// --- emails --------------------------------------------------------------------------------------

/**
 * A date for people: `Mar 2, 2026, 5:00 PM` in the given time zone and locale (Intl styles). Throws a
 * RangeError for an unknown time zone or locale.
 * @param {string} value an ISO 8601 date-time
 * @param {Partial<DateVariable>} options
 */
function formatDate(value, { timeZone, locale, dateStyle = 'medium', timeStyle = 'short' } = {}) {
  const options = { timeZone: timeZone || 'UTC' };
  if (dateStyle !== 'none') options.dateStyle = dateStyle;
  if (timeStyle !== 'none') options.timeStyle = timeStyle;
  if (!options.dateStyle && !options.timeStyle) options.dateStyle = 'medium';
  // ICU puts narrow and no-break spaces in times: plain spaces read the same in every mail client.
  return new Intl.DateTimeFormat(locale || 'en-US', options).format(new Date(value)).replace(/[\u00a0\u202f\u2009]/g, ' ');
}

/** A date formatted for a reminder, falling back on en-US and UTC when the locale or zone is unknown. */
function friendlyDate(value, timeZone, locale) {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) return '';
  for (const [tag, zone] of [
    [locale, timeZone],
    ['en-US', timeZone],
    ['en-US', 'UTC'],
  ]) {
    try {
      return formatDate(value, { locale: tag, timeZone: zone, dateStyle: 'full', timeStyle: 'short' });
    } catch {
      // An unknown locale or time zone: the next, plainer choice.
    }
  }
  return value;
}

/** The template's variables: those given, and the date variables formatted as asked. */
function templateVariables(input) {
  const variables = { ...(input.template?.variables ?? {}) };
  for (const [name, date] of Object.entries(input.dateVariables ?? {})) {
    try {
      variables[name] = formatDate(date.value, date);
    } catch (error) {
      throw new ProviderRejectedError(`dateVariables.${name}: ${error instanceof Error ? error.message : String(error)} (give an IANA time zone such as Europe/Paris and a BCP 47 locale such as fr-FR)`);
    }
  }
  return variables;
}

/** Refuses a time Resend cannot schedule: in the past, or more than 30 days ahead. */
function checkSchedule(value) {
  const at = Date.parse(value);
  if (at < Date.now() - 60_000) throw new ProviderRejectedError(`scheduledAt ${value} is in the past: leave it out to send now.`);
  if (at > Date.now() + MAX_SCHEDULE_DAYS * 86_400_000) {
    throw new ProviderRejectedError(`Resend schedules emails at most ${MAX_SCHEDULE_DAYS} days ahead; scheduledAt ${value} is further.`);
  }
}

/** An email as POST /emails (and each entry of /emails/batch) takes it. */
function emailBody(input) {
  const tags = Object.entries(input.tags ?? {}).map(([name, value]) => ({ name, value }));
  const variables = templateVariables(input);
  return {
    from: input.from,
    to: input.to,
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    ...(input.cc?.length ? { cc: input.cc } : {}),
    ...(input.bcc?.length ? { bcc: input.bcc } : {}),
    ...(input.replyTo ? { reply_to: input.replyTo } : {}),
    ...(input.html !== undefined ? { html: input.html } : {}),
    ...(input.text !== undefined ? { text: input.text } : {}),
    ...(input.template ? { template: { id: input.template.id, ...(Object.keys(variables).length ? { variables } : {}) } } : {}),
    ...(tags.length ? { tags } : {}),
    ...(input.scheduledAt ? { scheduled_at: new Date(input.scheduledAt).toISOString() } : {}),
  };
}

const idempotencyHeader = (key) => (key ? { 'Idempotency-Key': key } : {});

/**
 * POST /emails. With an idempotency key, a repeat within 24 hours answers the first email's id and
 * sends nothing.
 * @param {ResendContext} ctx
 */
async function sendEmail(ctx, input, idempotencyKey = input.idempotencyKey) {
  if (input.scheduledAt) checkSchedule(input.scheduledAt);
  const body = emailBody(input);
  await checkSenders(ctx, [input.from]);
  const answer = await resend(ctx, '/emails', { method: 'POST', body, headers: idempotencyHeader(idempotencyKey) });
  if (typeof answer?.id !== 'string') throw new Error('Resend answered without an email id');
  return { id: answer.id, scheduledAt: body.scheduled_at ?? null };
}

/**
 * POST /emails/batch: up to 100 emails in one request, all accepted or none (Resend's default strict
 * validation). Batches cannot be scheduled or carry attachments.
 * @param {ResendContext} ctx
 */
async function sendBatch(ctx, emails, idempotencyKey) {
  const bodies = emails.map(emailBody);
  await checkSenders(ctx, emails.map((email) => email.from));
  const answer = await resend(ctx, '/emails/batch', { method: 'POST', body: bodies, headers: idempotencyHeader(idempotencyKey) });
  const ids = (Array.isArray(answer?.data) ? answer.data : []).map((entry) => entry?.id);
  if (ids.length !== bodies.length || ids.some((id) => typeof id !== 'string')) throw new Error('Resend answered the batch without an id for every email');
  return { ids };
}

// --- reactions -----------------------------------------------------------------------------------

/** A tag value from any text: Resend takes ASCII letters, digits, underscores and dashes. */
const tagValue = (text) => String(text).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';

/** Template variables with a value (empty ones are left to the template's fallbacks). */
function presentVariables(values) {
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => typeof value === 'string' && value !== '')
      .map(([name, value]) => [name, value.slice(0, 2000)]),
  );
}

/** The configured sender, or a refusal naming the setting. @param {ResendSettings} settings */
function configuredSender(settings, what) {
  if (!settings.from) throw new ProviderRejectedError(`No sender: set "from" in the Resend settings to send ${what}.`);
  return settings.from;
}

/**
 * Emails the reminder template to every recipient with an address (one email each, so nobody sees the
 * others), 100 a batch request. Each batch has an idempotency key made of the event id and the batch's
 * place: when a later batch fails and the host runs the event again, Resend answers the batches it
 * already accepted without sending them twice.
 * @param {ResendContext} ctx
 */
async function sendReminders(ctx, event) {
  const settings = ctx.settings ?? {};
  const template = settings.reminderTemplateId;
  if (!template) return;
  const data = event?.data ?? {};
  const seen = new Set();
  const recipients = (Array.isArray(data.recipients) ? data.recipients : []).filter((recipient) => {
    const email = typeof recipient?.email === 'string' ? recipient.email.trim().toLowerCase() : '';
    if (!EMAIL.test(email) || seen.has(email)) return false;
    seen.add(email);
    return true;
  });
  if (recipients.length === 0) {
    ctx.log.info('no recipient with an email address: no reminder sent', { eventId: event?.id });
    return;
  }
  const from = configuredSender(settings, 'session reminders');
  const timeZone = typeof data.timeZone === 'string' ? data.timeZone : '';
  const session = {
    TITLE: typeof data.title === 'string' ? data.title : '',
    DESCRIPTION: typeof data.description === 'string' ? data.description : '',
    START: friendlyDate(data.start, timeZone, settings.locale),
    END: friendlyDate(data.end, timeZone, settings.locale),
    TIME_ZONE: timeZone,
    JOIN_URL: typeof data.joinUrl === 'string' ? data.joinUrl : '',
    SESSION_ID: typeof data.sessionId === 'string' ? data.sessionId : '',
  };
  const tags = { plugboard_event: 'session_reminder', ...(session.SESSION_ID ? { session: tagValue(session.SESSION_ID) } : {}) };
  const ids = [];
  for (let start = 0; start < recipients.length; start += BATCH_SIZE) {
    const batch = recipients.slice(start, start + BATCH_SIZE).map((recipient) => ({
      from,
      to: recipient.email.trim(),
      ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
      template: { id: template, variables: presentVariables({ ...session, NAME: typeof recipient.name === 'string' ? recipient.name.trim() : '' }) },
      tags,
    }));
    const result = await sendBatch(ctx, batch, `session.reminder/${event.id}/${start / BATCH_SIZE}`);
    ids.push(...result.ids);
  }
  ctx.log.info('reminder emails sent', { eventId: event?.id, sent: ids.length });
}

// --- webhooks ------------------------------------------------------------------------------------

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

/**
 * Svix's scheme: `svix-signature` lists `v1,<base64 HMAC-SHA256 of "{svix-id}.{svix-timestamp}.{body}">`
 * entries (space-separated, several during a secret rotation), keyed with the base64-decoded part of
 * the `whsec_` secret. The `webhook-*` header names are the same scheme under Svix's other prefix.
 */
function svixVerified(secret, req) {
  const id = header(req, 'svix-id') ?? header(req, 'webhook-id');
  const timestamp = header(req, 'svix-timestamp') ?? header(req, 'webhook-timestamp');
  const signatures = header(req, 'svix-signature') ?? header(req, 'webhook-signature');
  if (!id || !timestamp || !signatures || typeof req?.rawBody !== 'string') return false;
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length === 0) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${req.rawBody}`, 'utf8').digest('base64');
  return signatures
    .split(' ')
    .map((entry) => entry.split(','))
    .some(([version, signature]) => version === 'v1' && typeof signature === 'string' && sameText(signature, expected));
}

/** Resend's delivery events that have a host event type. */
const EMAIL_EVENTS = new Set(['email.delivered', 'email.opened', 'email.clicked', 'email.bounced', 'email.complained']);
const BOUNCE_TYPES = { Permanent: 'hard', Transient: 'soft', Undetermined: 'undetermined' };

const isoTime = (value) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined);

function webUrl(value) {
  try {
    const url = new URL(String(value));
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Resend webhook event → one host event per recipient (`email.*` describe one message to one
 * address). The template and broadcast ids ride along, so counts per template or tag can be made from
 * the events.
 */
function toEmailEvents(payload) {
  const type = payload?.type;
  const data = payload?.data ?? {};
  if (!EMAIL_EVENTS.has(type) || typeof data.email_id !== 'string' || !data.email_id) return [];
  const recipients = (Array.isArray(data.to) ? data.to : [data.to]).filter((value) => typeof value === 'string').map(senderAddress).filter((value) => EMAIL.test(value));
  const tags =
    data.tags && typeof data.tags === 'object' && !Array.isArray(data.tags)
      ? Object.fromEntries(Object.entries(data.tags).filter(([, value]) => typeof value === 'string'))
      : undefined;
  const common = {
    messageId: data.email_id.slice(0, 200),
    provider: 'resend',
    ...(typeof data.subject === 'string' ? { subject: data.subject.slice(0, 1000) } : {}),
    ...(tags && Object.keys(tags).length ? { tags } : {}),
    ...(isoTime(payload.created_at) ? { occurredAt: isoTime(payload.created_at) } : {}),
    ...(typeof data.template_id === 'string' ? { templateId: data.template_id } : {}),
    ...(typeof data.broadcast_id === 'string' ? { broadcastId: data.broadcast_id } : {}),
  };
  let extra = {};
  if (type === 'email.clicked') {
    const url = webUrl(data.click?.link);
    extra = { ...(url ? { url } : {}), ...(isoTime(data.click?.timestamp) ? { occurredAt: isoTime(data.click.timestamp) } : {}) };
  }
  if (type === 'email.bounced') {
    const bounce = data.bounce ?? {};
    const reason = [bounce.subType, bounce.message].filter((part) => typeof part === 'string' && part).join(': ');
    extra = { bounceType: BOUNCE_TYPES[bounce.type] ?? 'undetermined', ...(reason ? { reason: reason.slice(0, 2000) } : {}) };
  }
  return recipients.map((to) => ({ event: type, data: { ...common, to, ...extra } }));
}

// --- schemas -------------------------------------------------------------------------------------

const address = { type: 'string', format: 'email', maxLength: 320 };
const addresses = (max, description) => ({ oneOf: [address, { type: 'array', minItems: 1, maxItems: max, uniqueItems: true, items: address }], description });
const sender = (description) => ({ type: 'string', maxLength: 600, pattern: SENDER_PATTERN, description });
const templateId = (title, description) => ({ type: 'string', pattern: TEMPLATE_ID_PATTERN, title, description });

const templateInput = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  description: 'A published Resend template: Resend renders it with the variables ({{{NAME}}} in the template). Leaves out html and text; subject, from and reply-to given here win over the template’s defaults.',
  properties: {
    id: { type: 'string', pattern: TEMPLATE_ID_PATTERN, description: 'The template’s id or alias' },
    variables: {
      type: 'object',
      maxProperties: 50,
      propertyNames: VARIABLE_NAME,
      additionalProperties: { type: ['string', 'number'], maxLength: 2000 },
      description: 'Values by variable name (strings or numbers; a template has at most 50 variables)',
    },
  },
};

const dateVariables = {
  type: 'object',
  maxProperties: 20,
  propertyNames: VARIABLE_NAME,
  description:
    'Template variables written as dates by Plugboard (Resend’s variables are plain strings): e.g. { "START": { "value": "2026-03-02T16:00:00Z", "timeZone": "Europe/Paris", "locale": "fr-FR", "dateStyle": "full", "timeStyle": "short" } }. Needs template.',
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['value'],
    properties: {
      value: { type: 'string', format: 'date-time' },
      timeZone: { type: 'string', maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$', description: 'IANA time zone (default UTC)' },
      locale: { type: 'string', pattern: LOCALE_PATTERN, description: 'BCP 47 language tag (default en-US)' },
      dateStyle: { enum: ['full', 'long', 'medium', 'short', 'none'], default: 'medium' },
      timeStyle: { enum: ['full', 'long', 'medium', 'short', 'none'], default: 'short' },
    },
  },
};

/** One email's fields (sendEmail adds scheduling and an idempotency key; batch entries cannot have them). */
const emailProperties = {
  from: sender('The sender on a verified domain: "events@acme.com" or "Acme Events <events@acme.com>"'),
  to: addresses(MAX_RECIPIENTS, 'Recipient address, or up to 50'),
  cc: { type: 'array', maxItems: MAX_RECIPIENTS, uniqueItems: true, items: address },
  bcc: { type: 'array', maxItems: MAX_RECIPIENTS, uniqueItems: true, items: address },
  replyTo: addresses(MAX_RECIPIENTS, 'Reply-to address, or several'),
  subject: { type: 'string', minLength: 1, maxLength: 998 },
  html: { type: 'string', minLength: 1, maxLength: 1_000_000 },
  text: { type: 'string', minLength: 1, maxLength: 1_000_000 },
  template: templateInput,
  dateVariables,
  tags: {
    type: 'object',
    maxProperties: 50,
    propertyNames: { pattern: TAG_PATTERN },
    additionalProperties: { type: 'string', pattern: TAG_PATTERN },
    description: 'Tags by name, e.g. { "category": "confirm_email" } (ASCII letters, digits, _ and -): Resend returns them on every webhook event',
  },
};

/** Content: a template, or html and/or text (then a subject); never both. */
const contentRules = {
  anyOf: [{ required: ['template'] }, { required: ['html'] }, { required: ['text'] }],
  if: { required: ['template'] },
  then: { not: { anyOf: [{ required: ['html'] }, { required: ['text'] }] } },
  else: { required: ['subject'] },
  dependencies: { dateVariables: ['template'] },
};

const idempotencyKeyInput = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  description: 'Resend sends a request with this key once: a repeat within 24 hours answers the first result (e.g. "welcome-user/123")',
};

const batchEmail = { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: emailProperties, ...contentRules };

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: sender('The sender of the emails Plugboard sends on events, on a verified domain: "Acme Events <events@acme.com>"'),
    replyTo: { ...address, title: 'Reply-to', description: 'Where replies to those emails go' },
    locale: { type: 'string', pattern: LOCALE_PATTERN, default: 'en-US', title: 'Date language', description: 'BCP 47 tag used to write dates in template variables, e.g. en-GB, fr-FR' },
    registrationTemplateId: templateId(
      'Registration confirmation template',
      'A published Resend template (id or alias), with its own subject, emailed to whoever registers with the variables NAME, REGISTRATION_ID, SESSION_ID and REGISTERED_AT (declare them in the template, with fallbacks for the optional ones)',
    ),
    reminderTemplateId: templateId(
      'Session reminder template',
      'A published Resend template, with its own subject, emailed to each recipient of a session reminder with NAME, TITLE, DESCRIPTION, START and END (written in the session’s time zone), TIME_ZONE, JOIN_URL and SESSION_ID',
    ),
  },
  dependencies: { registrationTemplateId: ['from'], reminderTemplateId: ['from'] },
};

const emailResult = {
  type: 'object',
  required: ['id', 'scheduledAt'],
  properties: { id: { type: 'string', description: 'Resend’s email id' }, scheduledAt: { type: ['string', 'null'], format: 'date-time' } },
};

export default definePlugin({
  providers: [
    {
      id: 'resend',
      name: 'Resend',
      category: 'email',
      description:
        'Send transactional email through Resend: hosted templates with variables, scheduled and batch sends with idempotency keys, delivery, open, click, bounce and complaint events from Resend’s webhooks, and daily sending metrics.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: {
            apiKey: {
              type: 'string',
              title: 'API key',
              description:
                'A Resend API key (re_…). With Full access Plugboard also checks senders against your verified domains and reads metrics; a Sending access key can only send.',
              pattern: '^re_[A-Za-z0-9_]{6,200}$',
              secret: true,
            },
            webhookSigningSecret: {
              type: 'string',
              title: 'Webhook signing secret',
              description:
                'The signing secret (whsec_…) of the webhook you add in Resend (Webhooks → Add endpoint) for this connection’s hook URL, subscribed to the email events: needed to accept delivery events',
              pattern: '^whsec_[A-Za-z0-9+/]{16,}={0,2}$',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {apiKey}' } },
      },
      settingsSchema,
      baseUrl: 'https://api.resend.com',
      errors,
      // Resend's documented default: 2 requests per second per team, across all of the team's API keys
      // (a 429 `rate_limit_exceeded` with Retry-After beyond). The team is not known from a key, so the
      // budget is kept per connection; daily and monthly quotas are answered as refusals.
      rateLimits: [{ requests: 2, windowMs: 1000, scope: 'connection' }],

      /**
       * Lists the account's domains and keeps the ones mail can be sent from. A Sending access key is
       * answered 401 `restricted_api_key` there: it is accepted (it is the key sending needs), noted as
       * such, and Resend itself then checks senders.
       * @param {ResendContext} ctx
       */
      async verify(ctx) {
        let found;
        try {
          found = await sendingDomains(ctx);
        } catch (error) {
          if (!isRestricted(error)) throw error;
          ctx.log.info('the Resend API key can only send: senders are checked by Resend when sending, and metrics cannot be read');
          return { displayName: 'Resend (sending-only API key)', metadata: { keyAccess: 'sending_access', verifiedDomains: null, domains: null } };
        }
        const { domains, verified } = found;
        if (verified.length === 0) ctx.log.warn('this Resend account has no verified domain yet: nothing can be sent until one is verified');
        return {
          displayName: verified.length ? `Resend (${verified.slice(0, 3).join(', ')}${verified.length > 3 ? `, +${verified.length - 3}` : ''})` : 'Resend (no verified domain)',
          metadata: {
            keyAccess: 'full_access',
            verifiedDomains: verified,
            domains: domains.map((domain) => ({ id: domain.id, name: domain.name, status: domain.status, region: domain.region ?? null })),
          },
        };
      },

      /**
       * One domain: the cheapest authenticated read. A sending-only key's `restricted_api_key` answer
       * proves the key is valid, so it passes.
       * @param {ResendContext} ctx
       */
      async healthCheck(ctx) {
        try {
          await resend(ctx, '/domains?limit=1');
        } catch (error) {
          if (!isRestricted(error)) throw error;
        }
      },

      actions: {
        sendEmail: {
          description:
            'Sends an email: html and/or text with a subject, or a published Resend template with variables (dates formatted by Plugboard). Optionally scheduled (up to 30 days ahead) and idempotent. The sender must be on a verified domain.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'to'],
            properties: {
              ...emailProperties,
              scheduledAt: { type: 'string', format: 'date-time', description: 'Send at this time instead of now (at most 30 days ahead)' },
              idempotencyKey: idempotencyKeyInput,
            },
            ...contentRules,
          },
          outputSchema: emailResult,
          /** @param {ResendContext} ctx */
          run: (ctx, input) => sendEmail(ctx, input),
        },
        sendBatch: {
          description:
            'Sends up to 100 different emails in one request (each with its own recipients, content or template); all are accepted or none. Batches cannot be scheduled. Answers the email ids in order.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['emails'],
            properties: {
              emails: { type: 'array', minItems: 1, maxItems: BATCH_SIZE, items: batchEmail },
              idempotencyKey: idempotencyKeyInput,
            },
          },
          outputSchema: { type: 'object', required: ['ids'], properties: { ids: { type: 'array', items: { type: 'string' } } } },
          /** @param {ResendContext} ctx */
          run: (ctx, input) => sendBatch(ctx, input.emails, input.idempotencyKey),
        },
        cancelScheduledEmail: {
          description: 'Cancels a scheduled email that has not been sent yet (a canceled email cannot be rescheduled).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['id'],
            properties: { id: { type: 'string', format: 'uuid', description: 'The id sendEmail answered' } },
          },
          outputSchema: { type: 'object', required: ['id', 'canceled'], properties: { id: { type: 'string' }, canceled: { const: true } } },
          /** @param {ResendContext} ctx */
          async run(ctx, input) {
            const answer = await resend(ctx, `/emails/${encodeURIComponent(input.id)}/cancel`, { method: 'POST' });
            return { id: typeof answer?.id === 'string' ? answer.id : input.id, canceled: true };
          },
        },
      },

      onEvent: {
        /**
         * Emails the registration template to the registrant, with an idempotency key made of the event
         * id: when the host runs the event again, Resend does not send it twice.
         * @param {ResendContext} ctx
         */
        async 'registration.received'(ctx, event) {
          const settings = ctx.settings ?? {};
          if (!settings.registrationTemplateId) return;
          const data = event?.data ?? {};
          if (typeof data.email !== 'string' || !EMAIL.test(data.email.trim())) {
            ctx.log.warn('registration without an email address: no confirmation sent', { eventId: event?.id });
            return;
          }
          const from = configuredSender(settings, 'registration confirmations');
          const result = await sendEmail(
            ctx,
            {
              from,
              to: data.email.trim(),
              ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
              template: {
                id: settings.registrationTemplateId,
                variables: presentVariables({
                  NAME: typeof data.name === 'string' ? data.name.trim() : '',
                  REGISTRATION_ID: typeof data.registrationId === 'string' ? data.registrationId : '',
                  SESSION_ID: typeof data.sessionId === 'string' ? data.sessionId : '',
                  REGISTERED_AT: friendlyDate(data.registeredAt ?? event.timestamp, 'UTC', settings.locale),
                }),
              },
              tags: { plugboard_event: 'registration_received' },
            },
            `registration.received/${event.id}`,
          );
          ctx.log.info('registration confirmation sent', { eventId: event.id, emailId: result.id });
        },

        /** Emails the reminder template to the session's recipients, 100 a batch. @param {ResendContext} ctx */
        'session.reminder': (ctx, event) => sendReminders(ctx, event),
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * `emailMetrics`: per sending domain and day, what Resend counts (sent, delivered, opened,
         * clicked, bounced, complained, … and their rates) from `GET /emails/metrics`. Resend breaks
         * metrics down by period, domain, email or broadcast only — not by tag or template: those counts
         * come from the `email.*` events, which carry both. Each run re-reads from the last synced day,
         * whose counts still grow.
         * @param {ResendContext} ctx
         */
        async run(ctx, input) {
          if (ctx.integration?.metadata?.keyAccess === 'sending_access') {
            ctx.log.warn('a sending-only Resend API key cannot read metrics: connect a Full access key to sync them');
            return { records: { emailMetrics: [] } };
          }
          const previous = input?.highWaterMarks?.emailMetrics;
          const start = previous && !Number.isNaN(Date.parse(previous)) ? previous.slice(0, 10) : new Date(Date.now() - FIRST_METRICS_DAYS * 86_400_000).toISOString().slice(0, 10);
          const query = new URLSearchParams({ start_date: start, end_date: new Date().toISOString(), granularity: 'daily', timezone: 'UTC', dimensions: 'period,domain' });
          let body;
          try {
            body = await resend(ctx, `/emails/metrics?${query}`);
          } catch (error) {
            if (!isRestricted(error)) throw error;
            ctx.log.warn('a sending-only Resend API key cannot read metrics: connect a Full access key to sync them');
            return { records: { emailMetrics: [] } };
          }
          let mark = previous;
          const records = (Array.isArray(body?.data) ? body.data : [])
            .filter((row) => typeof row?.period === 'string')
            .map((row) => {
              const { period, domain_id: domainId, domain_name: domainName, ...rest } = row;
              if (!mark || period > mark) mark = period;
              const counts = Object.fromEntries(Object.entries(rest).filter(([, value]) => typeof value === 'number'));
              return { id: `${domainId ?? 'all'}:${period.slice(0, 10)}`, period, domainId: domainId ?? null, domainName: domainName ?? null, ...counts };
            });
          return mark ? { records: { emailMetrics: records }, highWaterMarks: { emailMetrics: mark } } : { records: { emailMetrics: records } };
        },
      },

      webhook: {
        /**
         * Resend signs webhooks with Svix: see `svixVerified`. Without a signing secret in the
         * credentials nothing can be verified, so nothing is accepted.
         * @param {ResendContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const secret = ctx.credentials?.webhookSigningSecret;
          if (typeof secret !== 'string' || !secret.startsWith('whsec_')) {
            ctx.log.warn('a Resend webhook arrived but the connection has no webhook signing secret: it cannot be verified');
            return false;
          }
          return svixVerified(secret, req);
        },

        /**
         * `email.delivered|opened|clicked|bounced|complained` become the host's events of the same names,
         * one per recipient; Resend's other events (sent, delivery_delayed, failed, scheduled, suppressed,
         * received, contact.*, domain.*) have no host event type and are only logged.
         * @param {ResendContext} ctx
         * @param {InboundRequest} req
         */
        toEvents(ctx, req) {
          let payload;
          try {
            payload = JSON.parse(req.rawBody);
          } catch {
            ctx.log.warn('a Resend webhook body is not JSON: ignored');
            return [];
          }
          const events = toEmailEvents(payload);
          if (events.length === 0) {
            const level = payload?.type === 'email.failed' ? 'warn' : 'info';
            ctx.log[level]('Resend event with no host event type', { type: String(payload?.type ?? ''), emailId: payload?.data?.email_id ?? null });
          }
          return events;
        },
      },
    },
  ],
});
