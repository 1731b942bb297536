// HighLevel (GoHighLevel) provider for Plugboard, written against the HighLevel API 2.0 reference (https://marketplace.gohighlevel.com/docs/, OpenAPI at github.com/GoHighLevel/highlevel-api-docs).
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{
 *   pipelineId?: string, registeredStageId?: string, attendedStageId?: string,
 *   registrationWorkflowId?: string, registrationTags?: string[], contactSource?: string
 * }} HighLevelSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, HighLevelSettings>} HighLevelContext
 * @typedef {{ id: string, name?: string, contactId: string, pipelineId: string, pipelineStageId: string, status: string, monetaryValue?: number, createdAt?: string, updatedAt?: string }} Opportunity
 */

/** Every API 2.0 call names the version it was written for in the `Version` header. */
const API_VERSION = '2021-07-28';
/** Sub-account (location) ids, as the token response and the API carry them. */
const LOCATION_ID = /^[A-Za-z0-9]{8,64}$/;
const ID = '^[A-Za-z0-9_-]{1,64}$';
const E164 = '^\\+[1-9]\\d{1,14}$';
const PAGE_SIZE = 100;
const MAX_PAGES = 1000;

/** HighLevel errors read `{ statusCode, message, error? }`; on validation errors `message` is a list. */
const errors = {
  message: (body) => {
    const message = Array.isArray(body?.message) ? body.message.filter((line) => typeof line === 'string').join('; ') : body?.message;
    if (typeof message === 'string' && message) return message;
    return typeof body?.error_description === 'string' ? body.error_description : typeof body?.error === 'string' ? body.error : undefined;
  },
};

/**
 * Calls API 2.0 (the host adds the bearer token of the sub-account). A 401 says the token is gone or
 * lacks a scope; a 429 is the burst (100 per 10 s) or daily (200,000) limit of this app on this location.
 * @param {HighLevelContext} ctx
 */
async function ghl(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { Accept: 'application/json', Version: API_VERSION, ...init.headers } });
  if (response.status === 429) {
    const message = errors.message(await response.json().catch(() => null)) ?? 'Too many requests';
    const dailyLeft = response.headers.get('x-ratelimit-daily-remaining');
    const intervalMs = Number(response.headers.get('x-ratelimit-interval-milliseconds'));
    if (dailyLeft === '0') throw new ProviderRateLimitedError(`HighLevel's daily API limit for this sub-account is used up: ${message}`, 3600);
    throw new ProviderRateLimitedError(`HighLevel rate limit: ${message}`, Number.isFinite(intervalMs) && intervalMs > 0 ? Math.ceil(intervalMs / 1000) : 10);
  }
  try {
    return await readJson(response, ctx, errors);
  } catch (error) {
    if (response.status === 401 && error?.code === 'provider_rejected') {
      throw new ProviderRejectedError(`HighLevel refused the access token: ${error.message}. Reconnect the sub-account (the app needs the scopes it asks for).`);
    }
    throw error;
  }
}

/**
 * The sub-account this connection was installed on: kept from the token response (`auth.tokenMetadata`),
 * or read from the token response stored with the credentials.
 * @param {HighLevelContext} ctx
 */
function locationOf(ctx) {
  const locationId = ctx.integration.metadata?.locationId ?? ctx.credentials?.raw?.locationId;
  if (typeof locationId !== 'string' || !LOCATION_ID.test(locationId)) {
    throw new ProviderRejectedError('This connection has no HighLevel sub-account: install the app on a sub-account (location), not on the agency.');
  }
  return locationId;
}

const enc = encodeURIComponent;

function nameParts(name) {
  const [firstName, ...rest] = typeof name === 'string' ? name.trim().split(/\s+/).filter(Boolean) : [];
  return { firstName, lastName: rest.join(' ') || undefined };
}

/**
 * Creates or updates a contact of the sub-account (HighLevel matches on email and phone as the
 * location's duplicate-contact setting says). Tags are added with the tags endpoint: the upsert's own
 * `tags` field would replace every tag the contact already has.
 * @param {HighLevelContext} ctx
 */
