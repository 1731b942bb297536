// ActiveCampaign provider for Plugboard, written against the ActiveCampaign API v3 reference (https://developers.activecampaign.com/reference/overview).
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ registrationTags?: string[], participantTags?: string[], registrationAutomationId?: string }} ActiveCampaignSettings
 * @typedef {import('plugboard/sdk').PluginContext<{ apiKey: string }, ActiveCampaignSettings>} ActiveCampaignContext
 * @typedef {{ id: string, email: string, firstName?: string, lastName?: string, phone?: string, cdate?: string, udate?: string, deleted?: string }} AcContact
 */

/** The account name is the first label of the account's API URL, https://<account>.api-us1.com. */
const ACCOUNT_NAME = '^[a-z0-9][a-z0-9-]{0,62}$';
/** Lists page with offset/limit: 20 by default, at most 100 a page; `meta.total` counts the whole collection. */
const PAGE_SIZE = 100;
/** Tag templates may name the event's session or room: "webinar-{sessionId}". */
const TAG_PLACEHOLDER = /\{(sessionId|roomId)\}/g;

/** A field name from a JSON:API source pointer (`/data/attributes/email` → `email`). */
const field = (pointer) => (typeof pointer === 'string' && pointer ? pointer.split('/').pop() : undefined);

/**
 * ActiveCampaign answers refusals two ways: `{ errors: [{ title, detail, code, source: { pointer } }] }`
 * (validation, duplicates) and a bare `{ message }` (403 "Forbidden", "No Result found for …").
 */
const errors = {
  message: (body) => {
    if (Array.isArray(body?.errors) && body.errors.length > 0) {
      return body.errors
        .map((error) => {
          const text = [error?.title, error?.detail].filter((part) => typeof part === 'string' && part.trim()).join(': ');
          const name = field(error?.source?.pointer);
          return name && text ? `${name}: ${text}` : text;
        })
        .filter(Boolean)
        .join('; ');
    }
    return typeof body?.message === 'string' && body.message ? body.message : undefined;
  },
};

/**
 * Calls the v3 API under the connection's account (the host fills `{accountName}` in the base URL and
 * adds the `Api-Token` header).
 * @param {ActiveCampaignContext} ctx
 */
async function ac(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  return readJson(response, ctx, errors);
}

/** @param {ActiveCampaignContext} ctx */
function accountName(ctx) {
  const name = ctx.integration?.metadata?.accountName;
  if (typeof name !== 'string' || !new RegExp(ACCOUNT_NAME).test(name)) {
    throw new ProviderRejectedError('No ActiveCampaign account name: enter the first part of your API URL (https://<account>.api-us1.com).');
  }
  return name;
}

/** Replaces every credential value (4+ characters) a provider message echoes. */
function redact(text, credentials) {
  let out = text;
  for (const value of Object.values(credentials ?? {})) if (typeof value === 'string' && value.length >= 4) out = out.split(value).join('[redacted]');
  return out;
}

/** @param {AcContact} contact */
function contactRecord(contact) {
  return {
    id: String(contact.id),
    email: contact.email ?? null,
    firstName: contact.firstName || null,
    lastName: contact.lastName || null,
    phone: contact.phone || null,
    createdAt: contact.cdate ?? null,
    updatedAt: contact.udate ?? null,
  };
}

/** "Ana  da Silva" → first "Ana", last "da Silva". */
function splitName(name) {
  if (typeof name !== 'string' || !name.trim()) return {};
  const [firstName, ...rest] = name.trim().split(/\s+/);
  return { firstName, ...(rest.length ? { lastName: rest.join(' ') } : {}) };
}

/**
 * Creates the contact or updates the one with this email (`POST /contact/sync` is ActiveCampaign's
 * upsert by email). Only the fields given are sent, so nothing set elsewhere is blanked.
 * @param {ActiveCampaignContext} ctx
 */
