// Kit (formerly ConvertKit) provider for Plugboard, written against the Kit API V4 reference (https://developers.kit.com/api-reference/overview).
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ registrationTagIds?: number[], registrationFormId?: number, participantTagIds?: number[] }} KitSettings
 * @typedef {import('plugboard/sdk').PluginContext<{ apiKey: string }, KitSettings>} KitContext
 */

/** List endpoints page by cursor: 500 a page by default, at most 1000. */
const MAX_PAGE = 1000;

/** Kit answers every refusal as `{ "errors": ["…", …] }`. */
const errors = {
  message: (body) => {
    const list = Array.isArray(body?.errors) ? body.errors.filter((entry) => typeof entry === 'string' && entry) : [];
    return list.length ? list.join('; ') : undefined;
  },
};

/**
 * Calls the V4 API (the host adds `X-Kit-Api-Key`). A 429 is Kit's plain-text "Retry later", without
 * Retry-After; the limit resets within 60 seconds.
 * @param {KitContext} ctx
 */
async function kit(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  if (response.status === 429) {
    const said = (await response.text()).trim().slice(0, 200);
    throw new ProviderRateLimitedError(`Kit is rate limiting this API key (120 requests a minute)${said ? `: ${said}` : ''}`);
  }
  return { body: await readJson(response, ctx, errors), status: response.status };
}

const unique = (ids) => [...new Set(ids ?? [])];

function subscriberRecord(subscriber) {
  return {
    id: subscriber.id,
    email: subscriber.email_address,
    firstName: subscriber.first_name ?? null,
    state: subscriber.state ?? null,
    createdAt: subscriber.created_at ?? null,
  };
}

/**
 * Adds (or updates, by email) a subscriber, then adds them to the form and gives them the tags. With a
 * form, a new subscriber starts `inactive` so the form's own opt-in decides: a single opt-in form makes
 * them active, a double opt-in form sends its incentive email. Kit never changes an existing
 * subscriber's state here, so nobody who unsubscribed is subscribed again.
 * @param {KitContext} ctx
 */
async function addSubscriber(ctx, { email, firstName, fields, tagIds, formId, referrer }) {
  const address = email.trim();
  const { body, status } = await kit(ctx, '/subscribers', {
    method: 'POST',
    body: {
      email_address: address,
      ...(firstName ? { first_name: firstName } : {}),
      ...(formId ? { state: 'inactive' } : {}),
      ...(fields && Object.keys(fields).length ? { fields } : {}),
    },
  });
  if (!body?.subscriber?.id) throw new Error('Kit answered the subscriber creation without a subscriber');
  let subscriber = body.subscriber;
  if (formId) {
    const added = await kit(ctx, `/forms/${encodeURIComponent(formId)}/subscribers`, {
      method: 'POST',
      body: { email_address: address, ...(referrer ? { referrer } : {}) },
    });
    subscriber = { ...subscriber, ...(added.body?.subscriber ?? {}) };
  }
  const tags = unique(tagIds);
  for (const tagId of tags) await kit(ctx, `/tags/${encodeURIComponent(tagId)}/subscribers`, { method: 'POST', body: { email_address: address } });
  return {
    ...subscriberRecord(subscriber),
    created: status === 201,
    formId: formId ?? null,
    tagIds: tags,
    ...(Array.isArray(body.warnings) && body.warnings.length ? { warnings: body.warnings } : {}),
  };
}

/** "Ana Lima" → "Ana" (Kit keeps a first name; other fields are custom fields). */
const firstNameOf = (name) => (typeof name === 'string' && name.trim() ? name.trim().split(/\s+/)[0] : undefined);

const email = { type: 'string', format: 'email', maxLength: 254, description: 'The subscriber’s email address' };
const kitId = (description) => ({ type: 'integer', minimum: 1, maximum: 9007199254740991, description });
const idList = (description) => ({ type: 'array', maxItems: 50, uniqueItems: true, items: kitId('A tag id'), description });
const page = {
  after: { type: 'string', minLength: 1, maxLength: 500, description: 'The `nextCursor` of the previous page' },
  perPage: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 500 },
};
const next = (body) => (body?.pagination?.has_next_page ? (body.pagination.end_cursor ?? null) : null);