async function upsertContact(ctx, { email, phone, name, tags, source }) {
  const locationId = locationOf(ctx);
  const { firstName, lastName } = nameParts(name);
  const answer = await ghl(ctx, '/contacts/upsert', {
    method: 'POST',
    body: {
      locationId,
      ...(email ? { email: email.trim() } : {}),
      ...(phone ? { phone } : {}),
      ...(name ? { name: name.trim() } : {}),
      ...(firstName ? { firstName } : {}),
      ...(lastName ? { lastName } : {}),
      ...(source ? { source } : {}),
    },
  });
  const contact = answer?.contact;
  if (typeof contact?.id !== 'string') throw new Error('HighLevel answered the upsert without a contact id');
  let contactTags = Array.isArray(contact.tags) ? contact.tags : [];
  if (tags?.length) {
    const added = await ghl(ctx, `/contacts/${enc(contact.id)}/tags`, { method: 'POST', body: { tags } });
    contactTags = Array.isArray(added?.tags) ? added.tags : [...new Set([...contactTags, ...tags])];
  }
  return { id: contact.id, created: answer.new === true, email: contact.email ?? null, phone: contact.phone ?? null, tags: contactTags };
}

/**
 * The contact's open opportunity in a pipeline, if any: search pages go on from the last item
 * (`startAfter` + `startAfterId` from `meta`).
 * @param {HighLevelContext} ctx
 * @returns {Promise<Opportunity | undefined>}
 */
async function findOpenOpportunity(ctx, locationId, pipelineId, contactId) {
  for await (const opportunity of searchOpportunities(ctx, { location_id: locationId, pipeline_id: pipelineId, contact_id: contactId, status: 'open' })) {
    if (opportunity.contactId === contactId && opportunity.pipelineId === pipelineId) return opportunity;
  }
  return undefined;
}

/**
 * Every opportunity a search finds, page after page.
 * @param {HighLevelContext} ctx
 * @returns {AsyncGenerator<Opportunity>}
 */
async function* searchOpportunities(ctx, filters) {
  let cursor = {};
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = new URLSearchParams({ ...filters, limit: String(PAGE_SIZE), ...cursor });
    const answer = await ghl(ctx, `/opportunities/search?${query}`);
    const opportunities = Array.isArray(answer?.opportunities) ? answer.opportunities : [];
    yield* opportunities;
    const meta = answer?.meta ?? {};
    if (opportunities.length === 0 || !meta.nextPageUrl || meta.startAfterId === undefined || meta.startAfterId === null) return;
    cursor = { startAfter: String(meta.startAfter), startAfterId: String(meta.startAfterId) };
  }
}

/**
 * Puts the contact's open opportunity of a pipeline in a stage, creating it when the contact has none.
 * An opportunity already in one of `keepIn` stays where it is (an attendee is not moved back to
 * "registered" by a late registration event).
 * @param {HighLevelContext} ctx
 */
async function moveOpportunity(ctx, { contactId, pipelineId, pipelineStageId, name, keepIn = [] }) {
  const locationId = locationOf(ctx);
  const existing = await findOpenOpportunity(ctx, locationId, pipelineId, contactId);
  if (existing) {
    if (existing.pipelineStageId === pipelineStageId || keepIn.includes(existing.pipelineStageId)) {
      return { id: existing.id, created: false, moved: false, pipelineId, pipelineStageId: existing.pipelineStageId };
    }
    const updated = await ghl(ctx, `/opportunities/${enc(existing.id)}`, { method: 'PUT', body: { pipelineId, pipelineStageId } });
    return { id: existing.id, created: false, moved: true, pipelineId, pipelineStageId: updated?.opportunity?.pipelineStageId ?? pipelineStageId };
  }
  const created = await ghl(ctx, '/opportunities/', {
    method: 'POST',
    body: { pipelineId, locationId, name: name ?? `Contact ${contactId}`, pipelineStageId, status: 'open', contactId },
  });
  const id = created?.opportunity?.id;
  if (typeof id !== 'string') throw new Error('HighLevel answered the new opportunity without an id');
  return { id, created: true, moved: true, pipelineId, pipelineStageId };
}

function opportunityRecord(opportunity) {
  return {
    id: opportunity.id,
    name: opportunity.name ?? null,
    contactId: opportunity.contactId ?? null,
    contactEmail: opportunity.contact?.email ?? null,
    pipelineId: opportunity.pipelineId,
    pipelineStageId: opportunity.pipelineStageId ?? null,
    status: opportunity.status ?? null,
    monetaryValue: opportunity.monetaryValue ?? null,
    createdAt: opportunity.createdAt ?? null,
    updatedAt: opportunity.updatedAt ?? null,
  };
}

const tagList = { type: 'array', maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 100 } };
const id = (title, description) => ({ type: 'string', pattern: ID, title, description });

/**
 * A host event with a person in it: the contact is upserted; an event without an email is skipped.
 * @param {HighLevelContext} ctx
 */
async function contactFromEvent(ctx, event, extra = {}) {
  const data = event.data ?? {};
  if (typeof data.email !== 'string' || !data.email) {
    ctx.log.warn('event without an email: no HighLevel contact to update', { eventId: event.id, event: event.event });
    return undefined;
  }
  return upsertContact(ctx, { email: data.email, name: typeof data.name === 'string' ? data.name : undefined, source: ctx.settings?.contactSource ?? 'Plugboard', ...extra });
}

