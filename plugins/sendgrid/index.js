// SendGrid provider for Plugboard, written against the SendGrid v3 Web API reference
// (https://www.twilio.com/docs/sendgrid/api-reference): Mail Send and Marketing Campaigns contacts.
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{
 *   fromEmail?: string,
 *   fromName?: string,
 *   replyTo?: string,
 *   registrationTemplateId?: string,
 *   reminderTemplateId?: string,
 *   updateTemplateId?: string,
 * }} SendGridSettings
 * @typedef {import('plugboard/sdk').PluginContext<{ apiKey: string }, SendGridSettings>} SendGridContext
 * @typedef {{ name?: string, email?: string, phone?: string }} Recipient
 */

const SEND_SCOPE = 'mail.send';

/** Mail Send takes at most 1,000 personalizations, and 1,000 recipients (to + cc + bcc), per request. */
const MAX_PER_REQUEST = 1000;
/** Recipients SendGrid refuses one by one are dropped and the rest sent again, at most this many times. */
const MAX_DROPPED_PER_BATCH = 25;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** SendGrid answers errors as `{ errors: [{ message, field }] }`: refusals show every one. */
const errors = {
  message: (body) => (Array.isArray(body?.errors) ? body.errors.map((error) => (error.field ? `${error.field}: ${error.message}` : error.message)).join('; ') : undefined),
};

/**
 * A 429 from SendGrid: it sends no Retry-After, but `X-RateLimit-Reset` (epoch seconds) says when the
 * endpoint's budget refills.
 */
async function rateLimited(response) {
  let message = 'too many requests';
  try {
    message = errors.message(JSON.parse(await response.text())) || message;
  } catch {
    // Not JSON: keep the plain message.
  }
  const reset = Number(response.headers.get('x-ratelimit-reset'));
  const wait = Number.isFinite(reset) && reset > 0 ? Math.max(1, Math.ceil(reset - Date.now() / 1000)) : undefined;
  return new ProviderRateLimitedError(`SendGrid: ${message}`, wait);
}

/**
 * Calls the v3 API (the host adds `Authorization: Bearer <apiKey>`). `forbidden` replaces SendGrid's
 * terse "access forbidden" with what the key lacks.
 * @param {SendGridContext} ctx
 */
async function sendgrid(ctx, path, init = {}, forbidden) {
  const response = await ctx.http(path, init);
  if (response.status === 429) throw await rateLimited(response);
  if (response.status === 403 && forbidden) {
    let said = 'access forbidden';
    try {
      said = errors.message(JSON.parse(await response.text())) || said;
    } catch {
      // Not JSON: keep the plain message.
    }
    throw new ProviderRejectedError(`${said}: ${forbidden}`);
  }
  return { body: await readJson(response, ctx, errors), headers: response.headers };
}

/** @param {SendGridContext} ctx */
async function scopes(ctx) {
  const { body } = await sendgrid(ctx, '/v3/scopes');
  const list = Array.isArray(body?.scopes) ? body.scopes : [];
  if (!list.includes(SEND_SCOPE)) throw new ProviderRejectedError('This API key cannot send mail: give it the "Mail Send" permission in SendGrid.');
  return list;
}

function address(value) {
  return typeof value === 'string' ? { email: value } : { email: value.email, ...(value.name ? { name: value.name } : {}) };
}

const recipient = {
  oneOf: [
    { type: 'string', format: 'email' },
    {
      type: 'object',
      required: ['email'],
      additionalProperties: false,
      properties: { email: { type: 'string', format: 'email' }, name: { type: 'string', maxLength: 256 } },
    },
  ],
};

/**
 * The v3 mail body. Every `to` recipient gets a personalization of their own, so a guest list is
 * never disclosed to the guests.
 * @param {SendGridSettings} settings
 */
