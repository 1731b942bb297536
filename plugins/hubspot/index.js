// HubSpot provider for Plugboard, written against HubSpot's API reference (https://developers.hubspot.com/docs/api-reference): OAuth (2026-03 token endpoint, v1 token metadata), CRM v3 objects, search, properties and pipelines, CRM v4 associations.
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ registered?: string, registeredAt?: string, attended?: string, lastJoinedAt?: string, watchTimeSeconds?: string, lastSessionId?: string }} PropertyMapping
 * @typedef {{ propertyMapping?: PropertyMapping, pipelineId?: string, registeredStageId?: string, attendedStageId?: string, noShowStageId?: string, dealSessionProperty?: string, dealNamePrefix?: string }} HubSpotSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, HubSpotSettings>} HubSpotContext
 * @typedef {{ id: string, properties?: Record<string, string | null>, createdAt?: string, updatedAt?: string, archived?: boolean, new?: boolean }} CrmObject
 */

/** What every connection needs: contacts are read, written and synced. */
const REQUIRED_SCOPES = ['crm.objects.contacts.read', 'crm.objects.contacts.write'];
/** What moving deals needs. */
const DEAL_SCOPES = ['crm.objects.deals.read', 'crm.objects.deals.write'];
/** Batch endpoints take at most 100 inputs. */
const BATCH_SIZE = 100;
/** The list endpoint serves at most 100 records a page, search at most 200. */
const LIST_PAGE = 100;
const SEARCH_PAGE = 200;
/** A search query pages through at most 10,000 results. */
const SEARCH_CAP = 10_000;
/** Search results lag writes by a few seconds: incremental syncs look back this far past the last mark. */
const SEARCH_LAG_MS = 5 * 60_000;
/** HubSpot-defined association type: deal → contact. */
const DEAL_TO_CONTACT = 3;
/** Internal property names: lower case letters, digits and underscores, starting with a letter. */
const PROPERTY_NAME = '^[a-z][a-z0-9_]{0,99}$';
/** Pipeline and stage ids: `default`, `appointmentscheduled`, or numeric ids of custom ones. */
const PIPELINE_ID = '^[A-Za-z0-9_-]{1,100}$';
const CONTACT_PROPERTIES = ['email', 'firstname', 'lastname', 'createdate', 'lastmodifieddate'];

/** The detail behind HubSpot's `Property values were not valid: [{…}]`, whose list is JSON inside the message. */
function invalidProperties(message) {
  const match = /^Property values were not valid: (\[.*\])$/s.exec(message);
  if (!match) return undefined;
  try {
    const list = JSON.parse(match[1]);
    const lines = Array.isArray(list) ? list.map((entry) => entry?.message).filter((text) => typeof text === 'string' && text) : [];
    return lines.length ? lines.join('; ') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * HubSpot's error body is `{ status: 'error', message, correlationId, category, errors?: [{ message, context }] }`.
 * Refusals show the message (property problems unwrapped from the JSON HubSpot embeds in it), the scopes
 * a call lacked, and the correlation id HubSpot support asks for.
 */
function hubspotMessage(body) {
  if (!body || typeof body !== 'object') return undefined;
  const details = Array.isArray(body.errors) ? body.errors.map((entry) => entry?.message).filter((text) => typeof text === 'string' && text) : [];
  const message = typeof body.message === 'string' && body.message ? body.message : undefined;
  let text = message ? (invalidProperties(message) ?? message) : undefined;
  if (body.category === 'VALIDATION_ERROR' && details.length) text = details.join('; ');
  text ??= details.join('; ') || (typeof body.error_description === 'string' ? body.error_description : undefined);
  if (!text) return undefined;
  const scopes = new Set();
  for (const entry of [body, ...(Array.isArray(body.errors) ? body.errors : [])]) {
    for (const key of ['requiredGranularScopes', 'requiredScopes']) for (const scope of entry?.context?.[key] ?? []) scopes.add(scope);
  }
  if (scopes.size) text = `${text} Required scopes: ${[...scopes].join(', ')}.`;
  return body.correlationId ? `${text} (HubSpot correlation id ${body.correlationId})` : text;
}

const errors = { message: hubspotMessage };

/**
 * A 429 as HubSpot sends it: `{ errorType: 'RATE_LIMIT', policyName, message }` and `X-HubSpot-RateLimit-*`
 * headers. HubSpot sends no Retry-After: the window (`X-HubSpot-RateLimit-Interval-Milliseconds`) says how
 * long to wait; the daily policy (private apps only) leaves it to the host.
 */
async function rateLimited(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
  const interval = Number(response.headers.get('x-hubspot-ratelimit-interval-milliseconds') ?? NaN);
  let seconds;
  if (Number.isFinite(retryAfter) && retryAfter > 0) seconds = retryAfter;
  else if (body?.policyName !== 'DAILY') seconds = Number.isFinite(interval) && interval > 0 ? Math.ceil(interval / 1000) : 10;
  return new ProviderRateLimitedError(`HubSpot rate limit reached: ${body?.message ?? 'too many requests'}`, seconds);
}

/**
 * Calls HubSpot under https://api.hubapi.com (the host adds the bearer token and waits for the declared
 * rate-limit budget); answers the JSON or throws what the status means.
 * @param {HubSpotContext} ctx
 */
async function hubspot(ctx, path, init = {}) {
  const response = await ctx.http(path, init);
  if (response.status === 429) throw await rateLimited(response);
  return readJson(response, ctx, errors);
}

const chunks = (items, size) => Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));

