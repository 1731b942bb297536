// Microsoft Clarity provider for Plugboard, written against the Clarity Data Export API reference (https://learn.microsoft.com/en-us/clarity/setup-and-installation/clarity-data-export-api: project-live-insights, dimensions, errors, limitations and usage quotas).
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError } from 'plugboard/sdk';

/**
 * @typedef {{ projectId: string, apiToken: string }} ClarityCredentials
 * @typedef {{ syncDimensions?: string[] }} ClaritySettings
 * @typedef {import('plugboard/sdk').PluginContext<ClarityCredentials, ClaritySettings>} ClarityContext
 * @typedef {{ metricName: string, information: Array<Record<string, unknown>> }} ClarityMetric
 */

/** The dimensions insights can be broken down by, at most three a request. */
const DIMENSIONS = ['Browser', 'Device', 'Country/Region', 'OS', 'Source', 'Medium', 'Campaign', 'Channel', 'URL'];
/** Clarity's project ids, as in its tracking code (`clarity.ms/tag/<id>`): lower-case letters and digits, ten in the ids seen. */
const PROJECT_ID = '^[a-z0-9]{8,16}$';
/** Data Export API tokens are JWTs (`Authorization: Bearer <token>`). */
const JWT = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$';
/** "Maximum of 10 API requests are allowed per project per day." */
const DAILY_REQUESTS = 10;

const dimensionsSchema = (description) => ({
  type: 'array',
  maxItems: 3,
  uniqueItems: true,
  items: { type: 'string', enum: DIMENSIONS },
  description,
});

/** Seconds until the next UTC day, when Clarity's daily request count starts again. */
function secondsUntilTomorrow(now = Date.now()) {
  const midnight = new Date(now);
  midnight.setUTCHours(24, 0, 0, 0);
  return Math.max(1, Math.ceil((midnight.getTime() - now) / 1000));
}

/** Clarity documents no error body: a JSON message when there is one, else its text. */
function said(text) {
  if (!text) return undefined;
  try {
    const body = JSON.parse(text);
    if (typeof body === 'string') return body || undefined;
    for (const key of ['message', 'error', 'detail', 'title']) if (typeof body?.[key] === 'string' && body[key]) return body[key];
    if (typeof body?.error?.message === 'string') return body.error.message;
    return undefined;
  } catch {
    const plain = text.trim();
    return plain && plain.length <= 300 && !plain.startsWith('<') ? plain : undefined;
  }
}

/** The provider's words without the token, should it ever echo it. @param {ClarityContext} ctx */
function redact(text, ctx) {
  const token = ctx.credentials?.apiToken;
  return text && typeof token === 'string' && token.length >= 4 ? text.split(token).join('[redacted]') : text;
}

/**
 * Calls the Data Export API (the host adds the bearer token and keeps to the declared daily budget) and reads
 * Clarity's documented refusals: 400 bad parameters, 401 a missing/invalid/expired token, 403 a token not
 * authorized for the project, 429 "Exceeded daily limit".
 * @param {ClarityContext} ctx
 * @param {{ numOfDays: number, dimensions?: string[] }} request
 * @returns {Promise<ClarityMetric[]>}
 */