export default definePlugin({
  providers: [
    {
      id: 'kit',
      name: 'Kit',
      category: 'crm',
      description: 'Grow your Kit (formerly ConvertKit) list from your sessions: add registrants as subscribers with tags and a form, tag participants, and sync subscribers.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: {
            apiKey: {
              type: 'string',
              title: 'API key (V4)',
              description: 'A V4 API key from Settings → Developer in Kit (V3 keys do not work with the V4 API)',
              minLength: 8,
              maxLength: 200,
              pattern: '^\\S+$',
              secret: true,
            },
          },
        },
        apply: { headers: { 'X-Kit-Api-Key': '{apiKey}' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          registrationFormId: { ...kitId('Registrants are added to this form (its id); its opt-in applies to new subscribers'), title: 'Form for registrants' },
          registrationTagIds: { ...idList('Tags (ids) given to every registrant'), title: 'Tags for registrants' },
          participantTagIds: { ...idList('Tags (ids) given to subscribers who join a session'), title: 'Tags for participants' },
        },
      },
      baseUrl: 'https://api.kit.com/v4',
      // Documented: 120 requests in a rolling 60 seconds for each API key (OAuth tokens get 600).
      rateLimits: [{ requests: 120, windowMs: 60_000, scope: 'connection' }],
      errors,

      /** The account the key belongs to (`GET /account`). @param {KitContext} ctx */
      async verify(ctx) {
        const response = await ctx.http('/account', { headers: { accept: 'application/json' } });
        if (response.status === 401) {
          let said;
          try {
            said = errors.message(await response.json());
          } catch {
            said = undefined;
          }
          throw new ProviderRejectedError(`Kit refused the API key${said ? ` (${said})` : ''}: use a V4 key from Settings → Developer.`);
        }
        if (response.status === 429) throw new ProviderRateLimitedError('Kit is rate limiting this API key (120 requests a minute): Retry later');
        const body = await readJson(response, ctx, errors);
        const account = body?.account;
        if (!account?.id) throw new Error('Kit answered /account without an account');
        return {
          displayName: account.primary_email_address ? `${account.name} (${account.primary_email_address})` : account.name,
          metadata: {
            kitAccountId: account.id,
            accountName: account.name ?? null,
            primaryEmail: account.primary_email_address ?? null,
            planType: account.plan_type ?? null,
            userEmail: body.user?.email ?? null,
          },
        };
      },

      healthCheck: { request: { path: '/account' } },

      actions: {
        addSubscriber: {
          description:
            'Adds a subscriber, or updates the first name and custom fields of the one with this email, then adds them to a form and tags them. With a form, new subscribers follow its opt-in.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email,
              firstName: { type: 'string', minLength: 1, maxLength: 255 },
              fields: {
                type: 'object',
                maxProperties: 140,
                additionalProperties: { type: 'string', maxLength: 2000 },
                description: 'Custom field values by the field’s key (e.g. "last_name"); keys the account does not have are ignored by Kit',
              },
              tagIds: idList('Tags (ids) to give the subscriber'),
              formId: kitId('A form (id) to add the subscriber to'),
              referrer: { type: 'string', format: 'uri', maxLength: 2000, description: 'The page the subscriber signed up on (UTM parameters are read from it)' },
            },
          },
          /** @param {KitContext} ctx */
          run: addSubscriber,
        },
        listTags: {
          description: 'Lists the account’s tags (id and name), newest first; page with `after`.',
          inputSchema: { type: 'object', additionalProperties: false, properties: page },
          request: { path: '/tags', query: { after: '{after}', per_page: '{perPage}' } },
          result: (body) => ({
            tags: (body?.tags ?? []).map((tag) => ({ id: tag.id, name: tag.name, createdAt: tag.created_at ?? null })),
            nextCursor: next(body),
          }),
        },
        listForms: {
          description: 'Lists the account’s forms and landing pages (id, name, type), newest first; page with `after`.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: { ...page, status: { enum: ['active', 'archived', 'trashed', 'all'], default: 'active' } },
          },
          request: { path: '/forms', query: { after: '{after}', per_page: '{perPage}', status: '{status}' } },
          result: (body) => ({
            forms: (body?.forms ?? []).map((form) => ({
              id: form.id,
              name: form.name,
              type: form.type ?? null,
              uid: form.uid ?? null,
              archived: form.archived === true,
              embedUrl: form.embed_url ?? null,
            })),
            nextCursor: next(body),
          }),
        },
      },

      onEvent: {
        /** Adds the registrant with the configured form and tags. @param {KitContext} ctx */
        async 'registration.received'(ctx, event) {
          const data = event.data ?? {};
          if (typeof data.email !== 'string' || !data.email.trim()) {
            ctx.log.warn('registration without an email: no subscriber added', { eventId: event.id });
            return;
          }
          const subscriber = await addSubscriber(ctx, {
            email: data.email,
            firstName: firstNameOf(data.name),
            tagIds: ctx.settings?.registrationTagIds,
            formId: ctx.settings?.registrationFormId,
          });
          ctx.log.info('registrant added to Kit', { eventId: event.id, subscriberId: subscriber.id, state: subscriber.state, tags: subscriber.tagIds.length });
        },
        /**
         * Tags a participant who is already a subscriber; someone who never subscribed is not added
         * (joining a session is not consent to a mailing list).
         * @param {KitContext} ctx
         */
        async 'participant.joined'(ctx, event) {
          const data = event.data ?? {};
          const tags = unique(ctx.settings?.participantTagIds);
          if (tags.length === 0) return;
          if (typeof data.email !== 'string' || !data.email.trim()) {
            ctx.log.warn('participant without an email: not tagged', { eventId: event.id });
            return;
          }
          const address = data.email.trim();
          const { body } = await kit(ctx, `/subscribers?${new URLSearchParams({ email_address: address, status: 'all' })}`);
          const subscriber = (body?.subscribers ?? [])[0];
          if (!subscriber) {
            ctx.log.info('participant is not a Kit subscriber: not tagged', { eventId: event.id });
            return;
          }
          for (const tagId of tags) await kit(ctx, `/tags/${encodeURIComponent(tagId)}/subscribers`, { method: 'POST', body: { email_address: address } });
          ctx.log.info('participant tagged in Kit', { eventId: event.id, subscriberId: subscriber.id, tags: tags.length });
        },
      },

      sync: {
        defaultFrequency: '6h',
        models: {
          // Every subscriber, whatever its state, 1000 a page, following `pagination.end_cursor` with `after`
          // while `has_next_page` (Kit names an end cursor on the last page too).
          subscribers: {
            request: { path: '/subscribers', query: { per_page: String(MAX_PAGE), status: 'all' } },
            items: '/subscribers',
            pagination: { type: 'cursor', cursor: '/pagination/end_cursor', param: 'after', hasMore: '/pagination/has_next_page' },
          },
        },
      },
    },
  ],
});
