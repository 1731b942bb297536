// Sentry provider for Plugboard, written against Sentry's web API reference (https://docs.sentry.io/api/: auth, region domains, pagination, rate limits, "List a Project's Issues", "Update an Issue") and its integration platform webhooks (https://docs.sentry.io/organization/integrations/integration-platform/webhooks/).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ authToken: string, clientSecret?: string }} SentryCredentials
 * @typedef {{ region?: 'us' | 'de', organizationSlug?: string }} SentryMetadata
 * @typedef {import('plugboard/sdk').PluginContext<SentryCredentials, Record<string, never>>} SentryContext
 * @typedef {{ method: string, headers: Record<string, string>, query: Record<string, string>, rawBody: string, body?: unknown }} InboundRequest
 *
 * An issue as Sentry serialises it (the fields this plugin reads).
 * @typedef {{
 *   id: string, shortId?: string, title?: string, culprit?: string, level?: string, status?: string, substatus?: string | null,
 *   statusDetails?: Record<string, unknown>, count?: string | number, userCount?: number, firstSeen?: string, lastSeen?: string,
 *   permalink?: string | null, web_url?: string, project?: { id?: string, slug?: string, name?: string },
 * }} SentryIssue
 */

/**
 * Sentry stores each organization's data in one region and serves its API from that region's domain
 * (https://docs.sentry.io/api/ "Finding the API base domain"): us.sentry.io or de.sentry.io.
 */
const REGIONS = { us: 'https://us.sentry.io', de: 'https://de.sentry.io' };
const REGION_NAMES = { us: 'US', de: 'EU (Germany)' };
/** Sentry slugs: lower-case letters, digits, `-` and `_`, at most 50 characters. */
const SLUG = '^[a-z0-9][a-z0-9_-]{0,49}$';
/** The issue list serves at most 100 issues a page. */
const PAGE_SIZE = 100;
const MAX_ISSUES = 1000;
/** Pagination cursors: `<value>:<offset>:<is_prev>`, e.g. `1420837533000:0:0`. */
const CURSOR = '^[A-Za-z0-9._-]{1,64}:[0-9]{1,9}:[01]$';
/** Issues are addressed by their numeric id or their short id (`FRONT-END-9`). */
const ISSUE_ID = '^([0-9]{1,20}|[A-Za-z0-9][A-Za-z0-9_-]{0,60}-[A-Za-z0-9]{1,20})$';

/**
 * Sentry's error bodies: `{ detail: "..." }` (also for 401/403/404/429), `{ detail: { message, code } }` for
 * some refusals, Django REST framework field errors (`{ status: ['"x" is not a valid choice.'] }`), and, from
 * older rate limiters, a bare JSON string.
 */
