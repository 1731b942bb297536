// SendGrid provider for Plugboard, written against the SendGrid v3 Web API
// (https://www.twilio.com/docs/sendgrid/api-reference).
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ fromEmail?: string, fromName?: string, replyTo?: string, registrationTemplateId?: string }} SendGridSettings
 * @typedef {import('plugboard/sdk').PluginContext<{ apiKey: string }, SendGridSettings>} SendGridContext
 */

const SEND_SCOPE = 'mail.send';

/** SendGrid answers errors as `{ errors: [{ message, field }] }`: refusals show every one. */
const errors = {
  message: (body) => (Array.isArray(body?.errors) ? body.errors.map((error) => (error.field ? `${error.field}: ${error.message}` : error.message)).join('; ') : undefined),
};

/**
 * Calls the v3 API (the host adds `Authorization: Bearer <apiKey>`).
 * @param {SendGridContext} ctx
 */
async function sendgrid(ctx, path, init = {}) {
  const response = await ctx.http(path, init);
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
 * never disclosed to the guests; cc and bcc go with each of them.
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
    personalizations: to.map((entry) => ({
      to: [address(entry)],
      ...(input.cc?.length ? { cc: input.cc.map(address) } : {}),
      ...(input.bcc?.length ? { bcc: input.bcc.map(address) } : {}),
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

export default definePlugin({
  providers: [
    {
      id: 'sendgrid',
      name: 'SendGrid',
      category: 'email',
      description: 'Send transactional email (invitations, registration confirmations, reminders) through your SendGrid account.',
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
        },
      },
      baseUrl: 'https://api.sendgrid.com',

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
      },
    },
  ],
});
