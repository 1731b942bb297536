// InsightIQ (formerly Phyllo) provider for Plugboard, written against the InsightIQ API reference
// (https://docs.insightiq.ai/docs/api-reference/api/ref: Connect — work platforms, users, SDK tokens;
// Identity — profiles, audience; public creator profile analytics; webhooks) and Phyllo's published
// Postman collection and Connect API definition, which the InsightIQ API continues under /v1.
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {'sandbox' | 'staging' | 'production'} InsightIQEnvironment
 * @typedef {{ clientId: string, clientSecret: string, webhookSecret?: string }} InsightIQCredentials
 * @typedef {import('plugboard/sdk').PluginContext<InsightIQCredentials, Record<string, never>>} InsightIQContext
 */

/**
 * The API host of each environment (sandbox: mock data, staging: real data for development, production).
 * The connection input `environment` picks one; `verify` stores it as the metadata key `apiHost`, which
 * fills `{apiHost}` in the base URL. It is only ever one of these values, never text a user typed.
 */
const API_HOSTS = { sandbox: 'api.sandbox.insightiq.ai', staging: 'api.staging.insightiq.ai', production: 'api.insightiq.ai' };

/** List endpoints page by `offset` and `limit`; 100 is the largest page this plugin asks for. */
const PAGE = 100;
/** A sync reads at most this many pages of profiles. */
const MAX_PAGES = 100;

/** The Connect SDK products an SDK token may grant. */
const PRODUCTS = ['IDENTITY', 'IDENTITY.AUDIENCE', 'ENGAGEMENT', 'ENGAGEMENT.AUDIENCE', 'INCOME'];

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID_RE = new RegExp(UUID);

/**
 * InsightIQ answers failures as `{ error: { type, code, error_code, message, status_code,
 * http_status_code, request_id } }`. A refusal reads as the message, then the error code and the
 * request id InsightIQ support asks for.
 */
function insightiqMessage(body) {
  if (!body || typeof body !== 'object') return undefined;
  if (typeof body.error === 'string' && body.error) return typeof body.message === 'string' && body.message ? `${body.message} (${body.error})` : body.error;
  const error = body.error && typeof body.error === 'object' ? body.error : body;
  const message = [error.message, error.detail, error.description].find((value) => typeof value === 'string' && value);
  if (!message) return undefined;
  const code = [error.error_code, error.code, error.type].find((value) => typeof value === 'string' && value);
  const extra = [code, typeof error.request_id === 'string' && error.request_id ? `request_id ${error.request_id}` : undefined].filter(Boolean);
  return extra.length ? `${message} (${extra.join(', ')})` : message;
}

const errors = { message: insightiqMessage };

/** @param {InsightIQContext} ctx */
function environmentOf(ctx) {
  const environment = ctx.integration.metadata?.environment;
  if (!Object.hasOwn(API_HOSTS, environment)) {
    throw new ProviderRejectedError('No InsightIQ environment: choose sandbox, staging or production for this connection and connect again.');
  }
  return /** @type {InsightIQEnvironment} */ (environment);
}

/**
 * Calls the API under the connection's host (the host adds HTTP Basic from the client ID and secret).
 * @param {InsightIQContext} ctx
 * @param {string} path
 * @param {import('plugboard/sdk').PluginHttpInit} [init]
 */
async function call(ctx, path, init = {}) {
  if (ctx.integration.metadata?.apiHost !== API_HOSTS[environmentOf(ctx)]) {
    throw new ProviderRejectedError('This InsightIQ connection has not been verified for its environment: connect it again.');
  }
  const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) };
  return ctx.http(path, { ...init, headers: { ...headers, ...init.headers } });
}

/**
 * `call`, read as JSON (InsightIQ's refusals thrown with its message).
 * @param {InsightIQContext} ctx
 * @param {string} path
 * @param {import('plugboard/sdk').PluginHttpInit} [init]
 */
async function insightiq(ctx, path, init = {}) {
  return readJson(await call(ctx, path, init), ctx, errors);
}

const text = (value) => (typeof value === 'string' && value !== '' ? value : value === null || value === undefined || value === '' ? null : String(value));
const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : null);
const bool = (value) => (typeof value === 'boolean' ? value : null);

