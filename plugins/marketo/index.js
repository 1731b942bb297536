// Marketo Engage provider for Plugboard, written against the Marketo REST API reference (https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/rest-api and https://developer.adobe.com/marketo-apis/api/mapi).
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ programId?: number, registeredStatus?: string, attendedStatus?: string }} MarketoSettings
 * @typedef {{ clientId: string, clientSecret: string }} MarketoCredentials
 * @typedef {import('plugboard/sdk').PluginContext<MarketoCredentials, MarketoSettings>} MarketoContext
 * @typedef {{ code: string | number, message: string }} MarketoError
 * @typedef {{ requestId?: string, success: boolean, errors?: MarketoError[], warnings?: unknown[], result?: any[], nextPageToken?: string, moreResult?: boolean }} MarketoAnswer
 */

/** The Munchkin account id names the instance: `https://<munchkinId>.mktorest.com`. */
const MUNCHKIN_ID = /^\d{3}-[A-Z]{3}-\d{3}$/;
/** 600 no token, 601 invalid, 602 expired: Marketo's documented answer is to call Identity again. */
const TOKEN_CODES = new Set(['600', '601', '602']);
/** Timeouts, temporary unavailability, system errors: worth retrying later. */
const TRANSIENT_CODES = new Set(['604', '608', '611', '713']);
const PAGE_SIZE = 300;
const MAX_PAGES = 1000;
const DEFAULT_STATUSES = { registered: 'Registered', attended: 'Attended' };

/** HTTP-level errors (Identity's 401, 413, 414): OAuth bodies, or Marketo's own errors list. */
const httpErrors = {
  message: (body) => (typeof body?.error_description === 'string' ? body.error_description : describeErrors(body?.errors)),
};

function describeErrors(errors) {
  return Array.isArray(errors) && errors.length ? errors.map((error) => `${error.code} ${error.message}`).join('; ') : undefined;
}

function describeReasons(record) {
  const reasons = Array.isArray(record?.reasons) ? record.reasons : [];
  return reasons.length ? reasons.map((reason) => `${reason.code} ${reason.message}`).join('; ') : `status ${record?.status ?? 'unknown'}`;
}

/** @param {MarketoContext} ctx */
function munchkinOf(ctx) {
  const munchkinId = ctx.integration.metadata?.munchkinId;
  if (typeof munchkinId !== 'string' || !MUNCHKIN_ID.test(munchkinId)) {
    throw new ProviderRejectedError('No valid Munchkin account ID (like 123-ABC-456) is set for this connection.');
  }
  return munchkinId;
}

/**
 * The REST host as URLs carry it: host names are lower-cased when a URL is parsed, so the base URL is
 * built from this lower-cased copy of the Munchkin ID, which `verify` stores (a base URL with the
 * upper-case ID would never match the requests made under it).
 * @param {MarketoContext} ctx
 */
function hostOf(ctx) {
  return munchkinOf(ctx).toLowerCase();
}

/** Whether the base URL resolves for this connection (verify has stored the host), so the host adds the token. */
function hasBase(ctx) {
  return ctx.integration.metadata?.munchkinHost === hostOf(ctx);
}

/** Seconds until Marketo's daily quota resets (midnight, US Central time). */
function secondsUntilQuotaReset(now = new Date()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(now)
      .map((part) => [part.type, part.value]),
  );
  const elapsed = Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  return Math.max(1, 86_400 - elapsed);
}

/**
 * Asks Identity for an access token with the client credentials (POST, form-encoded). Identity
 * answers the token still in use, with its remaining lifespan, until it expires; it is not counted
 * against the API limits and sits outside the REST base URL, so the host adds nothing to it.
 * @param {MarketoContext} ctx
 * @returns {Promise<{ access_token: string, token_type?: string, expires_in?: number, scope?: string }>}
 */