function mailBody(settings, input) {
  const fromEmail = input.fromEmail ?? settings.fromEmail;
  if (!fromEmail) throw new ProviderRejectedError('No sender: set fromEmail in the integration settings or in the input.');
  const fromName = input.fromName ?? settings.fromName;
  const replyTo = input.replyTo ?? settings.replyTo;
  const to = Array.isArray(input.to) ? input.to : [input.to];
  const content = [];
  if (input.text) content.push({ type: 'text/plain', value: input.text });
  if (input.html) content.push({ type: 'text/html', value: input.html });
  return {
    // cc and bcc ride on the first personalization only: each of them gets one copy, not one per guest.
    personalizations: to.map((entry, index) => ({
      to: [address(entry)],
      ...(index === 0 && input.cc?.length ? { cc: input.cc.map(address) } : {}),
      ...(index === 0 && input.bcc?.length ? { bcc: input.bcc.map(address) } : {}),
      ...(input.dynamicTemplateData ? { dynamic_template_data: input.dynamicTemplateData } : {}),
    })),
    from: { email: fromEmail, ...(fromName ? { name: fromName } : {}) },
    ...(replyTo ? { reply_to: { email: replyTo } } : {}),
    ...(input.subject ? { subject: input.subject } : {}),
    ...(content.length ? { content } : {}),
    ...(input.templateId ? { template_id: input.templateId } : {}),
    ...(input.categories?.length ? { categories: input.categories } : {}),
    ...(input.customArgs ? { custom_args: input.customArgs } : {}),
    ...(input.sendAt ? { send_at: Math.floor(Date.parse(input.sendAt) / 1000) } : {}),
  };
}

/** @param {SendGridContext} ctx */
async function send(ctx, input) {
  const { headers } = await sendgrid(ctx, '/v3/mail/send', { method: 'POST', body: mailBody(ctx.settings ?? {}, input) });
  return { accepted: true, messageId: headers.get('x-message-id') };
}

const templateId = { type: 'string', pattern: '^d-[0-9a-f]{32}$', description: 'A dynamic template id (d-…)' };