async function syncContact(ctx, { email, firstName, lastName, phone, fieldValues }) {
  const contact = {
    email: email.trim(),
    ...(firstName ? { firstName } : {}),
    ...(lastName ? { lastName } : {}),
    ...(phone ? { phone } : {}),
    ...(fieldValues?.length ? { fieldValues: fieldValues.map((entry) => ({ field: String(entry.field), value: entry.value })) } : {}),
  };
  const body = await ac(ctx, '/contact/sync', { method: 'POST', body: { contact } });
  if (!body?.contact?.id) throw new Error('ActiveCampaign answered the contact sync without a contact');
  return {
    ...contactRecord(body.contact),
    fieldValues: (body.fieldValues ?? []).map((entry) => ({ field: String(entry.field), value: entry.value })),
  };
}

/**
 * The id of the contact with this email: looked up (`GET /contacts?email=`), or created with the
 * email alone when there is none.
 * @param {ActiveCampaignContext} ctx
 */
async function contactId(ctx, email) {
  const found = await ac(ctx, `/contacts?${new URLSearchParams({ email: email.trim() })}`);
  const match = (found?.contacts ?? []).find((contact) => String(contact.email).toLowerCase() === email.trim().toLowerCase());
  if (match) return { id: String(match.id), created: false };
  const created = await syncContact(ctx, { email });
  return { id: created.id, created: true };
}

/**
 * The id of the contact tag with this name: searched (`GET /tags?search=`, a "contains" search, so
 * the exact name is picked out of the answers), or created (`POST /tags`).
 * @param {ActiveCampaignContext} ctx
 * @param {Map<string, { id: string, created: boolean }>} [cache] tags already resolved in this call
 */
async function tagId(ctx, name, cache = new Map()) {
  const key = name.toLowerCase();
  const known = cache.get(key);
  if (known) return known;
  const found = await ac(ctx, `/tags?${new URLSearchParams({ search: name, limit: String(PAGE_SIZE) })}`);
  const same = (found?.tags ?? []).filter((tag) => String(tag.tag).toLowerCase() === key);
  const match = same.find((tag) => (tag.tagType ?? 'contact') === 'contact');
  let result;
  if (match) result = { id: String(match.id), created: false };
  else {
    const body = await ac(ctx, '/tags', { method: 'POST', body: { tag: { tag: name, tagType: 'contact', description: 'Added by Plugboard' } } });
    if (!body?.tag?.id) throw new Error('ActiveCampaign answered the tag creation without a tag');
    result = { id: String(body.tag.id), created: true };
  }
  cache.set(key, result);
  return result;
}

/** @param {ActiveCampaignContext} ctx */
async function tagContact(ctx, contact, tag) {
  const body = await ac(ctx, '/contactTags', { method: 'POST', body: { contactTag: { contact, tag } } });
  return body?.contactTag?.id ? String(body.contactTag.id) : null;
}

/** @param {ActiveCampaignContext} ctx */
async function addToAutomation(ctx, contact, automation) {
  const body = await ac(ctx, '/contactAutomations', { method: 'POST', body: { contactAutomation: { contact, automation } } });
  return body?.contactAutomation?.id ? String(body.contactAutomation.id) : null;
}

/** The configured tag templates with `{sessionId}`/`{roomId}` filled; a template naming a value the event lacks is skipped. */
function renderTags(templates, data) {
  const tags = [];
  const skipped = [];
  for (const template of templates ?? []) {
    let missing = false;
    const tag = template
      .replace(TAG_PLACEHOLDER, (_match, name) => {
        const value = data?.[name];
        if (typeof value !== 'string' && typeof value !== 'number') missing = true;
        return missing ? '' : String(value);
      })
      .trim()
      .slice(0, 255);
    if (missing || !tag) skipped.push(template);
    else if (!tags.some((existing) => existing.toLowerCase() === tag.toLowerCase())) tags.push(tag);
  }
  return { tags, skipped };
}

/**
 * Syncs the person an event names, tags them with the configured tags and (registrations) adds them
 * to the configured automation.
 * @param {ActiveCampaignContext} ctx
 */