async function identity(ctx) {
  const response = await ctx.http(`https://${munchkinOf(ctx)}.mktorest.com/identity/oauth/token`, {
    method: 'POST',
    headers: { Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: String(ctx.credentials?.clientId ?? ''), client_secret: String(ctx.credentials?.clientSecret ?? '') }),
  });
  let body;
  try {
    body = await readJson(response, ctx, httpErrors);
  } catch (error) {
    if (error?.code === 'provider_rejected') {
      throw new ProviderRejectedError(`Marketo refused the client ID and secret (${error.message}): copy them again from Admin > Integration > LaunchPoint > View Details.`);
    }
    throw error;
  }
  if (typeof body?.access_token !== 'string' || !body.access_token) throw new Error('Marketo Identity answered without an access token');
  return body;
}

/** What a `success: false` answer means, as the error the host understands. */
function marketoError(answer) {
  const errors = Array.isArray(answer?.errors) ? answer.errors : [];
  const codes = errors.map((error) => String(error.code));
  const text = describeErrors(errors) ?? 'Marketo answered success: false without saying why';
  if (codes.some((code) => TOKEN_CODES.has(code))) {
    return new ProviderRejectedError(`Marketo refused the access token (${text}): check the custom service's client ID and secret.`);
  }
  if (codes.includes('606')) return new ProviderRateLimitedError(`Marketo rate limit (100 calls per 20 seconds): ${text}`, 20);
  if (codes.includes('615')) return new ProviderRateLimitedError(`Marketo concurrency limit (10 calls at a time): ${text}`, 1);
  if (codes.includes('607')) return new ProviderRateLimitedError(`Marketo's daily API quota is used up: ${text}`, secondsUntilQuotaReset());
  if (codes.includes('603')) {
    return new ProviderRejectedError(`Marketo denied access (${text}): give the API-only user's role the Access API permissions this needs (Read-Write Lead), or allow this server's address if IP restrictions are on.`);
  }
  if (codes.some((code) => TRANSIENT_CODES.has(code))) return new Error(`Marketo could not complete the request: ${text}`);
  return new ProviderRejectedError(`Marketo refused the request: ${text}`);
}

/**
 * Calls the REST API (the host adds the bearer token it obtained from Identity). Marketo answers
 * HTTP 200 even when a call failed: `success` says, and `errors` says why. A refused token is renewed
 * once through Identity, as Marketo documents, and the call sent again with the new one.
 * @param {MarketoContext} ctx
 * @returns {Promise<MarketoAnswer>}
 */
async function marketo(ctx, path, init = {}) {
  let headers = { Accept: 'application/json', ...init.headers };
  let url = path;
  if (!hasBase(ctx)) {
    // Before verify has stored the REST host (while connecting), the call names it and carries a token of its own.
    url = `https://${hostOf(ctx)}.mktorest.com/rest${path}`;
    if (!headers.Authorization) headers = { ...headers, Authorization: `Bearer ${(await identity(ctx)).access_token}` };
  }
  for (let attempt = 0; ; attempt += 1) {
    const response = await ctx.http(url, { ...init, headers });
    if (response.status === 413 || response.status === 414) {
      await response.body?.cancel();
      throw new ProviderRejectedError(
        response.status === 413 ? 'Marketo refused the request as too large (HTTP 413): a call may carry at most 1 MB.' : 'Marketo refused the request URI as too long (HTTP 414): at most 8 KB.',
      );
    }
    const answer = await readJson(response, ctx, httpErrors);
    if (answer?.success === true) return answer;
    const codes = Array.isArray(answer?.errors) ? answer.errors.map((error) => String(error.code)) : [];
    if (attempt === 0 && codes.some((code) => TOKEN_CODES.has(code))) {
      ctx.log.info('Marketo refused the access token; renewing it once', { codes });
      const { access_token: accessToken } = await identity(ctx);
      headers = { ...headers, Authorization: `Bearer ${accessToken}` };
      continue;
    }
    throw marketoError(answer);
  }
}

function nameParts(name) {
  const [firstName, ...rest] = typeof name === 'string' ? name.trim().split(/\s+/).filter(Boolean) : [];
  return { firstName, lastName: rest.join(' ') || undefined };
}

