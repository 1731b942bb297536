// Better Stack provider for Plugboard, written against the Better Stack Uptime API reference (https://betterstack.com/docs/uptime/api/: monitors and heartbeats v2, incidents v3, pagination) and its outgoing incident webhooks (https://betterstack.com/docs/uptime/api/outgoing-webhook-integrations/).
import { createHash, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRateLimitedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiToken: string, webhookToken?: string }} BetterStackCredentials
 * @typedef {import('plugboard/sdk').PluginContext<BetterStackCredentials, Record<string, never>>} BetterStackContext
 * @typedef {{ method: string, headers: Record<string, string>, query: Record<string, string>, rawBody: string, body?: unknown }} InboundRequest
 *
 * A JSON:API resource as the Uptime API answers it.
 * @typedef {{ id: string, type: string, attributes?: Record<string, any>, relationships?: Record<string, { data?: { id?: string, type?: string } | null }> }} Resource
 * @typedef {{ data?: Resource[] | Resource, pagination?: { first?: string, last?: string, prev?: string | null, next?: string | null } }} Document
 */

/** Lists serve 50 a page by default and at most 250 (https://betterstack.com/docs/uptime/api/pagination/). */
const PAGE_SIZE = 250;
const MAX_PAGES = 40;
const INCIDENT_ID = '^[0-9]{1,20}$';

/**
 * The Uptime API's error bodies: `{ errors: "Invalid Team API token. …" }` (401), `{ errors: "Incident was already
 * acknowledged" }` (409), field errors `{ errors: { url: ["can't be blank"] } }` (422), or a list.
 */
function betterStackMessage(body) {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body ? body : undefined;
  const { errors } = body;
  if (typeof errors === 'string' && errors) return errors;
  if (Array.isArray(errors)) {
    const lines = errors.map((entry) => (typeof entry === 'string' ? entry : (entry?.detail ?? entry?.title ?? entry?.message))).filter((line) => typeof line === 'string' && line);
    if (lines.length) return lines.join('; ');
  }
  if (errors && typeof errors === 'object') {
    const lines = Object.entries(errors).map(([field, messages]) => `${field} ${[messages].flat().join(', ')}`);
    if (lines.length) return lines.join('; ');
  }
  return typeof body.message === 'string' && body.message ? body.message : undefined;
}

const errors = { message: betterStackMessage };

/** What a refusal means, in words a person can act on (Better Stack's own message first). */
function explain(status, said, hints) {
  if (status === 401) {
    return `Better Stack refused the API token: ${said ?? 'Unauthorized'} Enter an Uptime API token (Settings → API tokens: a team token, or a global token).`;
  }
  if (status === 403) return `Better Stack: ${said ?? 'Forbidden'} The token may not do this; use a team admin’s Uptime API token.`;
  if (status === 404) return hints.notFound ?? `Better Stack: ${said ?? 'Not found'}`;
  return said ? `Better Stack: ${said}` : undefined;
}

/**
 * Calls the Uptime API under https://uptime.betterstack.com/api (the host adds the bearer token). A 409 is
 * answered to the caller (`conflict`), which knows what it means; other refusals throw.
 * @param {BetterStackContext} ctx
 * @param {string} path relative to /api, e.g. /v2/monitors
 * @param {{ method?: string, body?: Record<string, unknown> }} init
 * @param {{ notFound?: string, conflictOk?: boolean }} hints
 * @returns {Promise<{ body: any, conflict?: string }>}
 */