/** Property values go to HubSpot as strings; null clears a value. */
function propertyValues(values = {}) {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

/** The message of a batch answer's errors (`207 Multi-Status`). */
function batchErrors(list) {
  return list.map((entry) => hubspotMessage(entry) ?? entry?.category ?? 'error').join('; ');
}

/**
 * Creates or updates contacts by email (`batch/upsert` with `idProperty: email`), 100 a request. Duplicate
 * emails are merged first: HubSpot refuses a batch that names one record twice.
 * @param {HubSpotContext} ctx
 * @param {Array<{ email: string, properties?: Record<string, unknown> }>} contacts
 * @returns {Promise<CrmObject[]>}
 */
async function upsertContacts(ctx, contacts) {
  const byEmail = new Map();
  for (const { email, properties } of contacts) {
    const key = email.trim().toLowerCase();
    byEmail.set(key, { email: email.trim(), properties: { ...(byEmail.get(key)?.properties ?? {}), ...propertyValues(properties) } });
  }
  const upserted = [];
  for (const batch of chunks([...byEmail.values()], BATCH_SIZE)) {
    const body = await hubspot(ctx, '/crm/v3/objects/contacts/batch/upsert', {
      method: 'POST',
      body: { inputs: batch.map(({ email, properties }) => ({ idProperty: 'email', id: email, properties })) },
    });
    const results = Array.isArray(body?.results) ? body.results : [];
    if (Array.isArray(body?.errors) && body.errors.length) {
      if (results.length === 0) throw new ProviderRejectedError(batchErrors(body.errors));
      ctx.log.warn('HubSpot refused some contacts of a batch', { errors: batchErrors(body.errors) });
    }
    upserted.push(...results);
  }
  return upserted;
}

function contactResult(contact, email) {
  return {
    id: contact.id,
    email: contact.properties?.email ?? email,
    created: contact.new === true,
    properties: contact.properties ?? {},
    updatedAt: contact.updatedAt ?? null,
  };
}

/** The engagement properties the settings map, with the values they get. */
function mapped(settings, values) {
  const mapping = settings?.propertyMapping ?? {};
  const properties = {};
  for (const [key, value] of Object.entries(values)) if (mapping[key] && value !== undefined && value !== null) properties[mapping[key]] = value;
  return properties;
}

/** How a person reads in a deal name: their name, else their email. */
function displayName(data) {
  return typeof data.name === 'string' && data.name.trim() ? data.name.trim().replace(/\s+/g, ' ') : data.email;
}

function nameParts(name) {
  if (typeof name !== 'string' || !name.trim()) return {};
  const [firstname, ...rest] = name.trim().split(/\s+/);
  return { firstname, ...(rest.length ? { lastname: rest.join(' ') } : {}) };
}

// --- deals ---------------------------------------------------------------------------------------

/** @param {HubSpotSettings} settings */
function dealStages(settings) {
  return { registered: settings?.registeredStageId, attended: settings?.attendedStageId, noShow: settings?.noShowStageId };
}

/**
 * The contact's deal for this session in the configured pipeline: the deals associated with the contact
 * (v4 associations, read at once, unlike search which lags writes), read in batches, and the one in the
 * pipeline whose session property holds the session id (or any in the pipeline without that property).
 * @param {HubSpotContext} ctx
 * @returns {Promise<CrmObject | undefined>}
 */
async function findDeal(ctx, contactId, sessionId) {
  const { pipelineId, dealSessionProperty } = ctx.settings ?? {};
  const ids = [];
  let after;
  do {
    const query = new URLSearchParams({ limit: '500', ...(after ? { after } : {}) });
    const page = await hubspot(ctx, `/crm/v4/objects/contacts/${encodeURIComponent(contactId)}/associations/deals?${query}`);
    for (const association of page?.results ?? []) ids.push(String(association.toObjectId));
    after = page?.paging?.next?.after;
  } while (after);
  const properties = ['dealname', 'pipeline', 'dealstage', ...(dealSessionProperty ? [dealSessionProperty] : [])];
  for (const batch of chunks(ids, BATCH_SIZE)) {
    // A deal deleted since it was associated comes back as a 207 error: the others still count.
    const body = await hubspot(ctx, '/crm/v3/objects/deals/batch/read', { method: 'POST', body: { inputs: batch.map((id) => ({ id })), properties } });
    const deal = (body?.results ?? []).find(
      (candidate) => candidate.properties?.pipeline === pipelineId && (!dealSessionProperty || candidate.properties?.[dealSessionProperty] === sessionId),
    );
    if (deal) return deal;
  }
  return undefined;
}

/**
 * Puts the contact's deal for the session at the stage of `step`: creates it (associated with the contact)
 * when there is none; a join moves a registered or no-show deal to attended.
 * @param {HubSpotContext} ctx
 * @param {'registered' | 'attended'} step
 */
async function moveDeal(ctx, contact, { sessionId, label, eventId }, step) {
  const settings = ctx.settings ?? {};
  const stages = dealStages(settings);
  const stage = stages[step];
  if (!settings.pipelineId || !stage) return undefined;
  if (settings.dealSessionProperty && !sessionId) {
    ctx.log.warn('no session id in the event: deal left as it is', { eventId });
    return undefined;
  }
  const deal = await findDeal(ctx, contact.id, sessionId);
  if (deal) {
    const current = deal.properties?.dealstage;
    // Only forward, and only from the stages this plugin manages: a registration leaves an existing deal
    // where it is, a join moves it on from registered or no-show, never out of a stage sales chose.
    const movable = step === 'attended' && (!current || [stages.registered, stages.noShow].includes(current));
    if (current === stage || !movable) return { id: deal.id, stage: current ?? null, moved: false };
    await hubspot(ctx, `/crm/v3/objects/deals/${encodeURIComponent(deal.id)}`, { method: 'PATCH', body: { properties: { dealstage: stage } } });
    ctx.log.info('deal moved', { eventId, dealId: deal.id, stage });
    return { id: deal.id, stage, moved: true };
  }
  const prefix = settings.dealNamePrefix || 'Session';
  const created = await hubspot(ctx, '/crm/v3/objects/deals', {
    method: 'POST',
    body: {
      properties: {
        dealname: [sessionId ? `${prefix} ${sessionId}` : prefix, label].join(' – '),
        pipeline: settings.pipelineId,
        dealstage: stage,
        ...(settings.dealSessionProperty ? { [settings.dealSessionProperty]: sessionId } : {}),
      },
      associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: DEAL_TO_CONTACT }] }],
    },
  });
  ctx.log.info('deal created', { eventId, dealId: created?.id, stage });
  return { id: created?.id, stage, moved: true };
}