function opportunityName(data) {
  const who = typeof data.name === 'string' && data.name.trim() ? data.name.trim() : data.email;
  return data.sessionId ? `${who} · session ${data.sessionId}` : who;
}

export default definePlugin({
  providers: [
    {
      id: 'gohighlevel',
      name: 'HighLevel',
      category: 'crm',
      description: 'Upsert registrants and attendees as contacts of a HighLevel sub-account, enrol them in workflows and move their opportunity through a pipeline.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://marketplace.gohighlevel.com/v2/oauth/chooselocation',
        tokenUrl: 'https://services.leadconnectorhq.com/oauth/token',
        scopes: ['contacts.readonly', 'contacts.write', 'opportunities.readonly', 'opportunities.write', 'workflows.readonly', 'locations.readonly'],
        // Access tokens last a day; each refresh answers a new refresh token (the old one is spent).
        refresh: true,
        // A sub-account token names its location; an agency (Company) token does not and is refused.
        tokenMetadata: {
          locationId: { pointer: '/locationId', pattern: '^[A-Za-z0-9]{8,64}$' },
          userType: { pointer: '/userType', pattern: '^Location$' },
        },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          pipelineId: id('Pipeline', 'The pipeline whose opportunity follows each registrant (see the listPipelines action)'),
          registeredStageId: id('Stage for registrants', 'Where a registration puts the contact’s opportunity'),
          attendedStageId: id('Stage for attendees', 'Where joining a session puts the contact’s opportunity'),
          registrationWorkflowId: id('Workflow for registrants', 'Every registrant is added to this workflow (see the listWorkflows action)'),
          registrationTags: { ...tagList, title: 'Tags for registrants', description: 'Added to every registrant (existing tags are kept)' },
          contactSource: { type: 'string', minLength: 1, maxLength: 100, title: 'Contact source', description: 'The source recorded on contacts this integration creates (default "Plugboard")' },
        },
      },
      baseUrl: 'https://services.leadconnectorhq.com',
      errors,
      // Per Marketplace app and per sub-account: 100 requests in 10 seconds, 200,000 a day.
      rateLimits: [
        { requests: 100, windowMs: 10_000, scope: 'account', accountKey: 'locationId' },
        { requests: 200_000, windowMs: 86_400_000, scope: 'account', accountKey: 'locationId' },
      ],

      /** Reads the sub-account the token was issued for. @param {HighLevelContext} ctx */
      async verify(ctx) {
        const userType = ctx.credentials?.raw?.userType;
        if (userType !== undefined && userType !== 'Location') {
          throw new ProviderRejectedError(`This is a HighLevel ${String(userType)} token: install the app on a sub-account (location).`);
        }
        const locationId = locationOf(ctx);
        const { location } = await ghl(ctx, `/locations/${enc(locationId)}`);
        return {
          displayName: location?.name || `HighLevel sub-account ${locationId}`,
          metadata: {
            locationId,
            companyId: location?.companyId ?? ctx.credentials?.raw?.companyId ?? null,
            locationName: location?.name ?? null,
            timezone: location?.timezone ?? null,
          },
        };
      },

      /** @param {HighLevelContext} ctx */
      async healthCheck(ctx) {
        await ghl(ctx, `/locations/${enc(locationOf(ctx))}`);
      },

      actions: {
        upsertContact: {
          description: 'Creates or updates a contact of the sub-account by email and/or phone (as its duplicate-contact setting says); tags are added, never replaced.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            anyOf: [{ required: ['email'] }, { required: ['phone'] }],
            properties: {
              email: { type: 'string', format: 'email', maxLength: 254 },
              phone: { type: 'string', pattern: E164, description: 'E.164, e.g. +14155550123' },
              name: { type: 'string', minLength: 1, maxLength: 200 },
              tags: tagList,
              source: { type: 'string', minLength: 1, maxLength: 100 },
            },
          },
          /** @param {HighLevelContext} ctx */
          run: upsertContact,
        },
        addToWorkflow: {
          description: 'Adds a contact to a workflow of the sub-account.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['contactId', 'workflowId'],
            properties: {
              contactId: id('Contact'),
              workflowId: id('Workflow'),
              eventStartTime: { type: 'string', format: 'date-time', description: 'For workflows that wait relative to an event time' },
            },
          },
          request: {
            method: 'POST',
            path: '/contacts/{contactId}/workflow/{workflowId}',
            headers: { Version: API_VERSION },
            body: { eventStartTime: '{eventStartTime}' },
          },
          // HighLevel spells it `succeded`.
          result: (body) => ({ enrolled: body?.succeded === true }),
        },
        moveOpportunity: {
          description: 'Puts the contact’s open opportunity of a pipeline in a stage, creating the opportunity when the contact has none there.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['contactId', 'pipelineStageId'],
            properties: {
              contactId: id('Contact'),
              pipelineId: id('Pipeline', 'Defaults to the configured pipeline'),
              pipelineStageId: { type: 'string', minLength: 1, maxLength: 64, title: 'Stage' },
              name: { type: 'string', minLength: 1, maxLength: 200, description: 'Name of the opportunity if one is created' },
            },
          },
          /** @param {HighLevelContext} ctx */
          async run(ctx, input) {
            const pipelineId = input.pipelineId ?? ctx.settings?.pipelineId;
            if (!pipelineId) throw new ProviderRejectedError('No pipeline: set pipelineId in the integration settings or in the input.');
            return moveOpportunity(ctx, { ...input, pipelineId });
          },
        },
        listPipelines: {
          description: 'Lists the sub-account’s opportunity pipelines and their stages (ids for the settings).',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          request: { path: '/opportunities/pipelines', query: { locationId: '{metadata.locationId}' }, headers: { Version: API_VERSION } },
          result: (body) => ({
            pipelines: (body?.pipelines ?? []).map((pipeline) => ({
              id: pipeline.id,
              name: pipeline.name,
              stages: (pipeline.stages ?? []).map((stage) => ({ id: stage.id, name: stage.name, position: stage.position ?? null })),
            })),
          }),
        },
        listWorkflows: {
          description: 'Lists the sub-account’s workflows (ids for the settings and addToWorkflow).',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          request: { path: '/workflows/', query: { locationId: '{metadata.locationId}' }, headers: { Version: API_VERSION } },
          result: (body) => ({ workflows: (body?.workflows ?? []).map((workflow) => ({ id: workflow.id, name: workflow.name, status: workflow.status ?? null })) }),
        },
      },

      onEvent: {
        /**
         * Upserts the registrant (with the configured tags), adds them to the configured workflow and
         * puts their opportunity in the "registered" stage, unless it is already at "attended".
         * @param {HighLevelContext} ctx
         */
        async 'registration.received'(ctx, event) {
          const settings = ctx.settings ?? {};
          const contact = await contactFromEvent(ctx, event, { tags: settings.registrationTags });
          if (!contact) return;
          if (settings.registrationWorkflowId) {
            await ghl(ctx, `/contacts/${enc(contact.id)}/workflow/${enc(settings.registrationWorkflowId)}`, { method: 'POST', body: {} });
          }
          let opportunity;
          if (settings.pipelineId && settings.registeredStageId) {
            opportunity = await moveOpportunity(ctx, {
              contactId: contact.id,
              pipelineId: settings.pipelineId,
              pipelineStageId: settings.registeredStageId,
              name: opportunityName(event.data),
              keepIn: settings.attendedStageId ? [settings.attendedStageId] : [],
            });
          }
          ctx.log.info('registrant upserted in HighLevel', {
            eventId: event.id,
            contactId: contact.id,
            created: contact.created,
            workflow: Boolean(settings.registrationWorkflowId),
            opportunityId: opportunity?.id ?? null,
          });
        },

        /** Upserts the attendee and puts their opportunity in the "attended" stage. @param {HighLevelContext} ctx */
        async 'participant.joined'(ctx, event) {
          const settings = ctx.settings ?? {};
          const contact = await contactFromEvent(ctx, event);
          if (!contact) return;
          let opportunity;
          if (settings.pipelineId && settings.attendedStageId) {
            opportunity = await moveOpportunity(ctx, {
              contactId: contact.id,
              pipelineId: settings.pipelineId,
              pipelineStageId: settings.attendedStageId,
              name: opportunityName(event.data),
            });
          }
          ctx.log.info('attendee upserted in HighLevel', { eventId: event.id, contactId: contact.id, opportunityId: opportunity?.id ?? null });
        },
      },

      sync: {
        defaultFrequency: '1h',
        /** The opportunities of the configured pipeline, every status. @param {HighLevelContext} ctx */
        async run(ctx) {
          const pipelineId = ctx.settings?.pipelineId;
          if (!pipelineId) {
            ctx.log.warn('no pipeline configured: nothing to sync');
            return {};
          }
          const opportunities = [];
          for await (const opportunity of searchOpportunities(ctx, { location_id: locationOf(ctx), pipeline_id: pipelineId, status: 'all' })) {
            opportunities.push(opportunityRecord(opportunity));
          }
          return { records: { opportunities } };
        },
      },
    },
  ],
});