async function reactToPerson(ctx, event, { templates, automationId, what }) {
  const data = event.data ?? {};
  if (typeof data.email !== 'string' || !data.email.trim()) {
    ctx.log.warn(`${what} without an email: no contact synced`, { eventId: event.id });
    return;
  }
  const contact = await syncContact(ctx, { email: data.email, ...splitName(data.name) });
  const { tags, skipped } = renderTags(templates, data);
  if (skipped.length) ctx.log.warn('tags naming a value the event lacks were skipped', { eventId: event.id, skipped });
  const cache = new Map();
  for (const tag of tags) await tagContact(ctx, contact.id, (await tagId(ctx, tag, cache)).id);
  let automation = null;
  if (automationId) automation = await addToAutomation(ctx, contact.id, automationId);
  ctx.log.info(`${what}: contact synced`, { eventId: event.id, contactId: contact.id, tags: tags.length, automation: automation !== null });
}

/** `udate` ("2026-01-02T10:00:00-05:00") as an ISO instant in UTC, comparable as text. */
function instant(value) {
  const time = Date.parse(value ?? '');
  return Number.isNaN(time) ? undefined : new Date(time).toISOString().replace(/\.000Z$/, 'Z');
}

const email = { type: 'string', format: 'email', maxLength: 254, description: 'The contact’s email address' };
const digits = (description) => ({ type: 'string', pattern: '^[1-9][0-9]{0,18}$', description });
const tagTemplates = (description) => ({
  type: 'array',
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: 255 },
  description,
});