/**
 * When a session ends, the deals of that session still at the registered stage are no-shows: found with
 * the search API (by pipeline, stage and session property), then moved 100 at a time.
 * @param {HubSpotContext} ctx
 */
async function markNoShows(ctx, sessionId, eventId) {
  const settings = ctx.settings ?? {};
  const { registered, noShow } = dealStages(settings);
  if (!settings.pipelineId || !registered || !noShow) return 0;
  if (!settings.dealSessionProperty) {
    ctx.log.warn('no deal session property configured: no-shows cannot be told apart, deals left as they are', { eventId });
    return 0;
  }
  const filters = [
    { propertyName: 'pipeline', operator: 'EQ', value: settings.pipelineId },
    { propertyName: 'dealstage', operator: 'EQ', value: registered },
    { propertyName: settings.dealSessionProperty, operator: 'EQ', value: sessionId },
  ];
  // Every id first: moving deals out of the stage while paging would shift the pages.
  const ids = [];
  let after;
  do {
    const page = await hubspot(ctx, '/crm/v3/objects/deals/search', {
      method: 'POST',
      body: { filterGroups: [{ filters }], properties: ['dealstage'], limit: SEARCH_PAGE, ...(after ? { after } : {}) },
    });
    ids.push(...(page?.results ?? []).map((deal) => deal.id));
    after = page?.paging?.next?.after;
  } while (after && ids.length + SEARCH_PAGE <= SEARCH_CAP);
  for (const batch of chunks(ids, BATCH_SIZE)) {
    const body = await hubspot(ctx, '/crm/v3/objects/deals/batch/update', {
      method: 'POST',
      body: { inputs: batch.map((id) => ({ id, properties: { dealstage: noShow } })) },
    });
    if (Array.isArray(body?.errors) && body.errors.length) ctx.log.warn('HubSpot refused to move some deals', { eventId, errors: batchErrors(body.errors) });
  }
  return ids.length;
}