function sentryMessage(body) {
  if (typeof body === 'string') return body.trim() || undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { detail } = body;
  if (typeof detail === 'string' && detail) return detail;
  if (detail && typeof detail === 'object' && typeof detail.message === 'string' && detail.message) return detail.message;
  const fields = Object.entries(body)
    .filter(([, value]) => Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string'))
    .map(([field, value]) => `${field}: ${value.join(' ')}`);
  return fields.length ? fields.join('; ') : undefined;
}

const errors = { message: sentryMessage };

/**
 * The connection's region and organization (connection inputs, kept in metadata). Refused when absent or
 * malformed: the base URL is built from them.
 * @param {SentryContext} ctx
 */
function connection(ctx) {
  /** @type {SentryMetadata} */
  const metadata = ctx.integration?.metadata ?? {};
  const region = metadata.region;
  const organizationSlug = metadata.organizationSlug;
  if (region !== 'us' && region !== 'de') {
    throw new ProviderRejectedError('Sentry: this connection names no data storage region (us or de). Connect it again and choose the region of the organization.');
  }
  if (typeof organizationSlug !== 'string' || !new RegExp(SLUG).test(organizationSlug)) {
    throw new ProviderRejectedError('Sentry: this connection names no valid organization slug. Connect it again with the slug from the organization’s URL.');
  }
  return { region, organizationSlug };
}

/** What a refusal means, in words a person can act on (the provider's own message first). */
function explain(status, said, hints) {
  if (status === 401) {
    return `Sentry refused the auth token (${said ?? 'Invalid token'}). Create an organization auth token or an internal integration token with the scopes org:read, project:read and event:write, and enter it again.`;
  }
  if (status === 403) return `Sentry: ${said ?? 'You do not have permission to perform this action.'} The token needs the ${hints.scope ?? 'org:read'} scope in this organization.`;
  if (status === 404) return hints.notFound ?? `Sentry: ${said ?? 'The requested resource does not exist'}`;
  return said ? `Sentry: ${said}` : undefined;
}

/**
 * Sentry's 429 (`{ detail: "You are attempting to use this endpoint too frequently. Limit is 5 requests in 1
 * seconds" }`) carries no Retry-After: `X-Sentry-Rate-Limit-Reset` (UTC epoch seconds) says when the window
 * starts again.
 * @param {Response} response
 */
async function rateLimited(response) {
  let said;
  try {
    said = sentryMessage(JSON.parse(await response.text()));
  } catch {
    said = undefined;
  }
  const reset = Number(response.headers.get('x-sentry-rate-limit-reset'));
  const retryAfter = Number(response.headers.get('retry-after'));
  let seconds;
  if (Number.isFinite(retryAfter) && retryAfter > 0) seconds = retryAfter;
  else if (Number.isFinite(reset) && reset > 0) seconds = Math.max(1, Math.ceil(reset - Date.now() / 1000));
  return new ProviderRateLimitedError(`Sentry rate limit reached: ${said ?? 'too many requests'}`, seconds);
}

/**
 * Calls the API under https://<region>.sentry.io/api/0 (the host adds the bearer token and waits for the
 * declared budgets); answers the JSON and the response, or throws what the status means.
 * @param {SentryContext} ctx
 * @param {string} path relative to /api/0
 * @param {{ method?: string, body?: Record<string, unknown> }} init
 * @param {{ scope?: string, notFound?: string }} hints
 */
async function sentry(ctx, path, init = {}, hints = {}) {
  const response = await ctx.http(path, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: init.body } : {}),
  });
  if (response.status === 429) throw await rateLimited(response);
  const body = await readJson(response, ctx, { message: (answer) => explain(response.status, sentryMessage(answer), hints) });
  return { body, response };
}

/**
 * The `rel="next"` page of Sentry's Link header, with its `results` flag: Sentry always names a next cursor
 * and says with `results="false"` that there is nothing behind it (https://docs.sentry.io/api/pagination/).
 * @param {string | null} header
 * @returns {{ cursor: string, results: boolean } | undefined}
 */