function workPlatformRef(platform) {
  if (!platform || typeof platform !== 'object') return null;
  return { id: text(platform.id), name: text(platform.name), logoUrl: text(platform.logo_url) };
}

function workPlatformRecord(platform) {
  const products = platform?.products && typeof platform.products === 'object' ? platform.products : {};
  const supported = (product) => products[product]?.is_supported === true;
  return {
    id: String(platform.id),
    name: text(platform.name),
    category: text(platform.category),
    status: text(platform.status),
    url: text(platform.url),
    logoUrl: text(platform.logo_url),
    products: {
      identity: supported('identity'),
      identityAudience: products.identity?.audience?.is_supported === true,
      engagement: supported('engagement'),
      engagementAudience: products.engagement?.audience?.is_supported === true,
      income: supported('income'),
    },
  };
}

function profileRecord(profile) {
  const reputation = profile?.reputation && typeof profile.reputation === 'object' ? profile.reputation : {};
  return {
    id: String(profile.id),
    userId: text(profile.user?.id),
    accountId: text(profile.account?.id),
    workPlatform: workPlatformRef(profile.work_platform),
    platformUsername: text(profile.platform_username),
    fullName: text(profile.full_name),
    url: text(profile.url),
    imageUrl: text(profile.image_url),
    introduction: text(profile.introduction),
    platformAccountType: text(profile.platform_account_type),
    isVerified: bool(profile.is_verified),
    isBusiness: bool(profile.is_business),
    country: text(profile.country),
    followerCount: num(reputation.follower_count),
    followingCount: num(reputation.following_count),
    subscriberCount: num(reputation.subscriber_count),
    contentCount: num(reputation.content_count),
    createdAt: text(profile.created_at),
    updatedAt: text(profile.updated_at),
  };
}

const share = (entries, key) =>
  Array.isArray(entries)
    ? entries.filter((entry) => entry && typeof entry === 'object').map((entry) => ({ [key]: text(entry[key]), value: num(entry.value) }))
    : [];

/** One account's audience demographics (`GET /v1/audience?account_id=`), keyed by the account. */
function audienceRecord(accountId, audience) {
  return {
    id: accountId,
    workPlatform: workPlatformRef(audience?.work_platform),
    countries: share(audience?.countries, 'code'),
    cities: share(audience?.cities, 'name'),
    genderAgeDistribution: Array.isArray(audience?.gender_age_distribution)
      ? audience.gender_age_distribution
          .filter((entry) => entry && typeof entry === 'object')
          .map((entry) => ({ gender: text(entry.gender), ageRange: text(entry.age_range), value: num(entry.value) }))
      : [],
    updatedAt: text(audience?.updated_at),
  };
}

/** The public creator profile analytics (`POST /v1/social/creators/profiles/analytics`), summarised. */
function creatorProfile(body) {
  const profile = body?.profile && typeof body.profile === 'object' ? body.profile : {};
  return {
    id: text(body?.id),
    workPlatform: workPlatformRef(body?.work_platform ?? profile.work_platform),
    platformUsername: text(profile.platform_username),
    fullName: text(profile.full_name),
    url: text(profile.url),
    imageUrl: text(profile.image_url),
    introduction: text(profile.introduction),
    platformAccountType: text(profile.platform_account_type),
    isVerified: bool(profile.is_verified),
    followerCount: num(profile.follower_count),
    followingCount: num(profile.following_count),
    subscriberCount: num(profile.subscriber_count),
    contentCount: num(profile.content_count),
    engagementRate: num(profile.engagement_rate),
    averageLikes: num(profile.average_likes),
    averageComments: num(profile.average_comments),
    averageViews: num(profile.average_views),
    audience: profile.audience && typeof profile.audience === 'object' ? profile.audience : null,
  };
}

/**
 * Every item of an offset/limit list, page after page until a short page (or `maxPages`).
 * @param {InsightIQContext} ctx
 */
async function readAll(ctx, path, query = {}, maxPages = MAX_PAGES) {
  const items = [];
  for (let page = 0; page < maxPages; page += 1) {
    const params = new URLSearchParams({ ...query, limit: String(PAGE), offset: String(page * PAGE) });
    const body = await insightiq(ctx, `${path}?${params}`);
    if (!Array.isArray(body?.data)) throw new Error(`InsightIQ answered ${path} without a data array`);
    items.push(...body.data);
    if (body.data.length < PAGE) return items;
  }
  ctx.log.warn(`InsightIQ ${path}: stopped after ${maxPages} pages`);
  return items;
}