/** A session time in the session's time zone, for people: "Mon, Mar 2, 2026, 5:00 PM GMT+1". */
function formatTime(value, timeZone) {
  if (typeof value !== 'string' || !value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const options = { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
  for (const zone of [timeZone, 'UTC']) {
    try {
      return new Intl.DateTimeFormat('en-US', { ...options, timeZone: zone || 'UTC' }).format(date).replace(/[\u00a0\u202f\u2009]/g, ' ');
    } catch {
      // An unknown time zone: fall back on UTC.
    }
  }
  return value;
}

const text = (value) => (typeof value === 'string' ? value : '');
const escapeHtml = (value) => value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/** What a session event says about the session, for templates and the plain message. */
function sessionValues(data) {
  const timeZone = text(data.timeZone);
  return {
    sessionId: text(data.sessionId),
    title: text(data.title),
    description: text(data.description).slice(0, 2000),
    start: text(data.start),
    end: text(data.end),
    startText: formatTime(data.start, timeZone),
    endText: formatTime(data.end, timeZone),
    timeZone,
    joinUrl: text(data.joinUrl),
  };
}

/** Substitution tags of the plain reminder: one greeting per recipient, as text and as HTML. */
const GREETING = '-pbGreeting-';
const GREETING_HTML = '-pbGreetingHtml-';

/** The plain reminder, when no template is configured: text and HTML built from the session's fields. */
function plainReminder(session) {
  const title = session.title || 'your session';
  const lines = [`${GREETING}`, '', `This is a reminder for "${title}".`, ''];
  if (session.startText) lines.push(`Starts: ${session.startText}`);
  if (session.endText) lines.push(`Ends: ${session.endText}`);
  if (session.timeZone) lines.push(`Time zone: ${session.timeZone}`);
  if (session.joinUrl) lines.push('', `Join: ${session.joinUrl}`);
  const link = /^https?:\/\//i.test(session.joinUrl) ? session.joinUrl : '';
  const rows = [
    session.startText && `<li>Starts: ${escapeHtml(session.startText)}</li>`,
    session.endText && `<li>Ends: ${escapeHtml(session.endText)}</li>`,
    session.timeZone && `<li>Time zone: ${escapeHtml(session.timeZone)}</li>`,
  ].filter(Boolean);
  const html = [
    `<p>${GREETING_HTML}</p>`,
    `<p>This is a reminder for <strong>${escapeHtml(title)}</strong>.</p>`,
    rows.length ? `<ul>${rows.join('')}</ul>` : '',
    link ? `<p><a href="${escapeHtml(link)}">Join the session</a></p>` : session.joinUrl ? `<p>Join: ${escapeHtml(session.joinUrl)}</p>` : '',
  ].join('');
  return {
    subject: `Reminder: ${title}${session.startText ? ` (${session.startText})` : ''}`.slice(0, 998),
    content: [
      { type: 'text/plain', value: lines.join('\n') },
      { type: 'text/html', value: html },
    ],
  };
}

/** Recipients with a usable email address, each address once (SendGrid refuses repeats). @param {unknown} list */
function emailRecipients(list) {
  const seen = new Set();
  /** @type {Array<{ email: string, name?: string }>} */
  const recipients = [];
  for (const entry of Array.isArray(list) ? list : []) {
    const email = typeof entry?.email === 'string' ? entry.email.trim() : '';
    if (!EMAIL.test(email) || seen.has(email.toLowerCase())) continue;
    seen.add(email.toLowerCase());
    const name = typeof entry.name === 'string' ? entry.name.trim().slice(0, 256) : '';
    recipients.push(name ? { email, name } : { email });
  }
  return recipients;
}

/**
 * Sends one Mail Send request. A 400 that names personalizations (a recipient SendGrid will not take)
 * sent nothing at all: those recipients are dropped and the rest sent again.
 * @param {SendGridContext} ctx
 * @param {(batch: Array<{ email: string, name?: string }>) => Record<string, unknown>} build
 */
async function sendBatch(ctx, batch, build) {
  let remaining = batch;
  const dropped = [];
  for (;;) {
    const response = await ctx.http('/v3/mail/send', { method: 'POST', body: build(remaining) });
    if (response.status === 429) throw await rateLimited(response);
    if (response.status === 400 && dropped.length < MAX_DROPPED_PER_BATCH) {
      let refused = [];
      try {
        const body = JSON.parse(await response.clone().text());
        refused = (Array.isArray(body?.errors) ? body.errors : [])
          .map((error) => /^personalizations\.(\d+)\.(?:to|cc|bcc)\b/.exec(String(error?.field ?? ''))?.[1])
          .filter((index) => index !== undefined)
          .map(Number);
      } catch {
        refused = [];
      }
      const indexes = new Set(refused.filter((index) => index < remaining.length));
      if (indexes.size) {
        dropped.push(...remaining.filter((_recipient, index) => indexes.has(index)).map((recipient) => recipient.email));
        remaining = remaining.filter((_recipient, index) => !indexes.has(index));
        if (remaining.length === 0) return { messageId: null, sent: 0, dropped };
        continue;
      }
    }
    await readJson(response, ctx, errors);
    return { messageId: response.headers.get('x-message-id'), sent: remaining.length, dropped };
  }
}

/**
 * Emails a session reminder or update to every recipient with an address (one personalization each,
 * so nobody sees the others), 1,000 per request: the configured dynamic template with the session's
 * fields, or (reminders only) a plain text and HTML message. SendGrid has no idempotency key, so the
 * handler fails — and the host runs the event again — only when no request was accepted; when a later
 * request fails after earlier ones went out, the failure is logged instead.
 * @param {SendGridContext} ctx
 * @param {'reminder' | 'update'} kind
 */
async function notifyRecipients(ctx, event, kind) {
  const data = event?.data ?? {};
  const settings = ctx.settings ?? {};
  const template = kind === 'reminder' ? settings.reminderTemplateId : settings.updateTemplateId;
  if (kind === 'update' && !template) return;
  const recipients = emailRecipients(data.recipients);
  if (recipients.length === 0) {
    ctx.log.info(`no recipient with an email address: no ${kind} email sent`, { eventId: event?.id });
    return;
  }
  if (!settings.fromEmail) throw new ProviderRejectedError(`No sender: set fromEmail in the SendGrid settings to send session ${kind}s.`);
  const session = sessionValues(data);
  const plain = template ? undefined : plainReminder(session);
  const common = {
    from: { email: settings.fromEmail, ...(settings.fromName ? { name: settings.fromName } : {}) },
    ...(settings.replyTo ? { reply_to: { email: settings.replyTo } } : {}),
    custom_args: { plugboardEventId: String(event?.id ?? ''), ...(session.sessionId ? { sessionId: session.sessionId } : {}) },
  };
  const templateData = Object.fromEntries(Object.entries({ ...session, kind }).filter(([, value]) => value !== ''));
  const build = (batch) => ({
    personalizations: batch.map((recipient) =>
      template
        ? { to: [recipient], dynamic_template_data: { ...templateData, ...(recipient.name ? { name: recipient.name } : {}) } }
        : {
            to: [recipient],
            substitutions: {
              [GREETING]: recipient.name ? `Hi ${recipient.name},` : 'Hi,',
              [GREETING_HTML]: recipient.name ? `Hi ${escapeHtml(recipient.name)},` : 'Hi,',
            },
          },
    ),
    ...common,
    ...(template ? { template_id: template } : { subject: plain.subject, content: plain.content }),
  });

  const messageIds = [];
  const dropped = [];
  let sent = 0;
  let failure;
  for (let start = 0; start < recipients.length && !failure; start += MAX_PER_REQUEST) {
    try {
      const result = await sendBatch(ctx, recipients.slice(start, start + MAX_PER_REQUEST), build);
      sent += result.sent;
      dropped.push(...result.dropped);
      if (result.messageId) messageIds.push(result.messageId);
    } catch (error) {
      failure = error;
    }
  }
  if (dropped.length) ctx.log.warn(`SendGrid refused some ${kind} recipients`, { eventId: event?.id, refused: dropped.length });
  if (failure && sent === 0) throw failure;
  if (failure) {
    ctx.log.error(`some ${kind} emails were not sent; the event is not failed so that a retry emails no one twice`, {
      eventId: event?.id,
      sent,
      notSent: recipients.length - sent - dropped.length,
      reason: failure instanceof Error ? failure.message : String(failure),
    });
  }
  ctx.log.info(`${kind} emails sent`, { eventId: event?.id, sent, templated: Boolean(template), messageIds });
}

export default definePlugin({
  providers: [
    {
      id: 'sendgrid',
      name: 'SendGrid',
      category: 'email',
      description: 'Send transactional email (registration confirmations, session reminders and updates) and keep Marketing Campaigns contacts through your SendGrid account.',
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
              description: 'A SendGrid API key (SG.…) with the Mail Send permission',
              pattern: '^SG\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {apiKey}' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          fromEmail: { type: 'string', format: 'email', title: 'From email', description: 'A verified Sender Identity in SendGrid' },
          fromName: { type: 'string', maxLength: 256, title: 'From name' },
          replyTo: { type: 'string', format: 'email', title: 'Reply-to email' },
          registrationTemplateId: { ...templateId, title: 'Registration confirmation template', description: 'When set, every registration.received event sends this dynamic template to the registrant' },
          reminderTemplateId: {
            ...templateId,
            title: 'Session reminder template',
            description:
              'Dynamic template for session reminders, given title, description, start, end, startText, endText, timeZone, joinUrl, sessionId and name. Without one, a plain reminder is sent.',
          },
          updateTemplateId: {
            ...templateId,
            title: 'Session update template',
            description: 'When set, session.updated emails this dynamic template (same data as reminders) to the recipients the event lists',
          },
        },
      },
      baseUrl: 'https://api.sendgrid.com',
      // No rateLimits: SendGrid publishes no numbers for v3 endpoints, only per-endpoint X-RateLimit-*
      // headers and a 429 ("too many requests") once a refresh period's budget is spent; the 429 becomes
      // provider_rate_limited, waiting until X-RateLimit-Reset.

      /** @param {SendGridContext} ctx */
      async verify(ctx) {
        const granted = await scopes(ctx);
        let username;
        if (granted.includes('user.username.read')) username = (await sendgrid(ctx, '/v3/user/username')).body?.username;
        return { displayName: username ? `SendGrid (${username})` : 'SendGrid', metadata: { username: username ?? null, canReadTemplates: granted.includes('templates.read') } };
      },

      /** @param {SendGridContext} ctx */
      async healthCheck(ctx) {
        await scopes(ctx);
      },

      actions: {
        sendEmail: {
          description: 'Sends an email (text and/or HTML, or a dynamic template). Each recipient gets their own copy. Answers with SendGrid’s message id.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['to'],
            anyOf: [{ required: ['text'] }, { required: ['html'] }, { required: ['templateId'] }],
            properties: {
              to: { oneOf: [recipient, { type: 'array', minItems: 1, maxItems: 1000, items: recipient }] },
              cc: { type: 'array', maxItems: 100, items: recipient },
              bcc: { type: 'array', maxItems: 100, items: recipient },
              subject: { type: 'string', minLength: 1, maxLength: 998 },
              text: { type: 'string', minLength: 1 },
              html: { type: 'string', minLength: 1 },
              templateId,
              dynamicTemplateData: { type: 'object' },
              fromEmail: { type: 'string', format: 'email', description: 'Overrides the configured sender' },
              fromName: { type: 'string', maxLength: 256 },
              replyTo: { type: 'string', format: 'email' },
              categories: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 255 } },
              customArgs: { type: 'object', additionalProperties: { type: 'string' } },
              sendAt: { type: 'string', format: 'date-time', description: 'Schedule delivery (up to 72 hours ahead)' },
            },
          },
          /** @param {SendGridContext} ctx */
          run: send,
        },
        listTemplates: {
          description: 'Lists the account’s dynamic templates; page with pageToken.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: { pageSize: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, pageToken: { type: 'string', maxLength: 500 } },
          },
          /** @param {SendGridContext} ctx */
          async run(ctx, input = {}) {
            const query = new URLSearchParams({ generations: 'dynamic', page_size: String(input.pageSize ?? 50) });
            if (input.pageToken) query.set('page_token', input.pageToken);
            const { body } = await sendgrid(ctx, `/v3/templates?${query}`);
            const next = body?._metadata?.next ? new URL(body._metadata.next).searchParams.get('page_token') : null;
            return {
              templates: (body?.result ?? []).map((template) => ({ id: template.id, name: template.name, updatedAt: template.updated_at ?? null })),
              nextPageToken: next,
            };
          },
        },
        upsertContact: {
          description:
            'Adds or updates a Marketing Campaigns contact by email, optionally adding them to lists. SendGrid queues the change: the answer is the import job id, and the contact appears once the job has run.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email: { type: 'string', format: 'email', maxLength: 254 },
              firstName: { type: 'string', minLength: 1, maxLength: 50 },
              lastName: { type: 'string', minLength: 1, maxLength: 50 },
              listIds: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'string', format: 'uuid' }, description: 'Marketing lists (ids) to add the contact to' },
            },
          },
          /** `PUT /v3/marketing/contacts` answers 202 with a job id. @param {SendGridContext} ctx */
          async run(ctx, input) {
            const contact = {
              email: input.email.trim(),
              ...(input.firstName ? { first_name: input.firstName } : {}),
              ...(input.lastName ? { last_name: input.lastName } : {}),
            };
            const { body } = await sendgrid(
              ctx,
              '/v3/marketing/contacts',
              { method: 'PUT', body: { ...(input.listIds?.length ? { list_ids: input.listIds } : {}), contacts: [contact] } },
              'give the API key the Marketing Campaigns permission in SendGrid to manage contacts',
            );
            return { accepted: true, jobId: body?.job_id ?? null, email: contact.email.toLowerCase(), listIds: input.listIds ?? [] };
          },
        },
      },

      onEvent: {
        /**
         * Sends the configured confirmation template to the registrant; does nothing when no template
         * is configured.
         * @param {SendGridContext} ctx
         */
        async 'registration.received'(ctx, event) {
          const templateIdSetting = ctx.settings?.registrationTemplateId;
          const data = event.data ?? {};
          if (!templateIdSetting) return;
          if (typeof data.email !== 'string') {
            ctx.log.warn('registration without an email: no confirmation sent', { eventId: event.id });
            return;
          }
          const result = await send(ctx, {
            to: data.name ? { email: data.email, name: data.name } : data.email,
            templateId: templateIdSetting,
            dynamicTemplateData: { name: data.name ?? null, registrationId: data.registrationId, sessionId: data.sessionId ?? null, registeredAt: data.registeredAt ?? null },
            customArgs: { plugboardEventId: String(event.id) },
          });
          ctx.log.info('registration confirmation sent', { eventId: event.id, messageId: result.messageId });
        },

        /**
         * Emails the reminder to every recipient with an address: the reminder template when one is
         * configured, else a plain message built from the session's fields.
         * @param {SendGridContext} ctx
         */
        async 'session.reminder'(ctx, event) {
          await notifyRecipients(ctx, event, 'reminder');
        },

        /** Emails the update template to the event's recipients, when one is configured. @param {SendGridContext} ctx */
        async 'session.updated'(ctx, event) {
          await notifyRecipients(ctx, event, 'update');
        },
      },
    },
  ],
});