// --- sync ----------------------------------------------------------------------------------------

function contactRecord(contact) {
  const properties = contact.properties ?? {};
  return {
    id: String(contact.id),
    email: properties.email ?? null,
    firstName: properties.firstname ?? null,
    lastName: properties.lastname ?? null,
    createdAt: contact.createdAt ?? properties.createdate ?? null,
    updatedAt: contact.updatedAt ?? properties.lastmodifieddate ?? null,
    archived: contact.archived === true,
    properties,
  };
}

/** @param {HubSpotSettings} settings */
function syncedProperties(settings) {
  return [...new Set([...CONTACT_PROPERTIES, ...Object.values(settings?.propertyMapping ?? {}).filter(Boolean)])];
}

const modifiedAt = (contact) => contact.properties?.lastmodifieddate ?? contact.updatedAt;

/**
 * Contacts: the whole list (`GET /crm/v3/objects/contacts`, `paging.next.after`) the first time; later,
 * those modified since the last mark (search on `lastmodifieddate`, oldest first). A search query pages
 * through at most 10,000 results, so a longer run continues with a new query from the last time seen.
 * @param {HubSpotContext} ctx
 */
async function syncContacts(ctx, since) {
  const properties = syncedProperties(ctx.settings);
  const records = new Map();
  let mark = since;
  const keep = (contact) => {
    records.set(String(contact.id), contactRecord(contact));
    const at = modifiedAt(contact);
    if (at && (!mark || Date.parse(at) > Date.parse(mark))) mark = at;
  };

  if (!since || Number.isNaN(Date.parse(since))) {
    let after;
    do {
      const query = new URLSearchParams({ limit: String(LIST_PAGE), properties: properties.join(','), archived: 'false', ...(after ? { after } : {}) });
      const page = await hubspot(ctx, `/crm/v3/objects/contacts?${query}`);
      for (const contact of page?.results ?? []) keep(contact);
      after = page?.paging?.next?.after;
    } while (after);
    return { records: [...records.values()], mark };
  }

  let from = Date.parse(since) - SEARCH_LAG_MS;
  for (;;) {
    let after;
    let fetched = 0;
    let last;
    do {
      const page = await hubspot(ctx, '/crm/v3/objects/contacts/search', {
        method: 'POST',
        body: {
          filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(from) }] }],
          sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
          properties,
          limit: SEARCH_PAGE,
          ...(after ? { after } : {}),
        },
      });
      const results = page?.results ?? [];
      for (const contact of results) keep(contact);
      if (results.length) last = modifiedAt(results.at(-1));
      fetched += results.length;
      after = page?.paging?.next?.after;
    } while (after && fetched + SEARCH_PAGE <= SEARCH_CAP);
    if (!after) break;
    const next = Date.parse(last ?? '');
    if (!(next > from)) {
      ctx.log.warn('more than 10,000 contacts share one modification time: the rest waits for the next sync', { at: last });
      break;
    }
    from = next;
  }
  return { records: [...records.values()], mark };
}