function basicOf(credentials) {
  return `Basic ${Buffer.from(`${credentials.clientId ?? ''}:${credentials.clientSecret ?? ''}`).toString('base64')}`;
}

function header(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(',') : value;
  return undefined;
}

const nullableString = { type: ['string', 'null'] };
const nullableNumber = { type: ['number', 'null'] };
const workPlatformRefSchema = {
  type: ['object', 'null'],
  properties: { id: nullableString, name: nullableString, logoUrl: nullableString },
};
const workPlatformSchema = {
  type: 'object',
  required: ['id', 'name', 'products'],
  properties: {
    id: { type: 'string' },
    name: nullableString,
    category: nullableString,
    status: nullableString,
    url: nullableString,
    logoUrl: nullableString,
    products: {
      type: 'object',
      properties: {
        identity: { type: 'boolean' },
        identityAudience: { type: 'boolean' },
        engagement: { type: 'boolean' },
        engagementAudience: { type: 'boolean' },
        income: { type: 'boolean' },
      },
    },
  },
};
const uuid = (description) => ({ type: 'string', pattern: UUID, description });

export default definePlugin({
  providers: [
    {
      id: 'insightiq',
      name: 'InsightIQ',
      category: 'analytics',
      description:
        'Creator data from InsightIQ (formerly Phyllo): public creator profiles by handle, Connect SDK tokens for creators to link their accounts, and the connected profiles and audiences synced.',
      auth: {
        type: 'basic',
        credentialsSchema: {
          type: 'object',
          required: ['clientId', 'clientSecret'],
          additionalProperties: false,
          properties: {
            clientId: {
              type: 'string',
              title: 'Client ID',
              description: 'InsightIQ dashboard → Developers → API credentials, of the environment chosen for this connection',
              pattern: '^[A-Za-z0-9-]{8,100}$',
              secret: true,
            },
            clientSecret: {
              type: 'string',
              title: 'Client secret',
              description: 'The secret shown with that client ID',
              pattern: '^[A-Za-z0-9-]{8,100}$',
              secret: true,
            },
            webhookSecret: {
              type: 'string',
              title: 'Webhook secret',
              description: 'Only for webhooks: the secret InsightIQ signs webhook deliveries with (Webhook-Signatures header)',
              minLength: 8,
              maxLength: 200,
              pattern: '^\\S+$',
              secret: true,
            },
          },
        },
        // Every request carries HTTP Basic: the client ID as the user name, the secret as the password.
        apply: { basic: { username: '{clientId}', password: '{clientSecret}' } },
      },
      connectionInputs: {
        type: 'object',
        required: ['environment'],
        additionalProperties: false,
        properties: {
          environment: {
            type: 'string',
            enum: ['sandbox', 'staging', 'production'],
            title: 'Environment',
            description:
              'Sandbox (api.sandbox.insightiq.ai, mock data), staging (api.staging.insightiq.ai, real data for development) or production (api.insightiq.ai); the credentials must be of the same environment',
          },
        },
      },
      baseUrl: 'https://{apiHost}',
      errors,
      // InsightIQ publishes no request rate in its API reference, only 429 answers: this is a conservative
      // budget of our own per connection.
      rateLimits: [{ requests: 10, windowMs: 1_000, scope: 'connection' }],

      /**
       * Lists one work platform from the chosen environment with the client ID and secret (sent here by
       * the plugin itself: the connection has no `apiHost` yet), and stores that host.
       * @param {InsightIQContext} ctx
       */
      async verify(ctx) {
        const environment = environmentOf(ctx);
        const apiHost = API_HOSTS[environment];
        const response = await ctx.http(`https://${apiHost}/v1/work-platforms?limit=1&offset=0`, {
          headers: { authorization: basicOf(ctx.credentials), accept: 'application/json' },
        });
        let body;
        try {
          body = await readJson(response, ctx, errors);
        } catch (error) {
          if ((response.status === 401 || response.status === 403) && error?.code === 'provider_rejected') {
            throw new ProviderRejectedError(
              `InsightIQ (${environment}) refused the client ID and secret: ${error.message}. Use the API credentials of the ${environment} environment.`,
            );
          }
          throw error;
        }
        if (!Array.isArray(body?.data)) throw new Error('InsightIQ answered the work platforms list without a data array');
        return { displayName: `InsightIQ ${environment}`, metadata: { apiHost, workPlatformsListed: body.data.length > 0 } };
      },

      healthCheck: { request: { path: '/v1/work-platforms', query: { limit: '1' } } },

      actions: {
        listWorkPlatforms: {
          description: 'The social, media and commerce platforms InsightIQ supports (their ids are the workPlatformId of other calls), optionally by name.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 100, description: 'Only platforms of this name, e.g. Instagram' },
              limit: { type: 'integer', minimum: 1, maximum: PAGE, default: PAGE },
              offset: { type: 'integer', minimum: 0, maximum: 100_000, default: 0 },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['workPlatforms', 'offset', 'limit'],
            properties: { workPlatforms: { type: 'array', items: workPlatformSchema }, offset: { type: 'integer' }, limit: { type: 'integer' } },
          },
          /** @param {InsightIQContext} ctx */
          async run(ctx, input = {}) {
            const limit = input.limit ?? PAGE;
            const offset = input.offset ?? 0;
            const query = new URLSearchParams({ limit: String(limit), offset: String(offset) });
            if (input.name) query.set('name', input.name);
            const body = await insightiq(ctx, `/v1/work-platforms?${query}`);
            if (!Array.isArray(body?.data)) throw new Error('InsightIQ answered the work platforms list without a data array');
            return { workPlatforms: body.data.filter((item) => item && item.id !== undefined).map(workPlatformRecord), offset, limit };
          },
        },

        getProfile: {
          description:
            'The public profile and analytics of a creator by handle (username, handle or profile URL) on one work platform: followers, engagement, averages and audience where InsightIQ has them. Each call is a billed profile lookup.',
          inputSchema: {
            type: 'object',
            required: ['workPlatformId', 'identifier'],
            additionalProperties: false,
            properties: {
              workPlatformId: uuid('The work platform (listWorkPlatforms), e.g. Instagram’s id'),
              identifier: { type: 'string', minLength: 1, maxLength: 300, pattern: '^\\S+$', description: 'The creator’s username, handle or profile URL' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['platformUsername', 'followerCount'],
            properties: {
              id: nullableString,
              workPlatform: workPlatformRefSchema,
              platformUsername: nullableString,
              fullName: nullableString,
              url: nullableString,
              imageUrl: nullableString,
              introduction: nullableString,
              platformAccountType: nullableString,
              isVerified: { type: ['boolean', 'null'] },
              followerCount: nullableNumber,
              followingCount: nullableNumber,
              subscriberCount: nullableNumber,
              contentCount: nullableNumber,
              engagementRate: nullableNumber,
              averageLikes: nullableNumber,
              averageComments: nullableNumber,
              averageViews: nullableNumber,
              audience: { type: ['object', 'null'], description: 'InsightIQ’s audience breakdown as it gives it' },
            },
          },
          /** @param {InsightIQContext} ctx */
          async run(ctx, input) {
            const body = await insightiq(ctx, '/v1/social/creators/profiles/analytics', {
              method: 'POST',
              body: { identifier: input.identifier.replace(/^@/, ''), work_platform_id: input.workPlatformId },
            });
            if (!body?.profile || typeof body.profile !== 'object') throw new Error('InsightIQ answered the profile analytics without a profile');
            return creatorProfile(body);
          },
        },

        createSdkToken: {
          description:
            'A Connect SDK token for one InsightIQ user, for your front end to open InsightIQ Connect so the creator links their accounts. Give the user’s id, or your own id for them (externalId): the user is looked up by it and created when missing.',
          inputSchema: {
            type: 'object',
            required: ['products'],
            additionalProperties: false,
            oneOf: [{ required: ['userId'] }, { required: ['externalId'] }],
            properties: {
              userId: uuid('An InsightIQ user id'),
              externalId: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^/\\s]+$', description: 'Your id for the creator (unique per InsightIQ user)' },
              name: { type: 'string', minLength: 1, maxLength: 200, description: 'The creator’s name, when the user is created (default: externalId)' },
              products: { type: 'array', minItems: 1, maxItems: PRODUCTS.length, uniqueItems: true, items: { type: 'string', enum: PRODUCTS } },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['userId', 'sdkToken', 'expiresAt', 'userCreated'],
            properties: {
              userId: { type: 'string' },
              sdkToken: { type: 'string' },
              expiresAt: nullableString,
              userCreated: { type: 'boolean', description: 'Whether this call created the InsightIQ user' },
            },
          },
          /** @param {InsightIQContext} ctx */
          async run(ctx, input) {
            let userId = input.userId;
            let userCreated = false;
            if (!userId) {
              const found = await call(ctx, `/v1/users/external_id/${encodeURIComponent(input.externalId)}`);
              let user;
              if (found.status === 404) {
                await found.body?.cancel();
                user = await insightiq(ctx, '/v1/users', { method: 'POST', body: { name: input.name ?? input.externalId, external_id: input.externalId } });
                userCreated = true;
              } else user = await readJson(found, ctx, errors);
              userId = user?.id;
              if (typeof userId !== 'string' || !UUID_RE.test(userId)) throw new Error('InsightIQ answered the user request without a user id');
            }
            const token = await insightiq(ctx, '/v1/sdk-tokens', { method: 'POST', body: { user_id: userId, products: input.products } });
            if (typeof token?.sdk_token !== 'string' || !token.sdk_token) throw new Error('InsightIQ answered the SDK token request without a token');
            return { userId, sdkToken: token.sdk_token, expiresAt: text(token.expires_at), userCreated };
          },
        },
      },

      sync: {
        defaultFrequency: '1d',
        /**
         * Every connected profile (`/v1/profiles`, offset/limit), then the audience demographics of each
         * profile's account (`/v1/audience?account_id=`); an account whose platform has no audience data
         * (InsightIQ refuses it) is skipped.
         * @param {InsightIQContext} ctx
         */
        async run(ctx) {
          const profiles = (await readAll(ctx, '/v1/profiles')).filter((item) => item && item.id !== undefined).map(profileRecord);
          const accountIds = [...new Set(profiles.map((profile) => profile.accountId).filter((id) => typeof id === 'string' && UUID_RE.test(id)))];
          const audience = [];
          for (const accountId of accountIds) {
            try {
              audience.push(audienceRecord(accountId, await insightiq(ctx, `/v1/audience?account_id=${encodeURIComponent(accountId)}`)));
            } catch (error) {
              if (error?.code !== 'provider_rejected') throw error;
              ctx.log.info('InsightIQ has no audience for this account', { accountId, message: error.message });
            }
          }
          return { records: { profiles, audience } };
        },
      },

      /**
       * InsightIQ signs each delivery in the `Webhook-Signatures` header: a comma-separated list of hex
       * HMAC-SHA256 digests of the raw body, keyed by the webhook secret; one match is enough.
       */
      webhook: {
        verify(ctx, req) {
          const secret = ctx.credentials.webhookSecret;
          const given = header(req.headers, 'webhook-signatures');
          if (typeof secret !== 'string' || !secret || typeof given !== 'string' || !given) return false;
          const expected = createHmac('sha256', secret).update(req.rawBody ?? '', 'utf8').digest();
          return given
            .split(',')
            .map((part) => part.trim().replace(/^"|"$/g, ''))
            .some((signature) => /^[0-9a-fA-F]{64}$/.test(signature) && timingSafeEqual(Buffer.from(signature, 'hex'), expected));
        },
        /**
         * Profile, account and content notifications (PROFILES.ADDED, PROFILES.UPDATED, ACCOUNTS.CONNECTED…)
         * have no Plugboard event: they are acknowledged and logged, and the next sync reads the changes.
         */
        toEvents(ctx, req) {
          let body = req.body;
          if (body === undefined && req.rawBody) {
            try {
              body = JSON.parse(req.rawBody);
            } catch {
              body = undefined;
            }
          }
          ctx.log.info('InsightIQ webhook received', {
            event: typeof body?.event === 'string' ? body.event : null,
            accountId: typeof body?.data?.account_id === 'string' ? body.data.account_id : null,
          });
          return [];
        },
      },
    },
  ],
});