/**
 * Creates or updates one lead, deduplicated on email (Sync Leads, createOrUpdate). A record Marketo
 * skips (1003 invalid data, 1006 unknown field, …) is a refusal with its reasons.
 * @param {MarketoContext} ctx
 */
async function upsertLead(ctx, { email, firstName, lastName, fields, partitionName }) {
  const lead = { ...(fields ?? {}), email: email.trim(), ...(firstName ? { firstName } : {}), ...(lastName ? { lastName } : {}) };
  const answer = await marketo(ctx, '/v1/leads.json', {
    method: 'POST',
    body: { action: 'createOrUpdate', lookupField: 'email', ...(partitionName ? { partitionName } : {}), input: [lead] },
  });
  const [record] = answer.result ?? [];
  if (!record) throw new Error('Marketo answered the lead sync without a result');
  if (record.status !== 'created' && record.status !== 'updated') throw new ProviderRejectedError(`Marketo skipped the lead: ${describeReasons(record)}`);
  return { id: record.id, status: record.status, email: lead.email };
}

/**
 * The lead with this email (the most recently updated when Marketo holds several).
 * @param {MarketoContext} ctx
 */
async function findLead(ctx, email) {
  const query = new URLSearchParams({ filterType: 'email', filterValues: email.trim(), fields: 'id,email,updatedAt' });
  const answer = await marketo(ctx, `/v1/leads.json?${query}`);
  const leads = (answer.result ?? []).slice().sort((a, b) => String(b.updatedAt ?? '').localeCompare(String(a.updatedAt ?? '')));
  if (!leads[0]) throw new ProviderRejectedError(`Marketo has no lead with the email ${email}: upsert the lead first.`);
  return leads[0].id;
}

/**
 * Sets a lead's status in a program, adding the lead to the program when it is not a member (Sync
 * Program Member Status). A lead already in or past the status (1037) is left as it is.
 * @param {MarketoContext} ctx
 */
async function setProgramStatus(ctx, { programId, statusName, leadId }) {
  const answer = await marketo(ctx, `/v1/programs/${encodeURIComponent(programId)}/members/status.json`, {
    method: 'POST',
    body: { statusName, input: [{ leadId }] },
  });
  const [record] = answer.result ?? [];
  if (!record) throw new Error('Marketo answered the program status change without a result');
  if (record.status === 'skipped') {
    const reasons = Array.isArray(record.reasons) ? record.reasons : [];
    if (reasons.length > 0 && reasons.every((reason) => String(reason.code) === '1037')) return { leadId, programId, statusName, changed: false, status: 'skipped' };
    throw new ProviderRejectedError(`Marketo did not set the program status "${statusName}": ${describeReasons(record)}`);
  }
  return { leadId, programId, statusName, changed: true, status: record.status };
}

/**
 * Upserts the person of a host event and, when a program is configured, gives them the status.
 * @param {MarketoContext} ctx
 */
async function reactToPerson(ctx, event, statusSetting) {
  const data = event.data ?? {};
  if (typeof data.email !== 'string' || !data.email) {
    ctx.log.warn('event without an email: no Marketo lead to update', { eventId: event.id, event: event.event });
    return;
  }
  const lead = await upsertLead(ctx, { email: data.email, ...nameParts(data.name) });
  const programId = ctx.settings?.programId;
  if (!programId) {
    ctx.log.info('lead upserted in Marketo (no program configured)', { eventId: event.id, leadId: lead.id, status: lead.status });
    return;
  }
  const statusName = ctx.settings?.[`${statusSetting}Status`] ?? DEFAULT_STATUSES[statusSetting];
  const membership = await setProgramStatus(ctx, { programId, statusName, leadId: lead.id });
  ctx.log.info('lead upserted in Marketo and given the program status', { eventId: event.id, leadId: lead.id, programId, statusName, changed: membership.changed });
}

const fieldName = '^[A-Za-z][A-Za-z0-9_]{0,79}$';
const statusName = { type: 'string', minLength: 1, maxLength: 255 };