// --- schemas -------------------------------------------------------------------------------------

const propertyName = (title, description) => ({ type: 'string', pattern: PROPERTY_NAME, title, description });
const pipelineId = (title, description) => ({ type: 'string', pattern: PIPELINE_ID, title, description });

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    propertyMapping: {
      type: 'object',
      additionalProperties: false,
      title: 'Engagement properties',
      description: 'Which contact properties (internal names, see listProperties) receive what a session reports; leave one empty to skip it',
      properties: {
        registered: propertyName('Registered', 'A checkbox property set to true when someone registers'),
        registeredAt: propertyName('Registration time', 'A date and time property set to when they registered'),
        attended: propertyName('Attended', 'A checkbox property set to true when they join a session'),
        lastJoinedAt: propertyName('Last joined', 'A date and time property set to when they last joined a session'),
        watchTimeSeconds: propertyName('Watch time (seconds)', 'A number property set to the seconds they watched, when the session end reports it'),
        lastSessionId: propertyName('Last session', 'A single-line text property set to the id of the session they last registered for or joined'),
      },
    },
    pipelineId: pipelineId('Deal pipeline', 'The deal pipeline id (listDealPipelines lists them); leave empty to manage no deals'),
    registeredStageId: pipelineId('Registered stage', 'The stage of the pipeline a deal gets when its contact registers'),
    attendedStageId: pipelineId('Attended stage', 'The stage a deal moves to when its contact joins the session'),
    noShowStageId: pipelineId('No-show stage', 'The stage a still-registered deal moves to when the session ends (needs the deal session property)'),
    dealSessionProperty: propertyName(
      'Deal session property',
      'A single-line text deal property that keeps the session id: one deal per contact and session, and how no-shows are found. Without it a contact has one deal in the pipeline.',
    ),
    dealNamePrefix: { type: 'string', minLength: 1, maxLength: 100, default: 'Session', title: 'Deal name prefix', description: 'New deals are named "<prefix> <session id> – <name or email>"' },
  },
  dependencies: {
    registeredStageId: ['pipelineId'],
    attendedStageId: ['pipelineId'],
    noShowStageId: ['pipelineId', 'registeredStageId', 'dealSessionProperty'],
  },
};

const OBJECT_TYPES = ['contacts', 'companies', 'deals'];