async function liveInsights(ctx, { numOfDays, dimensions = [] }) {
  const query = new URLSearchParams({ numOfDays: String(numOfDays) });
  dimensions.slice(0, 3).forEach((dimension, index) => query.set(`dimension${index + 1}`, dimension));
  // No retries: every request, answered or not, may count against the day's ten.
  const response = await ctx.http(`/project-live-insights?${query}`, { headers: { accept: 'application/json' }, retries: 0 });
  const text = await response.text();
  if (!response.ok) {
    const reason = redact(said(text), ctx);
    switch (response.status) {
      case 400:
        throw new ProviderRejectedError(
          `Clarity refused the request parameters (400 Bad Request${reason ? `: ${reason}` : ''}): numOfDays must be 1, 2 or 3, with at most three of the dimensions ${DIMENSIONS.join(', ')}.`,
        );
      case 401:
        throw new ProviderRejectedError(
          'Clarity refused the Data Export API token (401 Unauthorized): it is missing, invalid or expired. A project admin can generate a new one under Settings → Data Export → Generate new API token.',
        );
      case 403:
        throw new ProviderRejectedError(
          `Clarity: the Data Export API token is not authorized for this project (403 Forbidden${reason ? `: ${reason}` : ''}). Tokens stop working when the user who created them leaves the project: have a project admin generate a new one.`,
        );
      case 429:
        throw new ProviderRateLimitedError(
          `Clarity’s data export quota for this project is used up for today (${reason ?? 'Exceeded daily limit'}: at most ${DAILY_REQUESTS} requests per project per day, counting every client of the project). It resets at 00:00 UTC.`,
          secondsUntilTomorrow(),
        );
      default:
        if (response.status >= 400 && response.status < 500 && response.status !== 408) {
          throw new ProviderRejectedError(`Clarity refused the request (HTTP ${response.status}${reason ? `: ${reason}` : ''}).`);
        }
        throw new Error(`Clarity answered HTTP ${response.status}${reason ? `: ${reason}` : ''}`);
    }
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('Clarity answered the live insights with a body that is not JSON');
  }
  if (!Array.isArray(body)) throw new Error('Clarity answered the live insights with something other than a list of metrics');
  return body
    .filter((metric) => metric && typeof metric.metricName === 'string')
    .map((metric) => ({ metricName: metric.metricName, information: Array.isArray(metric.information) ? metric.information : [] }));
}

/**
 * What can be checked without spending the project's daily requests: every Data Export API call counts
 * against Clarity's 10 a day, and there is no free endpoint, so the token is not sent anywhere. The project
 * id's format is pinned by the schema; the token must be a readable JWT and, when it says when it expires
 * (`exp`), not expired. Its first real use (the daily sync or getLiveInsights) is what proves it.
 * @param {ClarityContext} ctx
 */
function checkLocally(ctx) {
  const { projectId, apiToken } = ctx.credentials ?? {};
  if (typeof projectId !== 'string' || !new RegExp(PROJECT_ID).test(projectId)) {
    throw new ProviderRejectedError('Clarity: the project id is not one (Settings → Overview: ten lower-case letters and digits, as in clarity.ms/tag/<id>).');
  }
  let claims;
  try {
    if (typeof apiToken !== 'string' || !new RegExp(JWT).test(apiToken)) throw new Error('not a JWT');
    claims = JSON.parse(Buffer.from(apiToken.split('.')[1], 'base64url').toString('utf8'));
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('no claims');
  } catch {
    throw new ProviderRejectedError('Clarity: the Data Export API token is not one (it is a JWT: three dot-separated parts). Copy it again from Settings → Data Export.');
  }
  const expiresAt = typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? new Date(claims.exp * 1000) : undefined;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new ProviderRejectedError(`Clarity: the Data Export API token expired on ${expiresAt.toISOString()}. A project admin can generate a new one under Settings → Data Export.`);
  }
  return { projectId, expiresAt };
}