export default definePlugin({
  providers: [
    {
      id: 'activecampaign',
      name: 'ActiveCampaign',
      category: 'crm',
      description: 'Keep ActiveCampaign contacts in step with your sessions: sync registrants and participants, tag them by session, add them to automations, and sync contacts back.',
      connectionInputs: {
        type: 'object',
        required: ['accountName'],
        additionalProperties: false,
        properties: {
          accountName: {
            type: 'string',
            pattern: ACCOUNT_NAME,
            title: 'Account name',
            description: 'The first part of your API URL (Settings → Developer): for https://acme.api-us1.com (or acme.activehosted.com) enter "acme".',
          },
        },
      },
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
              description: 'The API key shown under Settings → Developer of your ActiveCampaign account (each user has their own)',
              minLength: 8,
              maxLength: 200,
              pattern: '^\\S+$',
              secret: true,
            },
          },
        },
        apply: { headers: { 'Api-Token': '{apiKey}' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          registrationTags: tagTemplates('Tags given to everyone who registers; {sessionId} and {roomId} are filled from the event, e.g. "registered-{sessionId}"'),
          participantTags: tagTemplates('Tags given to everyone who joins a session; {sessionId} and {roomId} are filled from the event, e.g. "attended-{sessionId}"'),
          registrationAutomationId: {
            ...digits('When set, registrants are also added to this automation (its id, from the automation’s URL)'),
            title: 'Automation for registrants',
          },
        },
      },
      baseUrl: 'https://{accountName}.api-us1.com/api/3',
      // Documented: 5 requests per second per account, whatever the key.
      rateLimits: [{ requests: 5, windowMs: 1000, scope: 'account', accountKey: 'accountName' }],
      errors,

      /** Who the key belongs to (`GET /users/me`). @param {ActiveCampaignContext} ctx */
      async verify(ctx) {
        const account = accountName(ctx);
        const response = await ctx.http('/users/me', { headers: { accept: 'application/json' } });
        if (response.status === 403) {
          let said;
          try {
            said = errors.message(await response.json());
          } catch {
            said = undefined;
          }
          throw new ProviderRejectedError(
            redact(`ActiveCampaign refused the API key for ${account}.api-us1.com${said ? ` (${said})` : ''}: copy the key from Settings → Developer of that account.`, ctx.credentials),
          );
        }
        const body = await readJson(response, ctx, errors);
        const user = body?.user;
        if (!user?.id) throw new Error('ActiveCampaign answered /users/me without a user');
        const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.username || null;
        return {
          displayName: name && user.email ? `${name} <${user.email}> (${account})` : `${name ?? user.email ?? 'ActiveCampaign'} (${account})`,
          metadata: {
            accountName: account,
            apiUrl: `https://${account}.api-us1.com`,
            userId: String(user.id),
            username: user.username ?? null,
            email: user.email ?? null,
            firstName: user.firstName || null,
            lastName: user.lastName || null,
          },
        };
      },

      healthCheck: { request: { path: '/users/me' } },

      actions: {
        syncContact: {
          description: 'Creates a contact, or updates the one with this email (ActiveCampaign’s contact sync). Custom fields go by field id.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email,
              firstName: { type: 'string', minLength: 1, maxLength: 255 },
              lastName: { type: 'string', minLength: 1, maxLength: 255 },
              phone: { type: 'string', minLength: 1, maxLength: 50 },
              fieldValues: {
                type: 'array',
                maxItems: 100,
                description: 'Custom field values: the field’s id and its value (dates as YYYY-MM-DD, several options as ||a||b||)',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['field', 'value'],
                  properties: { field: digits('The custom field’s id'), value: { type: 'string', maxLength: 65535 } },
                },
              },
            },
          },
          /** @param {ActiveCampaignContext} ctx */
          run: syncContact,
        },
        addTag: {
          description: 'Tags the contact with this email, creating the tag (and the contact) when they do not exist yet.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'tag'],
            properties: { email, tag: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S', description: 'The tag’s name' } },
          },
          /** @param {ActiveCampaignContext} ctx */
          async run(ctx, input) {
            const name = input.tag.trim();
            const tag = await tagId(ctx, name);
            const contact = await contactId(ctx, input.email);
            const contactTagId = await tagContact(ctx, contact.id, tag.id);
            return { contactId: contact.id, tagId: tag.id, tag: name, contactTagId, tagCreated: tag.created, contactCreated: contact.created };
          },
        },
        addToAutomation: {
          description: 'Adds the contact with this email to an automation (the contact is created when it does not exist yet).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'automationId'],
            properties: { email, automationId: digits('The automation’s id') },
          },
          /** @param {ActiveCampaignContext} ctx */
          async run(ctx, input) {
            const contact = await contactId(ctx, input.email);
            const contactAutomationId = await addToAutomation(ctx, contact.id, input.automationId);
            return { contactId: contact.id, automationId: input.automationId, contactAutomationId, contactCreated: contact.created };
          },
        },
      },

      onEvent: {
        /** Syncs the registrant, tags them and adds them to the configured automation. @param {ActiveCampaignContext} ctx */
        async 'registration.received'(ctx, event) {
          await reactToPerson(ctx, event, {
            templates: ctx.settings?.registrationTags,
            automationId: ctx.settings?.registrationAutomationId,
            what: 'registration',
          });
        },
        /** Syncs the participant and tags them with the configured tags. @param {ActiveCampaignContext} ctx */
        async 'participant.joined'(ctx, event) {
          await reactToPerson(ctx, event, { templates: ctx.settings?.participantTags, what: 'participant joined' });
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * Contacts page by page (offset/limit, until `meta.total`), oldest id first; after the first
         * run only those updated since the last run's latest `udate` (`filters[updated_after]`).
         * @param {ActiveCampaignContext} ctx
         */
        async run(ctx, input) {
          const since = input?.highWaterMarks?.contacts;
          const contacts = [];
          const deleted = [];
          let mark = since;
          for (let offset = 0; ; offset += PAGE_SIZE) {
            const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset), 'orders[id]': 'ASC' });
            if (since) query.set('filters[updated_after]', since);
            const page = await ac(ctx, `/contacts?${query}`);
            const list = Array.isArray(page?.contacts) ? page.contacts : [];
            for (const contact of list) {
              if (String(contact.deleted ?? '0') === '1') deleted.push(String(contact.id));
              else contacts.push(contactRecord(contact));
              const updated = instant(contact.udate);
              if (updated && (mark === undefined || updated > mark)) mark = updated;
            }
            const total = Number(page?.meta?.total);
            if (list.length === 0 || (Number.isFinite(total) ? offset + list.length >= total : list.length < PAGE_SIZE)) break;
          }
          return {
            records: { contacts },
            ...(mark ? { highWaterMarks: { contacts: mark } } : {}),
            ...(deleted.length ? { deleted: { contacts: deleted } } : {}),
          };
        },
      },
    },
  ],
});