export default definePlugin({
  providers: [
    {
      id: 'marketo',
      name: 'Marketo Engage',
      category: 'crm',
      description: 'Upsert registrants and attendees as Marketo leads and set their status in a program (Registered, Attended); sync the program’s members.',
      connectionInputs: {
        type: 'object',
        additionalProperties: false,
        required: ['munchkinId'],
        properties: {
          munchkinId: {
            type: 'string',
            pattern: '^\\d{3}-[A-Z]{3}-\\d{3}$',
            title: 'Munchkin account ID',
            description: 'Your instance’s account ID, like 123-ABC-456: the start of the REST endpoint under Admin > Integration > Web Services',
          },
        },
      },
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          additionalProperties: false,
          required: ['clientId', 'clientSecret'],
          properties: {
            clientId: {
              type: 'string',
              minLength: 8,
              maxLength: 100,
              pattern: '^[A-Za-z0-9-]+$',
              title: 'Client ID',
              description: 'Of a custom service owned by an API-only user: Admin > Integration > LaunchPoint > View Details',
              secret: true,
            },
            clientSecret: {
              type: 'string',
              minLength: 8,
              maxLength: 200,
              pattern: '^[A-Za-z0-9_-]+$',
              title: 'Client secret',
              description: 'Shown next to the client ID under LaunchPoint > View Details',
              secret: true,
            },
          },
        },
        // Identity: the client credentials grant, credentials in the form; tokens last an hour.
        token: { url: 'https://{munchkinId}.mktorest.com/identity/oauth/token', grant: 'client_credentials', clientAuth: 'body' },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          programId: { type: 'integer', minimum: 1, title: 'Program', description: 'The program (e.g. the webinar’s event program) registrants and attendees become members of' },
          registeredStatus: { ...statusName, default: DEFAULT_STATUSES.registered, title: 'Status for registrants', description: 'A status of the program’s channel (default "Registered")' },
          attendedStatus: { ...statusName, default: DEFAULT_STATUSES.attended, title: 'Status for attendees', description: 'A status of the program’s channel (default "Attended")' },
        },
      },
      // `munchkinHost` is the Munchkin ID lower-cased, as verify stores it (see hostOf).
      baseUrl: 'https://{munchkinHost}.mktorest.com/rest',
      errors: httpErrors,
      // Per instance: 100 calls per 20 seconds and 50,000 a day (Identity calls are not counted). At
      // most 10 calls may run at once; a call past that is answered 615 and retried later.
      rateLimits: [
        { requests: 100, windowMs: 20_000, scope: 'account', accountKey: 'munchkinId' },
        { requests: 50_000, windowMs: 86_400_000, scope: 'account', accountKey: 'munchkinId' },
      ],

      /** Obtains a token (which names the API user) and makes one REST call with it. @param {MarketoContext} ctx */
      async verify(ctx) {
        const munchkinId = munchkinOf(ctx);
        const token = await identity(ctx);
        await marketo(ctx, '/v1/stats/usage.json', { headers: { Authorization: `Bearer ${token.access_token}` } });
        const apiUser = typeof token.scope === 'string' && token.scope ? token.scope : null;
        return {
          displayName: apiUser ? `Marketo ${munchkinId} (${apiUser})` : `Marketo ${munchkinId}`,
          metadata: { munchkinId, munchkinHost: hostOf(ctx), apiUser, restEndpoint: `https://${munchkinId}.mktorest.com/rest` },
        };
      },

      /** Today's API usage: one call, no permission needed. @param {MarketoContext} ctx */
      async healthCheck(ctx) {
        await marketo(ctx, '/v1/stats/usage.json');
      },

      actions: {
        upsertLead: {
          description: 'Creates or updates a lead deduplicated on email; other lead fields by their REST API names (see describeLeadFields).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email: { type: 'string', format: 'email', maxLength: 255 },
              firstName: { type: 'string', minLength: 1, maxLength: 255 },
              lastName: { type: 'string', minLength: 1, maxLength: 255 },
              fields: {
                type: 'object',
                maxProperties: 100,
                propertyNames: { pattern: fieldName, not: { enum: ['id', 'email'] } },
                additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 65_535 },
                description: 'Other lead fields by REST API name, e.g. { "company": "Acme", "title": "CTO" }',
              },
              partitionName: { type: 'string', minLength: 1, maxLength: 255, description: 'The lead partition, for instances with partitions' },
            },
          },
          /** @param {MarketoContext} ctx */
          run: upsertLead,
        },
        describeLeadFields: {
          description: 'Lists the lead fields the REST API knows (REST name, label, data type, whether it can be written) and the searchable ones.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: { updateableOnly: { type: 'boolean', default: false, description: 'Only fields the API can write' } },
          },
          /** @param {MarketoContext} ctx */
          async run(ctx, input = {}) {
            const answer = await marketo(ctx, '/v1/leads/describe2.json');
            const [lead] = answer.result ?? [];
            const fields = (lead?.fields ?? [])
              .filter((field) => !input.updateableOnly || field.updateable === true)
              .map((field) => ({ name: field.name, displayName: field.displayName, dataType: field.dataType, length: field.length ?? null, updateable: field.updateable === true }));
            return { fields, searchableFields: lead?.searchableFields ?? [] };
          },
        },
        setProgramStatus: {
          description: 'Sets a lead’s status in a program (adding the lead to it when needed); a lead already in or past the status is left as it is.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['statusName'],
            oneOf: [{ required: ['leadId'] }, { required: ['email'] }],
            properties: {
              programId: { type: 'integer', minimum: 1, description: 'Defaults to the configured program' },
              statusName: { ...statusName, description: 'A status of the program’s channel, e.g. "Registered"' },
              leadId: { type: 'integer', minimum: 1 },
              email: { type: 'string', format: 'email', maxLength: 255, description: 'Finds the lead by email instead of leadId' },
            },
          },
          /** @param {MarketoContext} ctx */
          async run(ctx, input) {
            const programId = input.programId ?? ctx.settings?.programId;
            if (!programId) throw new ProviderRejectedError('No program: set programId in the integration settings or in the input.');
            const leadId = input.leadId ?? (await findLead(ctx, input.email));
            return setProgramStatus(ctx, { programId, statusName: input.statusName, leadId });
          },
        },
      },

      onEvent: {
        /** Upserts the registrant and gives them the "registered" status of the configured program. @param {MarketoContext} ctx */
        async 'registration.received'(ctx, event) {
          await reactToPerson(ctx, event, 'registered');
        },
        /** Upserts the attendee and gives them the "attended" status of the configured program. @param {MarketoContext} ctx */
        async 'participant.joined'(ctx, event) {
          await reactToPerson(ctx, event, 'attended');
        },
      },

      sync: {
        defaultFrequency: '6h',
        /** The members of the configured program with their status, page by page (nextPageToken). @param {MarketoContext} ctx */
        async run(ctx) {
          const programId = ctx.settings?.programId;
          if (!programId) {
            ctx.log.warn('no program configured: nothing to sync');
            return {};
          }
          const programMembers = [];
          let nextPageToken;
          for (let page = 0; page < MAX_PAGES; page += 1) {
            const query = new URLSearchParams({ batchSize: String(PAGE_SIZE), ...(nextPageToken ? { nextPageToken } : {}) });
            const answer = await marketo(ctx, `/v1/leads/programs/${encodeURIComponent(programId)}.json?${query}`);
            for (const lead of answer.result ?? []) {
              programMembers.push({
                id: String(lead.id),
                email: lead.email ?? null,
                firstName: lead.firstName ?? null,
                lastName: lead.lastName ?? null,
                programId,
                progressionStatus: lead.membership?.progressionStatus ?? null,
                reachedSuccess: lead.membership?.reachedSuccess ?? null,
                membershipDate: lead.membership?.membershipDate ?? null,
                updatedAt: lead.updatedAt ?? null,
              });
            }
            nextPageToken = answer.nextPageToken;
            if (!nextPageToken || answer.moreResult === false || (answer.result ?? []).length === 0) break;
          }
          return { records: { programMembers } };
        },
      },
    },
  ],
});