const METRICS_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['metricName', 'information'],
    properties: {
      metricName: { type: 'string', description: 'Traffic, ScrollDepth, EngagementTime, PopularPages, DeadClickCount, RageClickCount, …' },
      information: {
        type: 'array',
        items: { type: 'object', additionalProperties: true },
        description: 'Rows as Clarity answers them: the metric’s values (numbers, often as strings) and one field per requested dimension',
      },
    },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'microsoft_clarity',
      name: 'Microsoft Clarity',
      category: 'analytics',
      description: 'Read a Clarity project’s live dashboard insights (traffic, engagement, scroll depth, rage and dead clicks) by up to three dimensions, and sync them daily.',
      auth: {
        // `basic`, not `api_key`: the project id is a plain identifier the host's pages show, next to the secret
        // token; `apply` sends the token alone, as the bearer token the Data Export API takes.
        type: 'basic',
        credentialsSchema: {
          type: 'object',
          required: ['projectId', 'apiToken'],
          additionalProperties: false,
          properties: {
            projectId: {
              type: 'string',
              pattern: PROJECT_ID,
              title: 'Project ID',
              description: 'Settings → Overview of the Clarity project (also in its tracking code, clarity.ms/tag/<project id>)',
            },
            apiToken: {
              type: 'string',
              pattern: JWT,
              maxLength: 4096,
              title: 'Data Export API token',
              description: 'Settings → Data Export → Generate new API token (project admins only)',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {apiToken}' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          syncDimensions: {
            ...dimensionsSchema('Up to three dimensions the daily sync breaks insights down by; none gives the project’s totals'),
            title: 'Sync dimensions',
            default: [],
          },
        },
      },
      baseUrl: 'https://www.clarity.ms/export-data/api/v1',
      // "Maximum of 10 API requests are allowed per project per day": the whole day's budget for this connection
      // (other clients of the project spend from the same quota at Clarity, so a 429 can still come earlier).
      rateLimits: [{ requests: DAILY_REQUESTS, windowMs: 86_400_000, scope: 'connection' }],

      /**
       * No request: each would spend one of the project's 10 daily requests (see checkLocally). The project id
       * goes to metadata, so the host's pages have it without asking Clarity.
       * @param {ClarityContext} ctx
       */
      async verify(ctx) {
        const { projectId, expiresAt } = checkLocally(ctx);
        return {
          displayName: `Clarity project ${projectId}`,
          metadata: { projectId, tokenExpiresAt: expiresAt ? expiresAt.toISOString() : null, verifiedWithClarity: false },
        };
      },

      /** The same local checks: a health check must not spend the daily quota. @param {ClarityContext} ctx */
      async healthCheck(ctx) {
        checkLocally(ctx);
      },

      actions: {
        getLiveInsights: {
          description: `The project’s dashboard insights of the last 1, 2 or 3 days (24, 48 or 72 hours), optionally broken down by up to three dimensions. Each call spends one of the project’s ${DAILY_REQUESTS} daily Data Export requests; answers are at most 1,000 rows, not paginated.`,
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['numOfDays'],
            properties: {
              numOfDays: { type: 'integer', enum: [1, 2, 3], description: 'The last 24, 48 or 72 hours' },
              dimensions: dimensionsSchema(`Up to three of ${DIMENSIONS.join(', ')}`),
            },
          },
          outputSchema: {
            type: 'object',
            required: ['projectId', 'numOfDays', 'dimensions', 'metrics'],
            properties: {
              projectId: { type: 'string' },
              numOfDays: { type: 'integer' },
              dimensions: { type: 'array', items: { type: 'string' } },
              metrics: METRICS_SCHEMA,
            },
          },
          /** @param {ClarityContext} ctx */
          async run(ctx, input) {
            const dimensions = input.dimensions ?? [];
            const metrics = await liveInsights(ctx, { numOfDays: input.numOfDays, dimensions });
            return { projectId: ctx.credentials.projectId, numOfDays: input.numOfDays, dimensions, metrics };
          },
        },
      },

      sync: {
        // One request a day of the ten: the last 24 hours, by the configured dimensions.
        defaultFrequency: '1d',
        /**
         * One record per metric of the last 24 hours, keyed by the UTC day the sync ran and the metric name.
         * @param {ClarityContext} ctx
         */
        async run(ctx) {
          const dimensions = Array.isArray(ctx.settings?.syncDimensions) ? ctx.settings.syncDimensions.filter((name) => DIMENSIONS.includes(name)).slice(0, 3) : [];
          const fetchedAt = new Date().toISOString();
          const day = fetchedAt.slice(0, 10);
          const metrics = await liveInsights(ctx, { numOfDays: 1, dimensions });
          return {
            records: {
              liveInsights: metrics.map((metric) => ({
                id: `${day}:${metric.metricName}`,
                day,
                fetchedAt,
                numOfDays: 1,
                dimensions,
                metricName: metric.metricName,
                information: metric.information,
              })),
            },
          };
        },
      },
    },
  ],
});
