// Mailchimp provider for Plugboard, written against the Mailchimp Marketing API 3.0 and its OAuth 2.0
// flow (https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/).
import { createHash } from 'node:crypto';
import { definePlugin, paginate, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ listId?: string, doubleOptIn?: boolean, tags?: string[] }} MailchimpSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, MailchimpSettings>} MailchimpContext
 */

/** Each account lives in one data centre; its API is at https://<dc>.api.mailchimp.com. */
const METADATA_URL = 'https://login.mailchimp.com/oauth2/metadata';
const DC_PATTERN = /^[a-z]{2,10}\d{1,3}$/;
const PAGE_SIZE = 100;

/** Mailchimp's problem documents: refusals show their title, detail and field errors. */
const errors = {
  message: (body) =>
    [body?.title, body?.detail, Array.isArray(body?.errors) ? body.errors.map((error) => `${error.field}: ${error.message}`).join('; ') : '']
      .filter(Boolean)
      .join(': '),
};

/** The audiences, page by page (count/offset). */
const lists = { request: { path: '/lists' }, items: '/lists', pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'count', limit: PAGE_SIZE } };

/**
 * Calls the Marketing API under the integration's data centre (the host fills `{dc}` in the base URL
 * from the metadata `verify` stored and adds the bearer token).
 * @param {MailchimpContext} ctx
 */
const mailchimp = async (ctx, path, init = {}) => readJson(await ctx.http(path, init), ctx, errors);

/** Mailchimp addresses a member by the MD5 of the lower-cased email. */
function subscriberHash(email) {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

function audienceRecord(list) {
  return {
    id: list.id,
    name: list.name,
    webId: list.web_id ?? null,
    memberCount: list.stats?.member_count ?? 0,
    unsubscribeCount: list.stats?.unsubscribe_count ?? 0,
    createdAt: list.date_created ?? null,
  };
}

/**
 * Adds or updates a member (PUT is an upsert). `status_if_new` only applies to new members, so an
 * existing contact who unsubscribed is never re-subscribed.
 * @param {MailchimpContext} ctx
 */
async function upsertMember(ctx, { listId, email, firstName, lastName, mergeFields, doubleOptIn, tags }) {
  const list = listId ?? ctx.settings?.listId;
  if (!list) throw new ProviderRejectedError('No audience: set listId in the integration settings or in the input.');
  const hash = subscriberHash(email);
  const member = await mailchimp(ctx, `/lists/${encodeURIComponent(list)}/members/${hash}`, {
    method: 'PUT',
    body: {
      email_address: email.trim(),
      status_if_new: (doubleOptIn ?? ctx.settings?.doubleOptIn) ? 'pending' : 'subscribed',
      merge_fields: { ...(firstName ? { FNAME: firstName } : {}), ...(lastName ? { LNAME: lastName } : {}), ...(mergeFields ?? {}) },
    },
  });
  if (tags?.length) {
    await mailchimp(ctx, `/lists/${encodeURIComponent(list)}/members/${hash}/tags`, {
      method: 'POST',
      body: { tags: tags.map((name) => ({ name, status: 'active' })) },
    });
  }
  return { id: member.id, email: member.email_address, status: member.status, listId: member.list_id ?? list, tags: tags ?? [] };
}

const tagList = { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } };

export default definePlugin({
  providers: [
    {
      id: 'mailchimp',
      name: 'Mailchimp',
      category: 'email',
      description: 'Add session registrants to a Mailchimp audience and sync your audiences.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://login.mailchimp.com/oauth2/authorize',
        tokenUrl: 'https://login.mailchimp.com/oauth2/token',
        // Mailchimp has no scopes, and its tokens never expire (expires_in is 0): there is nothing to refresh.
        scopes: [],
        refresh: false,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          listId: { type: 'string', minLength: 1, maxLength: 100, title: 'Audience', description: 'The audience (list id) registrants are added to' },
          doubleOptIn: { type: 'boolean', default: false, title: 'Double opt-in', description: 'New members get a confirmation email and stay pending until they confirm' },
          tags: { ...tagList, title: 'Tags', description: 'Tags given to every registrant added' },
        },
      },
      baseUrl: 'https://{dc}.api.mailchimp.com/3.0',
      errors,

      /** The metadata endpoint tells which data centre serves the account. @param {MailchimpContext} ctx */
      async verify(ctx) {
        const response = await ctx.http(METADATA_URL, { headers: { Authorization: `OAuth ${ctx.credentials.accessToken}` } });
        if (response.status === 401 || response.status === 403) throw new ProviderRejectedError('Mailchimp refused the access token: connect the account again.');
        const body = await readJson(response, ctx, errors);
        if (typeof body?.dc !== 'string' || !DC_PATTERN.test(body.dc)) throw new Error('Mailchimp metadata has no valid data centre');
        return {
          displayName: body.accountname || body.login?.login_email || `Mailchimp (${body.dc})`,
          metadata: {
            dc: body.dc,
            apiEndpoint: `https://${body.dc}.api.mailchimp.com`,
            accountName: body.accountname ?? null,
            loginEmail: body.login?.login_email ?? null,
            userId: body.user_id ?? null,
          },
        };
      },

      healthCheck: { request: { path: '/ping' } },

      actions: {
        listAudiences: {
          description: 'Lists the account’s audiences (lists) with their member counts; page with offset.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: { count: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, offset: { type: 'integer', minimum: 0, default: 0 } },
          },
          /** @param {MailchimpContext} ctx */
          async run(ctx, input = {}) {
            const page = await mailchimp(ctx, `/lists?count=${input.count ?? 100}&offset=${input.offset ?? 0}`);
            return { audiences: page.lists.map(audienceRecord), totalItems: page.total_items };
          },
        },
        addMember: {
          description: 'Adds a contact to an audience, or updates them if present (never re-subscribes someone who unsubscribed).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email: { type: 'string', format: 'email' },
              listId: { type: 'string', minLength: 1, maxLength: 100, description: 'Defaults to the configured audience' },
              firstName: { type: 'string', maxLength: 255 },
              lastName: { type: 'string', maxLength: 255 },
              mergeFields: { type: 'object', description: 'Other merge fields by tag, e.g. { "COMPANY": "Acme" }' },
              doubleOptIn: { type: 'boolean' },
              tags: tagList,
            },
          },
          /** @param {MailchimpContext} ctx */
          run: upsertMember,
        },
      },

      onEvent: {
        /** Adds the registrant to the configured audience. @param {MailchimpContext} ctx */
        async 'registration.received'(ctx, event) {
          const data = event.data ?? {};
          if (!ctx.settings?.listId) {
            ctx.log.warn('no audience configured: registrant not added', { eventId: event.id });
            return;
          }
          if (typeof data.email !== 'string') {
            ctx.log.warn('registration without an email: nothing to add', { eventId: event.id });
            return;
          }
          const [firstName, ...rest] = typeof data.name === 'string' ? data.name.trim().split(/\s+/) : [];
          const member = await upsertMember(ctx, { email: data.email, firstName, lastName: rest.join(' ') || undefined, tags: ctx.settings.tags });
          ctx.log.info('registrant added to the audience', { eventId: event.id, status: member.status });
        },
      },

      sync: {
        defaultFrequency: '6h',
        /** @param {MailchimpContext} ctx */
        async run(ctx) {
          const audiences = [];
          for await (const list of paginate(ctx, lists, {}, errors)) audiences.push(audienceRecord(list));
          return { records: { audiences } };
        },
      },
    },
  ],
});