async function betterStack(ctx, path, init = {}, hints = {}) {
  const response = await ctx.http(path, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: init.body } : {}),
  });
  if (response.status === 429) {
    let said;
    try {
      said = betterStackMessage(JSON.parse(await response.text()));
    } catch {
      said = undefined;
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ProviderRateLimitedError(`Better Stack rate limit reached: ${said ?? 'too many requests'}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
  }
  if (response.status === 409 && hints.conflictOk) {
    let said;
    try {
      said = betterStackMessage(JSON.parse(await response.text()));
    } catch {
      said = undefined;
    }
    return { body: undefined, conflict: said ?? 'Conflict' };
  }
  const body = await readJson(response, ctx, { message: (answer) => explain(response.status, betterStackMessage(answer), hints) });
  return { body };
}

/**
 * Every item of a JSON:API list, page after page: the `page` (and `per_page`) of `pagination.next` are asked
 * for again under the API's own base, so the token never follows a link elsewhere; stops at `next: null`.
 * @param {BetterStackContext} ctx
 * @param {string} path
 * @param {Record<string, string>} query
 * @param {{ maxItems?: number }} options
 */
async function listAll(ctx, path, query, options = {}) {
  const maxItems = options.maxItems ?? Infinity;
  /** @type {Resource[]} */
  const items = [];
  let params = new URLSearchParams(query);
  let more = false;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { body } = await betterStack(ctx, `${path}?${params}`);
    const data = body?.data;
    if (!Array.isArray(data)) throw new Error(`Better Stack answered ${path} without a data list`);
    items.push(...data);
    const next = body?.pagination?.next;
    more = typeof next === 'string' && next !== '' && data.length > 0;
    if (!more || items.length >= maxItems) break;
    let nextPage;
    try {
      nextPage = new URL(next).searchParams.get('page');
    } catch {
      nextPage = null;
    }
    if (!nextPage || !/^\d+$/.test(nextPage) || nextPage === params.get('page')) {
      ctx.log.warn('Better Stack named a next page that cannot be followed', { path });
      more = false;
      break;
    }
    params = new URLSearchParams(params);
    params.set('page', nextPage);
  }
  return { items: items.slice(0, maxItems), more: more || items.length > maxItems };
}

const text = (value) => (typeof value === 'string' && value ? value : null);
const count = (value) => (Number.isFinite(Number(value)) && value !== null && value !== '' ? Number(value) : null);

/** @param {Resource} monitor */
function monitorSummary(monitor) {
  const attributes = monitor.attributes ?? {};
  return {
    id: String(monitor.id),
    name: text(attributes.pronounceable_name),
    url: text(attributes.url),
    monitorType: text(attributes.monitor_type),
    status: text(attributes.status),
    lastCheckedAt: text(attributes.last_checked_at),
    checkFrequency: count(attributes.check_frequency),
    pausedAt: text(attributes.paused_at),
    teamName: text(attributes.team_name),
  };
}

/** @param {Resource} heartbeat */
function heartbeatSummary(heartbeat) {
  const attributes = heartbeat.attributes ?? {};
  return {
    id: String(heartbeat.id),
    name: text(attributes.name),
    url: text(attributes.url),
    status: text(attributes.status),
    period: count(attributes.period),
    grace: count(attributes.grace),
    pausedAt: text(attributes.paused_at),
    teamName: text(attributes.team_name),
  };
}

/** The incident's state: Better Stack's own `status` (v3), else what its times say. */
function incidentStatus(attributes) {
  if (typeof attributes.status === 'string' && attributes.status) return attributes.status;
  if (attributes.resolved_at) return 'Resolved';
  if (attributes.acknowledged_at) return 'Acknowledged';
  return 'Started';
}

/** @param {Resource} incident */
function incidentSummary(incident) {
  const attributes = incident.attributes ?? {};
  return {
    id: String(incident.id),
    name: text(attributes.name),
    cause: text(attributes.cause),
    status: incidentStatus(attributes),
    url: text(attributes.url),
    startedAt: text(attributes.started_at),
    acknowledgedAt: text(attributes.acknowledged_at),
    acknowledgedBy: text(attributes.acknowledged_by),
    resolvedAt: text(attributes.resolved_at),
    resolvedBy: text(attributes.resolved_by),
    monitorId: text(incident.relationships?.monitor?.data?.id ?? null),
    heartbeatId: text(incident.relationships?.heartbeat?.data?.id ?? null),
  };
}

const nullable = (type) => ({ type: [type, 'null'] });
const MONITOR_SCHEMA = {
  type: 'object',
  required: ['id', 'status'],
  properties: {
    id: { type: 'string' },
    name: nullable('string'),
    url: nullable('string'),
    monitorType: nullable('string'),
    status: { type: ['string', 'null'], description: 'up, down, validating, paused, pending or maintenance' },
    lastCheckedAt: { type: ['string', 'null'], format: 'date-time' },
    checkFrequency: { type: ['number', 'null'], description: 'Seconds between checks' },
    pausedAt: { type: ['string', 'null'], format: 'date-time' },
    teamName: nullable('string'),
  },
};
const INCIDENT_SCHEMA = {
  type: 'object',
  required: ['id', 'status', 'changed'],
  properties: {
    id: { type: 'string' },
    name: nullable('string'),
    cause: nullable('string'),
    status: { type: 'string', description: 'Started, Acknowledged or Resolved' },
    url: nullable('string'),
    startedAt: { type: ['string', 'null'], format: 'date-time' },
    acknowledgedAt: { type: ['string', 'null'], format: 'date-time' },
    acknowledgedBy: nullable('string'),
    resolvedAt: { type: ['string', 'null'], format: 'date-time' },
    resolvedBy: nullable('string'),
    monitorId: nullable('string'),
    heartbeatId: nullable('string'),
    changed: { type: 'boolean', description: 'false when the incident already was in that state (Better Stack answered 409)' },
  },
};

/**
 * Acknowledges or resolves an incident (`POST /api/v3/incidents/{id}/acknowledge|resolve`). Doing it twice is
 * not an error here: Better Stack answers 409 ("Incident was already acknowledged"), and the incident is read
 * and answered as it is, with `changed: false`.
 * @param {BetterStackContext} ctx
 * @param {'acknowledge' | 'resolve'} verb
 */
async function transition(ctx, verb, incidentId, by) {
  const path = `/v3/incidents/${encodeURIComponent(incidentId)}`;
  const notFound = `Better Stack has no incident ${incidentId} that this token can see.`;
  const field = verb === 'acknowledge' ? 'acknowledged_by' : 'resolved_by';
  const { body, conflict } = await betterStack(ctx, `${path}/${verb}`, { method: 'POST', body: by ? { [field]: by } : {} }, { notFound, conflictOk: true });
  if (conflict) {
    ctx.log.info(`Better Stack: ${conflict}`, { incidentId });
    const { body: current } = await betterStack(ctx, path, {}, { notFound });
    return { ...incidentSummary(current.data), changed: false };
  }
  return { ...incidentSummary(body.data), changed: true };
}

// --- webhooks ------------------------------------------------------------------------------------

/** Equality of two secrets in constant time whatever their lengths (their SHA-256 digests are compared). */
function sameSecret(expected, given) {
  const digest = (value) => createHash('sha256').update(String(value), 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given)) && String(expected).length === String(given).length;
}

/** The secret a webhook request presents: `?token=`, an `X-Webhook-Token` header, or HTTP Basic's password. */
function presentedTokens(req) {
  const tokens = [];
  if (typeof req.query?.token === 'string') tokens.push(req.query.token);
  if (typeof req.headers?.['x-webhook-token'] === 'string') tokens.push(req.headers['x-webhook-token']);
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers?.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    if (decoded.includes(':')) tokens.push(decoded.slice(decoded.indexOf(':') + 1));
  }
  return tokens.filter((token) => token !== '');
}

function isoTime(value) {
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

function webUrl(value) {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) return undefined;
  try {
    return new URL(value).href;
  } catch {
    return undefined;
  }
}

/** The incident fields that have a value: the host's event schema wants strings where a field is present. */
function incidentEvent(fields) {
  return Object.fromEntries(Object.entries({ provider: 'better_stack', ...fields }).filter(([, value]) => typeof value === 'string' && value !== ''));
}

export default definePlugin({
  providers: [
    {
      id: 'better_stack',
      name: 'Better Stack',
      category: 'monitoring',
      description: 'List Better Stack Uptime monitors, acknowledge and resolve incidents, sync monitors and heartbeats with their status, and receive incident webhooks.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiToken'],
          additionalProperties: false,
          properties: {
            apiToken: {
              type: 'string',
              title: 'Uptime API token',
              description: 'Settings → API tokens: a team’s Uptime API token (or a global token). Only team admins can create one',
              minLength: 16,
              maxLength: 200,
              pattern: '^\\S+$',
              secret: true,
            },
            webhookToken: {
              type: 'string',
              title: 'Webhook token',
              description:
                'Better Stack does not sign its outgoing webhooks. Choose a random secret of 24+ characters and put it in the webhook URL you give Better Stack (…/v1/hooks/<connection id>?token=<secret>), in an X-Webhook-Token header, or as the Basic auth password of a custom webhook template; webhooks without it are refused',
              minLength: 24,
              maxLength: 200,
              pattern: '^[A-Za-z0-9._~-]+$',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {apiToken}' } },
      },
      baseUrl: 'https://uptime.betterstack.com/api',
      errors,
      // Better Stack publishes no request quota for the Uptime API (it answers 429 when a caller is too fast).
      // Its own Terraform provider paces itself at about 8 requests a second per token: the same pace here.
      rateLimits: [{ requests: 8, windowMs: 1000, scope: 'connection' }],

      /**
       * The cheapest list that proves the token: one monitor (`GET /api/v2/monitors?per_page=1`). The last page
       * of a one-per-page list is the number of monitors.
       * @param {BetterStackContext} ctx
       */
      async verify(ctx) {
        const { body } = await betterStack(ctx, '/v2/monitors?per_page=1');
        if (!Array.isArray(body?.data)) throw new Error('Better Stack answered the monitor list without a data list');
        const first = body.data[0];
        let monitorCount = body.data.length;
        try {
          const last = Number(new URL(body.pagination?.last ?? '').searchParams.get('page'));
          if (monitorCount > 0 && Number.isInteger(last) && last > monitorCount) monitorCount = last;
        } catch {
          // No last page: the one page is all there is.
        }
        const teamName = text(first?.attributes?.team_name);
        return {
          displayName: teamName ? `Better Stack Uptime (${teamName})` : 'Better Stack Uptime',
          metadata: { teamName, monitorCount },
        };
      },

      /** @param {BetterStackContext} ctx */
      async healthCheck(ctx) {
        await betterStack(ctx, '/v2/monitors?per_page=1');
      },

      actions: {
        listMonitors: {
          description: 'Lists the team’s uptime monitors with their status (up, down, validating, paused, pending, maintenance), following the list’s pages.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              url: { type: 'string', maxLength: 2048, description: 'Only monitors of this URL' },
              name: { type: 'string', maxLength: 200, description: 'Only monitors of this name (pronounceable name)' },
              limit: { type: 'integer', minimum: 1, maximum: 5000, default: 1000, description: 'How many monitors at most' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['monitors', 'hasMore'],
            properties: { monitors: { type: 'array', items: MONITOR_SCHEMA }, hasMore: { type: 'boolean' } },
          },
          /** @param {BetterStackContext} ctx */
          async run(ctx, input) {
            const limit = input?.limit ?? 1000;
            const query = { per_page: String(Math.min(PAGE_SIZE, limit)) };
            if (input?.url) query.url = input.url;
            if (input?.name) query.pronounceable_name = input.name;
            const { items, more } = await listAll(ctx, '/v2/monitors', query, { maxItems: limit });
            return { monitors: items.map(monitorSummary), hasMore: more };
          },
        },

        acknowledgeIncident: {
          description: 'Acknowledges an ongoing incident, stopping further escalation. An incident already acknowledged is answered as it is (changed: false).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['incidentId'],
            properties: {
              incidentId: { type: 'string', pattern: INCIDENT_ID, description: 'The incident’s id' },
              acknowledgedBy: { type: 'string', minLength: 1, maxLength: 200, description: 'Who acknowledges it: an email or any identifier' },
            },
          },
          outputSchema: INCIDENT_SCHEMA,
          /** @param {BetterStackContext} ctx */
          run: (ctx, input) => transition(ctx, 'acknowledge', input.incidentId, input.acknowledgedBy),
        },

        resolveIncident: {
          description: 'Resolves an ongoing incident. An incident already resolved is answered as it is (changed: false).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['incidentId'],
            properties: {
              incidentId: { type: 'string', pattern: INCIDENT_ID, description: 'The incident’s id' },
              resolvedBy: { type: 'string', minLength: 1, maxLength: 200, description: 'Who resolves it: an email or any identifier' },
            },
          },
          outputSchema: INCIDENT_SCHEMA,
          /** @param {BetterStackContext} ctx */
          run: (ctx, input) => transition(ctx, 'resolve', input.incidentId, input.resolvedBy),
        },
      },

      sync: {
        defaultFrequency: '15m',
        /**
         * Every monitor and heartbeat with its current status (full lists: the API has no change filter).
         * @param {BetterStackContext} ctx
         */
        async run(ctx) {
          const monitors = await listAll(ctx, '/v2/monitors', { per_page: String(PAGE_SIZE) });
          const heartbeats = await listAll(ctx, '/v2/heartbeats', { per_page: String(PAGE_SIZE) });
          if (monitors.more || heartbeats.more) ctx.log.warn('Better Stack sync stopped at the page limit; the rest was not read', { maxPages: MAX_PAGES });
          return { records: { monitors: monitors.items.map(monitorSummary), heartbeats: heartbeats.items.map(heartbeatSummary) } };
        },
      },

      webhook: {
        /**
         * Better Stack's outgoing webhooks carry no signature (its docs describe none), so a secret chosen by the
         * user stands in for one: the webhook token, presented as `?token=` in the webhook URL, an
         * `X-Webhook-Token` header or the Basic auth password of a custom webhook template, and compared in
         * constant time. Without a configured token every webhook is refused.
         * @param {BetterStackContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const expected = ctx.credentials?.webhookToken;
          if (typeof expected !== 'string' || expected.length < 24) return false;
          return presentedTokens(req ?? {}).some((token) => sameSecret(expected, token));
        },

        /**
         * Incident webhooks (`{ event: "started" | "acknowledged" | "resolved" | "reopened", data: { type: "incident", … } }`):
         * started and reopened → monitoring.incident.opened, resolved → monitoring.incident.resolved. An
         * acknowledgement, and monitor or on-call webhooks, map to nothing.
         * @param {BetterStackContext} ctx
         * @param {InboundRequest} req
         */
        toEvents(ctx, req) {
          const payload = /** @type {any} */ (req?.body);
          const data = payload?.data;
          const event = payload?.event;
          if (!data || data.type !== 'incident' || data.id === undefined) {
            ctx.log.info('Better Stack webhook is not about an incident: no event', { type: data?.type ?? null, event: event ?? null });
            return [];
          }
          const attributes = data.attributes ?? {};
          const fields = {
            incidentId: String(data.id),
            title: [attributes.name, attributes.cause].filter((part) => typeof part === 'string' && part).join(': '),
            startedAt: isoTime(attributes.started_at),
            cause: attributes.cause,
            monitorUrl: webUrl(attributes.url),
            monitorId: data.relationships?.monitor?.data?.id !== undefined ? String(data.relationships.monitor.data.id) : undefined,
          };
          if (event === 'started' || event === 'reopened') return [{ event: 'monitoring.incident.opened', data: incidentEvent(fields) }];
          if (event === 'resolved') {
            return [{ event: 'monitoring.incident.resolved', data: incidentEvent({ ...fields, resolvedAt: isoTime(attributes.resolved_at) ?? new Date().toISOString() }) }];
          }
          ctx.log.info('Better Stack incident webhook maps to no event', { event: event ?? null, incidentId: fields.incidentId });
          return [];
        },
      },
    },
  ],
});