export default definePlugin({
  providers: [
    {
      id: 'hubspot',
      name: 'HubSpot',
      category: 'crm',
      description: 'Keep HubSpot contacts up to date with who registered, attended and how long they watched, move their deals through a pipeline by attendance, and sync contacts.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://app.hubspot.com/oauth/authorize',
        // The date-versioned token endpoint: /oauth/v1/token is deprecated and goes away on 2027-02-16.
        tokenUrl: 'https://api.hubapi.com/oauth/2026-03/token',
        scopes: [
          'oauth',
          'crm.objects.contacts.read',
          'crm.objects.contacts.write',
          'crm.objects.deals.read',
          'crm.objects.deals.write',
          'crm.schemas.contacts.read',
          'crm.schemas.companies.read',
          'crm.schemas.deals.read',
        ],
        pkce: true,
        // Access tokens live 30 minutes (expires_in 1800); refresh tokens do not expire until the app is uninstalled.
        refresh: true,
      },
      settingsSchema,
      baseUrl: 'https://api.hubapi.com',
      errors,
      // Public (OAuth) apps: 110 requests every 10 seconds per installing account; the CRM search
      // endpoints separately 5 requests a second per account.
      rateLimits: [
        { requests: 110, windowMs: 10_000, scope: 'account', accountKey: 'hubId' },
        { requests: 5, windowMs: 1_000, scope: 'account', accountKey: 'hubId', match: ['POST /crm/v3/objects/contacts/search', 'POST /crm/v3/objects/deals/search'] },
      ],

      /**
       * Who is connected: the token's metadata names the account (hub id and domain), the user who
       * installed the app, and the scopes granted. (HubSpot's v1 metadata endpoint is the one that needs
       * no client secret; its introspection successor does.)
       * @param {HubSpotContext} ctx
       */
      async verify(ctx) {
        const token = ctx.credentials?.accessToken;
        if (typeof token !== 'string' || !token) throw new ProviderRejectedError('No HubSpot access token: connect the account again.');
        const response = await ctx.http(`/oauth/v1/access-tokens/${encodeURIComponent(token)}`);
        if (response.status === 429) throw await rateLimited(response);
        if ([400, 401, 403, 404].includes(response.status)) {
          await response.body?.cancel();
          throw new ProviderRejectedError('HubSpot does not know this access token (expired or revoked): connect the account again.');
        }
        const info = await readJson(response, ctx, errors);
        if (info?.hub_id === undefined || info?.hub_id === null) throw new Error('HubSpot token metadata has no hub id');
        const granted = Array.isArray(info.scopes) ? info.scopes : [];
        const missing = REQUIRED_SCOPES.filter((scope) => !granted.includes(scope));
        if (missing.length) throw new ProviderRejectedError(`This HubSpot connection was not granted ${missing.join(', ')}: connect again and approve every permission.`);
        const domain = info.hub_domain || `HubSpot account ${info.hub_id}`;
        return {
          displayName: info.user ? `${domain} (${info.user})` : domain,
          metadata: {
            hubId: String(info.hub_id),
            hubDomain: info.hub_domain ?? null,
            user: info.user ?? null,
            userId: info.user_id ?? null,
            appId: info.app_id ?? null,
            scopes: granted,
            canManageDeals: DEAL_SCOPES.every((scope) => granted.includes(scope)),
          },
        };
      },

      /** One contact, one property: the cheapest authenticated read. */
      healthCheck: { request: { path: '/crm/v3/objects/contacts', query: { limit: '1', properties: 'email' } } },

      actions: {
        upsertContact: {
          description: 'Creates a contact, or updates the one with this email (CRM batch upsert by email). Property values are keyed by internal name.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email: { type: 'string', format: 'email', maxLength: 254 },
              properties: {
                type: 'object',
                maxProperties: 200,
                description: 'Contact property values by internal name, e.g. { "firstname": "Ana", "webinar_attended": true }; null clears a value',
                propertyNames: { pattern: PROPERTY_NAME, not: { const: 'email' } },
                additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 65_536 },
              },
            },
          },
          /** @param {HubSpotContext} ctx */
          async run(ctx, input) {
            const [contact] = await upsertContacts(ctx, [{ email: input.email, properties: input.properties }]);
            if (!contact) throw new Error('HubSpot answered the upsert without the contact');
            return contactResult(contact, input.email);
          },
        },
        listProperties: {
          description: 'Lists the properties of contacts, companies or deals (internal name, label, type, options), e.g. to choose the engagement property mapping.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['objectType'],
            properties: {
              objectType: { type: 'string', enum: OBJECT_TYPES },
              includeHidden: { type: 'boolean', default: false, description: 'Also list properties hidden in HubSpot’s interface' },
            },
          },
          /** @param {HubSpotContext} ctx */
          async run(ctx, input) {
            const body = await hubspot(ctx, `/crm/v3/properties/${encodeURIComponent(input.objectType)}?archived=false`);
            const properties = (body?.results ?? [])
              .filter((property) => input.includeHidden || !property.hidden)
              .map((property) => ({
                name: property.name,
                label: property.label,
                type: property.type,
                fieldType: property.fieldType,
                groupName: property.groupName ?? null,
                description: property.description || null,
                options: (property.options ?? []).map((option) => ({ label: option.label, value: option.value })),
                readOnly: property.modificationMetadata?.readOnlyValue === true || property.calculated === true,
                hidden: property.hidden === true,
                custom: property.hubspotDefined !== true,
              }));
            return { objectType: input.objectType, properties };
          },
        },
        listDealPipelines: {
          description: 'Lists the deal pipelines and their stages (ids for the pipeline and stage settings).',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          /** @param {HubSpotContext} ctx */
          async run(ctx) {
            const body = await hubspot(ctx, '/crm/v3/pipelines/deals');
            const pipelines = (body?.results ?? [])
              .filter((pipeline) => !pipeline.archived)
              .map((pipeline) => ({
                id: pipeline.id,
                label: pipeline.label,
                stages: [...(pipeline.stages ?? [])]
                  .filter((stage) => !stage.archived)
                  .sort((a, b) => (a.displayOrder ?? 0) - (b.displayOrder ?? 0))
                  .map((stage) => ({ id: stage.id, label: stage.label, closed: String(stage.metadata?.isClosed) === 'true' })),
              }));
            return { pipelines };
          },
        },
      },

      onEvent: {
        /** The registrant becomes (or stays) a contact, marked registered; their deal enters the registered stage. @param {HubSpotContext} ctx */
        async 'registration.received'(ctx, event) {
          const data = event.data ?? {};
          if (typeof data.email !== 'string' || !data.email) {
            ctx.log.warn('registration without an email: no contact to update', { eventId: event.id });
            return;
          }
          const [contact] = await upsertContacts(ctx, [
            {
              email: data.email,
              properties: {
                ...nameParts(data.name),
                ...mapped(ctx.settings, { registered: 'true', registeredAt: data.registeredAt ?? event.timestamp, lastSessionId: data.sessionId }),
              },
            },
          ]);
          if (!contact) return;
          ctx.log.info('registrant upserted', { eventId: event.id, contactId: contact.id, created: contact.new === true });
          await moveDeal(ctx, contact, { sessionId: data.sessionId, label: displayName(data), eventId: event.id }, 'registered');
        },

        /** A participant with an email is marked attended; their deal moves to the attended stage. @param {HubSpotContext} ctx */
        async 'participant.joined'(ctx, event) {
          const data = event.data ?? {};
          if (typeof data.email !== 'string' || !data.email) {
            ctx.log.warn('participant without an email: no contact to update', { eventId: event.id });
            return;
          }
          const [contact] = await upsertContacts(ctx, [
            { email: data.email, properties: mapped(ctx.settings, { attended: 'true', lastJoinedAt: data.joinedAt ?? event.timestamp, lastSessionId: data.sessionId }) },
          ]);
          if (!contact) return;
          ctx.log.info('participant upserted', { eventId: event.id, contactId: contact.id });
          await moveDeal(ctx, contact, { sessionId: data.sessionId, label: displayName(data), eventId: event.id }, 'attended');
        },

        /**
         * The session end carries no attendee list in its documented payload: when a publisher adds
         * `participants: [{ email, watchTimeSeconds }]`, each gets their watch time. Deals still at the
         * registered stage of this session become no-shows.
         * @param {HubSpotContext} ctx
         */
        async 'session.ended'(ctx, event) {
          const data = event.data ?? {};
          const participants = (Array.isArray(data.participants) ? data.participants : []).filter(
            (participant) => typeof participant?.email === 'string' && participant.email.includes('@'),
          );
          const mapping = ctx.settings?.propertyMapping ?? {};
          if (participants.length && (mapping.watchTimeSeconds || mapping.attended)) {
            const contacts = participants.map((participant) => {
              const seconds = Number(participant.watchTimeSeconds ?? participant.durationSeconds);
              return {
                email: participant.email,
                properties: mapped(ctx.settings, { attended: 'true', watchTimeSeconds: Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds) : undefined }),
              };
            });
            const upserted = await upsertContacts(ctx, contacts);
            ctx.log.info('watch time recorded', { eventId: event.id, contacts: upserted.length });
          }
          if (typeof data.sessionId !== 'string' || !data.sessionId) return;
          const moved = await markNoShows(ctx, data.sessionId, event.id);
          if (moved) ctx.log.info('no-show deals moved', { eventId: event.id, deals: moved });
        },
      },

      sync: {
        defaultFrequency: '1h',
        /** @param {HubSpotContext} ctx */
        async run(ctx, input) {
          const { records, mark } = await syncContacts(ctx, input?.highWaterMarks?.contacts);
          return { records: { contacts: records }, ...(mark ? { highWaterMarks: { contacts: mark } } : {}) };
        },
      },
    },
  ],
});