function nextPage(header) {
  for (const part of (header ?? '').split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (!match) continue;
    const attributes = Object.fromEntries([...match[2].matchAll(/;\s*([\w-]+)\s*=\s*"([^"]*)"/g)].map(([, name, value]) => [name.toLowerCase(), value]));
    if (attributes.rel !== 'next') continue;
    let cursor = attributes.cursor;
    if (!cursor) {
      try {
        cursor = new URL(match[1]).searchParams.get('cursor') ?? undefined;
      } catch {
        cursor = undefined;
      }
    }
    if (!cursor) return undefined;
    return { cursor, results: attributes.results !== 'false' };
  }
  return undefined;
}

const optionalString = (value) => (typeof value === 'string' && value ? value : null);

/** @param {SentryIssue} issue */
function issueSummary(issue) {
  const count = Number(issue.count);
  return {
    id: String(issue.id),
    shortId: optionalString(issue.shortId),
    title: optionalString(issue.title),
    culprit: optionalString(issue.culprit),
    level: optionalString(issue.level),
    status: optionalString(issue.status),
    substatus: optionalString(issue.substatus),
    count: Number.isFinite(count) ? count : 0,
    userCount: Number.isFinite(Number(issue.userCount)) ? Number(issue.userCount) : 0,
    firstSeen: optionalString(issue.firstSeen),
    lastSeen: optionalString(issue.lastSeen),
    permalink: optionalString(issue.permalink),
    project: issue.project ? { id: optionalString(String(issue.project.id ?? '')), slug: optionalString(issue.project.slug), name: optionalString(issue.project.name) } : null,
  };
}

const nullableString = { type: ['string', 'null'] };
const ISSUE_SCHEMA = {
  type: 'object',
  required: ['id', 'status'],
  properties: {
    id: { type: 'string' },
    shortId: nullableString,
    title: nullableString,
    culprit: nullableString,
    level: { type: ['string', 'null'], description: 'fatal, error, warning, info or debug' },
    status: { type: ['string', 'null'], description: 'unresolved, resolved or ignored' },
    substatus: nullableString,
    count: { type: 'integer', description: 'Events in the issue' },
    userCount: { type: 'integer', description: 'Users affected' },
    firstSeen: { type: ['string', 'null'], format: 'date-time' },
    lastSeen: { type: ['string', 'null'], format: 'date-time' },
    permalink: { type: ['string', 'null'], format: 'uri' },
    project: {
      type: ['object', 'null'],
      properties: { id: nullableString, slug: nullableString, name: nullableString },
    },
  },
};

// --- webhooks ------------------------------------------------------------------------------------

/** Constant-time equality of two hex digests (false when their lengths differ). */
function sameHex(expected, given) {
  const left = Buffer.from(expected, 'utf8');
  const right = Buffer.from(String(given).toLowerCase(), 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

const hmacHex = (secret, text) => createHmac('sha256', secret).update(text, 'utf8').digest('hex');

/** An ISO 8601 time, or undefined when the value is not one. */
function isoTime(value) {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const time = typeof value === 'number' ? value * 1000 : Date.parse(value);
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

/** An http(s) URL, or undefined (event payloads must carry valid URIs only). */
function webUrl(value) {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value)) return undefined;
  try {
    return new URL(value).href;
  } catch {
    return undefined;
  }
}

/** The incident fields that have a value: the host's event schema wants strings where a field is present. */
function incident(fields) {
  return Object.fromEntries(Object.entries({ provider: 'sentry', ...fields }).filter(([, value]) => typeof value === 'string' && value !== ''));
}

/** When Sentry sent the webhook (`Sentry-Hook-Timestamp`, UTC epoch seconds), else now. */
function deliveredAt(req) {
  const seconds = Number(req.headers?.['sentry-hook-timestamp']);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : new Date().toISOString();
}

/**
 * The host events of one webhook: an issue created → opened, resolved → resolved; an issue alert
 * (`event_alert`, action `triggered`) → opened for the alert's issue; a metric alert `critical`/`warning` →
 * opened, `resolved` → resolved. Installation, error, comment and other actions map to nothing.
 * @param {InboundRequest} req
 */
function webhookEvents(req) {
  const payload = /** @type {any} */ (req.body);
  const resource = req.headers?.['sentry-hook-resource'];
  const action = payload?.action;
  const data = payload?.data ?? {};
  if (resource === 'issue' && data.issue?.id !== undefined) {
    const issue = data.issue;
    const fields = {
      incidentId: String(issue.id),
      title: issue.title ?? issue.shortId,
      url: webUrl(issue.web_url) ?? webUrl(issue.permalink),
      severity: issue.level,
      startedAt: isoTime(issue.firstSeen),
      shortId: issue.shortId,
      project: issue.project?.slug,
    };
    if (action === 'created') return [{ event: 'monitoring.incident.opened', data: incident(fields) }];
    if (action === 'resolved') return [{ event: 'monitoring.incident.resolved', data: incident({ ...fields, resolvedAt: deliveredAt(req) }) }];
    return [];
  }
  if (resource === 'event_alert' && action === 'triggered' && data.event) {
    const event = data.event;
    return [
      {
        event: 'monitoring.incident.opened',
        data: incident({
          incidentId: event.issue_id !== undefined ? String(event.issue_id) : undefined,
          title: event.title,
          url: webUrl(event.web_url),
          severity: event.level,
          startedAt: isoTime(event.datetime) ?? isoTime(event.timestamp),
          alertRule: typeof data.triggered_rule === 'string' ? data.triggered_rule : undefined,
          eventId: event.event_id,
        }),
      },
    ].filter((entry) => entry.data.incidentId);
  }
  if (resource === 'metric_alert' && data.metric_alert?.id !== undefined) {
    const alert = data.metric_alert;
    const fields = {
      incidentId: `metric-alert-${alert.id}`,
      title: data.description_title ?? alert.title ?? alert.alert_rule?.name,
      url: webUrl(data.web_url),
      alertRule: alert.alert_rule?.name,
      description: data.description_text,
    };
    if (action === 'critical' || action === 'warning') {
      return [{ event: 'monitoring.incident.opened', data: incident({ ...fields, severity: action, startedAt: isoTime(alert.date_started) ?? isoTime(alert.date_detected) }) }];
    }
    if (action === 'resolved') {
      return [
        {
          event: 'monitoring.incident.resolved',
          data: incident({ ...fields, startedAt: isoTime(alert.date_started), resolvedAt: isoTime(alert.date_closed) ?? deliveredAt(req) }),
        },
      ];
    }
  }
  return [];
}

export default definePlugin({
  providers: [
    {
      id: 'sentry',
      name: 'Sentry',
      category: 'monitoring',
      description: 'List and resolve Sentry issues, and turn Sentry issue and alert webhooks into monitoring incidents.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['authToken'],
          additionalProperties: false,
          properties: {
            authToken: {
              type: 'string',
              title: 'Auth token',
              description:
                'An organization auth token (Settings → Auth Tokens) or the token of an internal integration, with the scopes org:read, project:read and event:write',
              minLength: 20,
              maxLength: 1000,
              pattern: '^\\S+$',
              secret: true,
            },
            clientSecret: {
              type: 'string',
              title: 'Integration client secret',
              description:
                'The Client Secret of the internal integration (Settings → Developer Settings → Custom Integrations) whose webhook URL is this connection’s hook URL: Sentry signs its webhooks with it',
              minLength: 16,
              maxLength: 256,
              pattern: '^\\S+$',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {authToken}' } },
      },
      connectionInputs: {
        type: 'object',
        required: ['region', 'organizationSlug'],
        additionalProperties: false,
        properties: {
          region: {
            type: 'string',
            enum: ['us', 'de'],
            default: 'us',
            title: 'Data storage region',
            description: 'Where the organization’s data is stored (Organization Settings → General): us → us.sentry.io, de (EU) → de.sentry.io',
          },
          organizationSlug: {
            type: 'string',
            pattern: SLUG,
            title: 'Organization slug',
            description: 'The organization’s short name, as in https://<slug>.sentry.io',
          },
        },
      },
      baseUrl: 'https://{region}.sentry.io/api/0',
      errors,
      // Sentry limits every endpoint per caller and per organization (X-Sentry-Rate-Limit-* headers). Its
      // issue endpoints declare 5 requests a second (GET of a project's issues; PUT of an issue), counted per
      // organization: declared here per organization slug. Other endpoints have higher, unpublished limits.
      rateLimits: [
        { requests: 5, windowMs: 1000, scope: 'account', accountKey: 'organizationSlug', match: ['GET /projects/'] },
        { requests: 5, windowMs: 1000, scope: 'account', accountKey: 'organizationSlug', match: ['PUT /organizations/'] },
      ],

      /**
       * The organization behind the token and inputs (`GET /organizations/{org}/`), in the region chosen.
       * @param {SentryContext} ctx
       */
      async verify(ctx) {
        const { region, organizationSlug } = connection(ctx);
        const { body: organization } = await sentry(
          ctx,
          `/organizations/${encodeURIComponent(organizationSlug)}/`,
          {},
          {
            scope: 'org:read',
            notFound: `Sentry has no organization "${organizationSlug}" in the ${REGION_NAMES[region]} region (${REGIONS[region].slice(8)}) that this token can see: check the organization slug and its data storage region (Organization Settings → General).`,
          },
        );
        const regionUrl = typeof organization?.links?.regionUrl === 'string' ? organization.links.regionUrl : undefined;
        if (regionUrl && regionUrl.replace(/\/+$/, '') !== REGIONS[region]) {
          const other = Object.entries(REGIONS).find(([, origin]) => origin === regionUrl.replace(/\/+$/, ''))?.[0];
          throw new ProviderRejectedError(
            `Sentry: the organization "${organizationSlug}" stores its data in another region (${regionUrl})${other ? `: connect again with the region "${other}"` : ''}.`,
          );
        }
        return {
          displayName: organization?.name || organizationSlug,
          metadata: {
            organizationId: organization?.id === undefined ? null : String(organization.id),
            organizationSlug: organization?.slug ?? organizationSlug,
            organizationName: organization?.name ?? null,
            regionUrl: regionUrl ?? REGIONS[region],
            organizationUrl: typeof organization?.links?.organizationUrl === 'string' ? organization.links.organizationUrl : null,
          },
        };
      },

      /** The same read of the organization: one cheap authenticated request. @param {SentryContext} ctx */
      async healthCheck(ctx) {
        const { organizationSlug } = connection(ctx);
        await sentry(ctx, `/organizations/${encodeURIComponent(organizationSlug)}/`, {}, { scope: 'org:read' });
      },

      actions: {
        listIssues: {
          description:
            'Lists a project’s issues, newest activity first (Sentry’s default query is "is:unresolved"; an empty query lists every issue). Follows Sentry’s cursor pagination up to "limit" issues and answers the cursor to continue from.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['projectSlug'],
            properties: {
              projectSlug: { type: 'string', pattern: SLUG, description: 'The project’s slug' },
              query: { type: 'string', maxLength: 1000, description: 'A Sentry search query, e.g. "is:unresolved level:error"; "" for all issues' },
              limit: { type: 'integer', minimum: 1, maximum: MAX_ISSUES, default: PAGE_SIZE, description: `How many issues at most (up to ${MAX_ISSUES})` },
              cursor: { type: 'string', pattern: CURSOR, description: 'Continue from a previous answer’s nextCursor' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['issues', 'nextCursor'],
            properties: {
              issues: { type: 'array', items: ISSUE_SCHEMA },
              nextCursor: { type: ['string', 'null'], description: 'Where the list continues; null when Sentry says there are no more results' },
            },
          },
          /** @param {SentryContext} ctx */
          async run(ctx, input) {
            const { organizationSlug } = connection(ctx);
            const limit = input.limit ?? PAGE_SIZE;
            const path = `/projects/${encodeURIComponent(organizationSlug)}/${encodeURIComponent(input.projectSlug)}/issues/`;
            const issues = [];
            let cursor = input.cursor;
            let nextCursor = null;
            while (issues.length < limit) {
              // statsPeriod "" leaves out the timeline stats nobody reads here.
              const query = new URLSearchParams({ statsPeriod: '', limit: String(Math.min(PAGE_SIZE, limit - issues.length)) });
              if (input.query !== undefined) query.set('query', input.query);
              if (cursor) query.set('cursor', cursor);
              const { body, response } = await sentry(
                ctx,
                `${path}?${query}`,
                {},
                { scope: 'project:read', notFound: `Sentry has no project "${input.projectSlug}" in the organization "${organizationSlug}" that this token can see.` },
              );
              if (!Array.isArray(body)) throw new Error('Sentry answered the issue list with something other than a list');
              issues.push(...body.map(issueSummary));
              const next = nextPage(response.headers.get('link'));
              // Sentry names a next cursor on every page; results="false" says it leads nowhere.
              nextCursor = next?.results ? next.cursor : null;
              if (!nextCursor || body.length === 0) break;
              cursor = nextCursor;
            }
            return { issues: issues.slice(0, limit), nextCursor };
          },
        },

        resolveIssue: {
          description: 'Marks an issue resolved (or resolved in the next release). Answers the issue as Sentry now has it.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['issueId'],
            properties: {
              issueId: { type: 'string', pattern: ISSUE_ID, description: 'The issue’s numeric id, or its short id such as FRONT-END-9' },
              inNextRelease: { type: 'boolean', default: false, description: 'Resolve in the next release instead of now' },
            },
          },
          outputSchema: ISSUE_SCHEMA,
          /** @param {SentryContext} ctx */
          async run(ctx, input) {
            const { organizationSlug } = connection(ctx);
            const { body } = await sentry(
              ctx,
              `/organizations/${encodeURIComponent(organizationSlug)}/issues/${encodeURIComponent(input.issueId)}/`,
              { method: 'PUT', body: { status: input.inNextRelease ? 'resolvedInNextRelease' : 'resolved' } },
              { scope: 'event:write', notFound: `Sentry has no issue ${input.issueId} in the organization "${organizationSlug}" that this token can see.` },
            );
            return issueSummary(body);
          },
        },
      },

      webhook: {
        /**
         * `Sentry-Hook-Signature`: the hex HMAC-SHA256 of the request body keyed with the integration's Client
         * Secret, compared in constant time. Sentry's documented example signs `JSON.stringify(body)`, which is
         * the bytes Sentry sends; the raw body is checked first, then its re-serialisation. Sentry signs no
         * timestamp, so there is no replay window to check.
         * @param {SentryContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const secret = ctx.credentials?.clientSecret;
          const signature = req?.headers?.['sentry-hook-signature'];
          if (typeof secret !== 'string' || !secret || typeof signature !== 'string' || !/^[0-9a-fA-F]{64}$/.test(signature)) return false;
          if (typeof req.rawBody !== 'string') return false;
          const candidates = [req.rawBody];
          if (req.body !== undefined) {
            const reserialised = JSON.stringify(req.body);
            if (reserialised !== req.rawBody) candidates.push(reserialised);
          }
          return candidates.some((text) => sameHex(hmacHex(secret, text), signature));
        },

        /** @param {SentryContext} ctx @param {InboundRequest} req */
        toEvents(ctx, req) {
          const events = webhookEvents(req);
          if (events.length === 0) {
            ctx.log.info('Sentry webhook mapped to no event', { resource: req?.headers?.['sentry-hook-resource'] ?? null, action: /** @type {any} */ (req?.body)?.action ?? null });
          }
          return events;
        },
      },
    },
  ],
});
