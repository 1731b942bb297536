// Plaid provider for Plugboard, written against Plaid's API reference (https://plaid.com/docs/api/ and its OpenAPI
// description, version 2020-09-14, in github.com/plaid/plaid-openapi): Link tokens (/link/token/create), Items
// (/item/public_token/exchange, /item/get), Auth (/auth/get), Accounts (/accounts/get), Institutions
// (/institutions/get), webhook verification (https://plaid.com/docs/api/webhooks/webhook-verification/, the JWT in
// Plaid-Verification) and the rate-limit table (https://plaid.com/docs/errors/rate-limit-exceeded/).
//
// One connection is one end user's bank link (a Plaid Item): it holds the platform's client ID and secret, the
// connection input `environment`, and, once the end user finished Link, the Item's `accessToken` and `itemId` in its
// encrypted credentials: `exchangePublicToken` keeps them there through `ctx.storeCredentials`, never in its answer.
import { createHash, createPublicKey, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ clientId: string, secret: string, accessToken?: string, itemId?: string }} PlaidCredentials
 * @typedef {{ clientName?: string, language?: string, countryCodes?: string[], webhookUrl?: string, allowFullAccountNumbers?: boolean }} PlaidSettings
 * @typedef {import('plugboard/sdk').PluginContext<PlaidCredentials, PlaidSettings>} PlaidContext
 */

/** The environments a connection picks (the connection input `environment` fills `https://{environment}.plaid.com`). */
const ENVIRONMENTS = ['sandbox', 'production'];
/** The API version every request pins (the `Plaid-Version` header). */
const API_VERSION = '2020-09-14';

/** Link's languages (LinkTokenCreateRequest.language). */
const LANGUAGES = ['da', 'nl', 'en', 'et', 'fr', 'de', 'hi', 'it', 'lv', 'lt', 'no', 'pl', 'pt', 'ro', 'es', 'sv', 'vi'];
/** The countries Plaid serves (CountryCode). */
const COUNTRY_CODES = ['US', 'GB', 'ES', 'NL', 'FR', 'IE', 'CA', 'DE', 'IT', 'PL', 'DK', 'NO', 'SE', 'EE', 'LT', 'LV', 'PT', 'BE', 'AT', 'FI'];
/** The products a Link session may initialise for bank verification and the data around it (Products). */
const PRODUCTS = ['auth', 'identity', 'transactions', 'assets', 'investments', 'liabilities', 'signal', 'statements'];

/** Plaid's ids (item_id, account_id) are opaque base62-like strings. */
const PLAID_ID = '^[A-Za-z0-9_-]{1,100}$';
const PLAID_ID_RE = new RegExp(PLAID_ID);

/**
 * Plaid's errors are `{ error_type, error_code, error_message, display_message, request_id, … }`; a refusal reads as
 * the code, Plaid's message, what to do about it when it is one of the usual ones, and the request id Plaid support
 * asks for.
 */
const HINTS = {
  INVALID_API_KEYS: 'check the client ID and this environment’s secret (Plaid Dashboard → Developers → Keys)',
  INVALID_ACCESS_TOKEN: 'the stored access token is not valid for this client and environment; link the bank again',
  INVALID_PUBLIC_TOKEN: 'public tokens are single-use and expire after 30 minutes; let the end user finish Link again',
  ITEM_LOGIN_REQUIRED: 'the end user must reconnect their bank: run createLinkToken with update: true and open Link with it',
  PRODUCT_NOT_READY: 'Plaid has no Auth data for this Item yet (verification pending); try again after the AUTH webhook',
  NO_AUTH_ACCOUNTS: 'the linked bank has no account that supports Auth (checking or savings)',
};

/** @param {any} body */
function plaidMessage(body) {
  if (!body || typeof body !== 'object' || typeof body.error_code !== 'string') return undefined;
  const text = [body.error_message, body.display_message].find((part) => typeof part === 'string' && part) ?? 'Plaid refused the request';
  const hint = HINTS[body.error_code] ? ` — ${HINTS[body.error_code]}` : '';
  const request = typeof body.request_id === 'string' && body.request_id ? ` (request_id ${body.request_id})` : '';
  return `Plaid ${typeof body.error_type === 'string' ? `${body.error_type} ` : ''}${body.error_code}: ${text}${hint}${request}`;
}

const errors = {
  message: plaidMessage,
  /** Plaid names rate limits by `error_type` (429 `RATE_LIMIT_EXCEEDED`), and refused keys by `INVALID_API_KEYS` (400). */
  classify: (/** @type {any} */ body) => {
    if (body?.error_type === 'RATE_LIMIT_EXCEEDED') return 'rate_limited';
    if (body?.error_code === 'INVALID_API_KEYS') return 'rejected';
    return undefined;
  },
};

/** @param {PlaidContext} ctx */
function environmentOf(ctx) {
  const environment = ctx.integration.metadata?.environment;
  if (!ENVIRONMENTS.includes(/** @type {string} */ (environment))) {
    throw new ProviderRejectedError('No Plaid environment: connect again with the input environment set to sandbox or production.');
  }
  return /** @type {'sandbox' | 'production'} */ (environment);
}

/**
 * A POST to Plaid under the connection's environment: the host adds PLAID-CLIENT-ID, PLAID-SECRET and Plaid-Version.
 * @param {PlaidContext} ctx
 * @param {string} path
 * @param {Record<string, unknown>} body
 */
async function plaid(ctx, path, body = {}) {
  environmentOf(ctx);
  const response = await ctx.http(path, { method: 'POST', headers: { accept: 'application/json' }, body });
  return readJson(response, ctx, errors);
}

/** @param {PlaidContext} ctx */
function accessTokenOf(ctx) {
  const token = ctx.credentials.accessToken;
  if (typeof token !== 'string' || !token) {
    throw new ProviderRejectedError(
      'This Plaid connection has no linked bank yet: run createLinkToken, let the end user finish Link, run exchangePublicToken, and store the access token it returns as this connection’s credentials.accessToken.',
    );
  }
  const environment = environmentOf(ctx);
  if (!token.startsWith(`access-${environment}-`)) throw new ProviderRejectedError(`The stored access token is not one of Plaid ${environment}: link the bank again in this environment.`);
  return token;
}

/** The per-client key of the declared per-client limits: the client ID itself never goes into metadata. */
const clientKeyOf = (/** @type {PlaidContext} */ ctx, /** @type {string} */ environment) =>
  createHash('sha256').update(`${environment}:${String(ctx.credentials.clientId)}`).digest('hex').slice(0, 24);

/** ISO 4217 currencies whose minor unit is not the cent. */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
const FOUR_DECIMAL = new Set(['CLF', 'UYW']);
const exponentOf = (/** @type {string} */ currency) => (ZERO_DECIMAL.has(currency) ? 0 : THREE_DECIMAL.has(currency) ? 3 : FOUR_DECIMAL.has(currency) ? 4 : 2);

/**
 * A Plaid balance (a decimal number in the account's currency) as an integer in the currency's ISO 4217 minor unit:
 * 110.01 USD → 11001, 5000 JPY → 5000, 1.234 KWD → 1234. Null when there is no amount or no ISO currency.
 * @param {unknown} value
 * @param {string | null} currency
 */
function toMinorUnits(value, currency) {
  if (typeof value !== 'number' || !Number.isFinite(value) || !currency) return null;
  const exponent = exponentOf(currency);
  const [whole, fraction = ''] = Math.abs(value).toFixed(exponent).split('.');
  const minor = Number(`${whole}${fraction}`) * (value < 0 ? -1 : 1);
  return Number.isSafeInteger(minor) ? minor : null;
}

/** All but the last 4 characters of an account number (or IBAN) hidden; a number of 4 or fewer hidden whole. */
function masked(/** @type {unknown} */ value) {
  if (typeof value !== 'string' || !value) return null;
  const compact = value.replace(/\s+/g, '');
  return compact.length <= 4 ? '•'.repeat(compact.length) : `••••${compact.slice(-4)}`;
}

const text = (/** @type {unknown} */ value) => (typeof value === 'string' ? value : null);

/** @param {any} account */
function accountRecord(account) {
  const balances = account?.balances ?? {};
  const currency = typeof balances.iso_currency_code === 'string' && /^[A-Za-z]{3}$/.test(balances.iso_currency_code) ? balances.iso_currency_code.toUpperCase() : null;
  return {
    id: String(account?.account_id),
    name: text(account?.name),
    officialName: text(account?.official_name),
    mask: text(account?.mask),
    type: text(account?.type),
    subtype: text(account?.subtype),
    verificationStatus: text(account?.verification_status),
    balances: {
      available: toMinorUnits(balances.available, currency),
      current: toMinorUnits(balances.current, currency),
      limit: toMinorUnits(balances.limit, currency),
      currency,
      unofficialCurrency: text(balances.unofficial_currency_code),
    },
  };
}

/** @param {any} item */
const itemRecord = (item) => ({
  itemId: String(item?.item_id ?? ''),
  institutionId: text(item?.institution_id),
  institutionName: text(item?.institution_name),
  error: text(item?.error?.error_code),
});

const nullableString = { type: ['string', 'null'] };
const nullableInteger = { type: ['integer', 'null'] };
const accountSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: nullableString,
    officialName: nullableString,
    mask: { ...nullableString, description: 'The last 2 to 4 characters of the account number, as Plaid gives them' },
    type: nullableString,
    subtype: nullableString,
    verificationStatus: { ...nullableString, description: 'For micro-deposit or database verification: automatically_verified, pending_manual_verification, …' },
    balances: {
      type: 'object',
      properties: {
        available: { ...nullableInteger, description: 'In the currency’s ISO 4217 minor unit' },
        current: { ...nullableInteger, description: 'In the currency’s ISO 4217 minor unit' },
        limit: { ...nullableInteger, description: 'In the currency’s ISO 4217 minor unit' },
        currency: { ...nullableString, description: 'ISO 4217 code; null with an unofficial currency (its amounts are null too)' },
        unofficialCurrency: nullableString,
      },
      required: ['available', 'current', 'limit', 'currency'],
    },
  },
  required: ['id', 'name', 'type', 'subtype', 'balances'],
};
const itemSchema = {
  type: 'object',
  properties: { itemId: { type: 'string' }, institutionId: nullableString, institutionName: nullableString, error: { ...nullableString, description: 'The Item’s error code, e.g. ITEM_LOGIN_REQUIRED' } },
  required: ['itemId'],
};
const accountIdsInput = {
  type: 'array',
  items: { type: 'string', pattern: PLAID_ID },
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: 'Only these accounts of the Item',
};

/** Cached webhook verification keys by environment and kid: for a while, and unknown kids briefly (module scope). */
const KEY_TTL_MS = 10 * 60_000;
const UNKNOWN_KEY_TTL_MS = 60_000;
const MAX_CACHED_KEYS = 100;
/** @type {Map<string, { key: import('node:crypto').KeyObject | null, until: number }>} */
const verificationKeys = new Map();
/** Plaid's webhooks are signed within 5 minutes of delivery (`iat`); a minute of clock skew is allowed ahead. */
const MAX_WEBHOOK_AGE_S = 5 * 60;
const CLOCK_SKEW_S = 60;
const KID = /^[A-Za-z0-9-]{1,100}$/;

function remember(/** @type {string} */ cacheKey, /** @type {import('node:crypto').KeyObject | null} */ key, /** @type {number} */ ttl) {
  verificationKeys.delete(cacheKey);
  verificationKeys.set(cacheKey, { key, until: Date.now() + ttl });
  if (verificationKeys.size > MAX_CACHED_KEYS) verificationKeys.delete(/** @type {string} */ (verificationKeys.keys().next().value));
}

/**
 * The public key Plaid signed with, from POST /webhook_verification_key/get: only an unexpired P-256 key for ES256.
 * Null when Plaid does not know the kid (or gives a key that does not fit); Plaid outages and rate limits throw, so the
 * webhook is answered with an error and Plaid delivers it again.
 * @param {PlaidContext} ctx
 */
async function verificationKey(ctx, /** @type {string} */ environment, /** @type {string} */ kid) {
  const cacheKey = `${environment}:${kid}`;
  const cached = verificationKeys.get(cacheKey);
  if (cached && cached.until > Date.now()) return cached.key;
  let jwk;
  try {
    jwk = /** @type {any} */ (await plaid(ctx, '/webhook_verification_key/get', { key_id: kid }))?.key;
  } catch (error) {
    if (/** @type {any} */ (error)?.code !== 'provider_rejected') throw error;
    remember(cacheKey, null, UNKNOWN_KEY_TTL_MS);
    return null;
  }
  let key = null;
  const usable =
    jwk?.kty === 'EC' &&
    jwk.crv === 'P-256' &&
    jwk.alg === 'ES256' &&
    jwk.kid === kid &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    (jwk.expired_at === null || jwk.expired_at === undefined || (typeof jwk.expired_at === 'number' && jwk.expired_at * 1000 > Date.now()));
  if (usable) {
    try {
      key = createPublicKey({ format: 'jwk', key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } });
    } catch {
      key = null;
    }
  }
  remember(cacheKey, key, key ? KEY_TTL_MS : UNKNOWN_KEY_TTL_MS);
  return key;
}

function decodeJson(/** @type {string} */ part) {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function parseBody(/** @type {import('plugboard/sdk').InboundRequest} */ req) {
  if (req.body && typeof req.body === 'object') return /** @type {any} */ (req.body);
  try {
    return JSON.parse(req.rawBody);
  } catch {
    return undefined;
  }
}

const id = (/** @type {unknown} */ value) => (typeof value === 'string' && value.length >= 1 && value.length <= 200 ? value : undefined);

export default definePlugin({
  providers: [
    {
      id: 'plaid',
      name: 'Plaid',
      category: 'payment',
      description:
        'Verify end users’ bank accounts for payouts with Plaid: create Link tokens, exchange the public token for the Item, read accounts and Auth numbers (masked), and receive Auth verifications as events.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['clientId', 'secret'],
          additionalProperties: false,
          properties: {
            clientId: {
              type: 'string',
              title: 'Client ID',
              description: 'Plaid Dashboard → Developers → Keys',
              minLength: 10,
              maxLength: 64,
              pattern: '^[A-Za-z0-9]+$',
              secret: true,
            },
            secret: {
              type: 'string',
              title: 'Secret',
              description: 'The secret of the environment this connection uses (sandbox or production)',
              minLength: 10,
              maxLength: 64,
              pattern: '^[A-Za-z0-9]+$',
              secret: true,
            },
            accessToken: {
              type: 'string',
              title: 'Item access token',
              description: 'The end user’s Item, as exchangePublicToken returned it: access-<environment>-<id>',
              minLength: 20,
              maxLength: 200,
              pattern: '^access-(sandbox|production)-[A-Za-z0-9-]+$',
              secret: true,
            },
            itemId: { type: 'string', title: 'Item ID', description: 'The Item the access token belongs to', pattern: PLAID_ID, secret: true },
          },
          dependencies: { itemId: ['accessToken'] },
        },
        // Plaid takes the keys in the body or in these headers (its OpenAPI security schemes); headers keep them out
        // of plugin code and apply only under the connection's environment.
        apply: { headers: { 'PLAID-CLIENT-ID': '{clientId}', 'PLAID-SECRET': '{secret}', 'Plaid-Version': API_VERSION } },
      },
      connectionInputs: {
        type: 'object',
        required: ['environment'],
        additionalProperties: false,
        properties: { environment: { type: 'string', enum: ENVIRONMENTS, description: 'sandbox (test data) or production' } },
      },
      baseUrl: 'https://{environment}.plaid.com',
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          clientName: { type: 'string', minLength: 1, maxLength: 30, description: 'Your application’s name as Link shows it (at most 30 characters)' },
          language: { type: 'string', enum: LANGUAGES, default: 'en', description: 'Link’s language' },
          countryCodes: { type: 'array', items: { type: 'string', enum: COUNTRY_CODES }, minItems: 1, maxItems: 20, uniqueItems: true, default: ['US'] },
          webhookUrl: {
            type: 'string',
            format: 'uri',
            pattern: '^https://',
            maxLength: 2000,
            description: 'Where Plaid sends this Item’s webhooks: Plugboard’s inbound URL of this connection, {PUBLIC_URL}/v1/hooks/{connectionId}',
          },
          allowFullAccountNumbers: {
            type: 'boolean',
            default: false,
            description: 'Lets getAuth return full account numbers when its input asks (includeFullAccountNumbers); otherwise all but the last 4 digits are hidden',
          },
        },
      },
      errors,
      // Plaid's Production table: per Item (one Item per connection) and per client (all connections of a client ID).
      rateLimits: [
        { requests: 15, windowMs: 60_000, scope: 'connection', match: ['POST /auth/get'] },
        { requests: 12_000, windowMs: 60_000, scope: 'account', accountKey: 'clientKey', match: ['POST /auth/get'] },
        { requests: 15, windowMs: 60_000, scope: 'connection', match: ['POST /accounts/get'] },
        { requests: 15_000, windowMs: 60_000, scope: 'account', accountKey: 'clientKey', match: ['POST /accounts/get'] },
        { requests: 15, windowMs: 60_000, scope: 'connection', match: ['POST /item/get'] },
        { requests: 5_000, windowMs: 60_000, scope: 'account', accountKey: 'clientKey', match: ['POST /item/get'] },
        { requests: 50, windowMs: 60_000, scope: 'account', accountKey: 'clientKey', match: ['POST /institutions/get'] },
      ],

      /**
       * With an Item: /item/get (the token is good, and which bank it is). Without one yet: the keys, through the cheapest
       * keyed call, /institutions/get for one institution.
       * @param {PlaidContext} ctx
       */
      async verify(ctx) {
        const environment = environmentOf(ctx);
        const clientKey = clientKeyOf(ctx, environment);
        if (ctx.credentials.accessToken === undefined) {
          await plaid(ctx, '/institutions/get', { count: 1, offset: 0, country_codes: ctx.settings.countryCodes ?? ['US'] });
          return { displayName: `Plaid ${environment} (no bank linked yet)`, metadata: { environment, clientKey, itemId: null } };
        }
        const answer = /** @type {any} */ (await plaid(ctx, '/item/get', { access_token: accessTokenOf(ctx) }));
        const item = itemRecord(answer?.item);
        if (!PLAID_ID_RE.test(item.itemId)) throw new Error('Plaid answered /item/get without an item_id');
        if (ctx.credentials.itemId !== undefined && ctx.credentials.itemId !== item.itemId) {
          throw new ProviderRejectedError(`The access token belongs to Plaid Item ${item.itemId}, not ${ctx.credentials.itemId}: store the itemId exchangePublicToken returned with it.`);
        }
        const products = Array.isArray(answer.item?.products) ? answer.item.products : Array.isArray(answer.item?.billed_products) ? answer.item.billed_products : [];
        return {
          displayName: `Plaid ${environment}: ${item.institutionName ?? item.institutionId ?? 'bank'} (Item …${item.itemId.slice(-6)})`,
          metadata: {
            environment,
            clientKey,
            itemId: item.itemId,
            institutionId: item.institutionId,
            institutionName: item.institutionName,
            products: products.filter((product) => typeof product === 'string'),
            webhook: text(answer.item?.webhook),
            consentExpiresAt: text(answer.item?.consent_expiration_time),
            itemError: item.error,
          },
        };
      },

      /** @param {PlaidContext} ctx */
      async healthCheck(ctx) {
        if (ctx.credentials.accessToken === undefined) await plaid(ctx, '/institutions/get', { count: 1, offset: 0, country_codes: ctx.settings.countryCodes ?? ['US'] });
        else await plaid(ctx, '/item/get', { access_token: accessTokenOf(ctx) });
      },

      actions: {
        createLinkToken: {
          description:
            'Creates a Link token for the end user (valid 4 hours; 30 minutes in update mode) to open Plaid Link in their browser; Link’s onSuccess gives the public token for exchangePublicToken. With update: true, repairs this connection’s Item (ITEM_LOGIN_REQUIRED) instead.',
          inputSchema: {
            type: 'object',
            required: ['userId'],
            additionalProperties: false,
            properties: {
              userId: {
                type: 'string',
                minLength: 1,
                maxLength: 128,
                pattern: '^[A-Za-z0-9._:|+-]+$',
                description: 'Your platform’s id of the end user (Plaid’s client_user_id): no email address or phone number',
              },
              products: { type: 'array', items: { type: 'string', enum: PRODUCTS }, minItems: 1, maxItems: PRODUCTS.length, uniqueItems: true, default: ['auth'] },
              redirectUri: { type: 'string', format: 'uri', pattern: '^https://[^?#\\s]+$', maxLength: 2000, description: 'For OAuth banks: registered in the Plaid Dashboard, no query string' },
              webhook: { type: 'string', format: 'uri', pattern: '^https://', maxLength: 2000, description: 'Where Plaid sends the Item’s webhooks (default: the webhookUrl setting)' },
              countryCodes: { type: 'array', items: { type: 'string', enum: COUNTRY_CODES }, minItems: 1, maxItems: 20, uniqueItems: true },
              language: { type: 'string', enum: LANGUAGES },
              clientName: { type: 'string', minLength: 1, maxLength: 30, description: 'Overrides the clientName setting' },
              update: { type: 'boolean', default: false, description: 'Update mode for this connection’s Item (no products; the webhook is kept)' },
            },
          },
          outputSchema: {
            type: 'object',
            properties: { linkToken: { type: 'string' }, expiration: { type: 'string', format: 'date-time' }, requestId: { type: 'string' } },
            required: ['linkToken', 'expiration'],
          },
          /** @param {PlaidContext} ctx */
          async run(ctx, input) {
            const clientName = input.clientName ?? ctx.settings.clientName;
            if (!clientName) throw new ProviderRejectedError('Name your application for Link: set the clientName setting (at most 30 characters) or pass clientName.');
            /** @type {Record<string, unknown>} */
            const body = {
              client_name: clientName,
              language: input.language ?? ctx.settings.language ?? 'en',
              country_codes: input.countryCodes ?? ctx.settings.countryCodes ?? ['US'],
              user: { client_user_id: input.userId },
            };
            if (input.update) {
              body.access_token = accessTokenOf(ctx);
            } else {
              if (ctx.credentials.accessToken !== undefined) {
                throw new ProviderRejectedError(
                  'This connection already holds a linked bank: use update: true to repair it, or create another connection for another bank.',
                );
              }
              body.products = input.products ?? ['auth'];
              const webhook = input.webhook ?? ctx.settings.webhookUrl;
              if (webhook) body.webhook = webhook;
            }
            if (input.redirectUri) body.redirect_uri = input.redirectUri;
            const answer = /** @type {any} */ (await plaid(ctx, '/link/token/create', body));
            if (typeof answer?.link_token !== 'string') throw new Error('Plaid answered /link/token/create without a link_token');
            return { linkToken: answer.link_token, expiration: String(answer.expiration), requestId: String(answer.request_id ?? '') };
          },
        },

        exchangePublicToken: {
          description:
            'Exchanges the public token from Link’s onSuccess (single-use, 30 minutes) for the end user’s Item. The access token is kept in this connection’s encrypted credentials and never returned. Refused when the connection already holds an Item.',
          inputSchema: {
            type: 'object',
            required: ['publicToken'],
            additionalProperties: false,
            properties: { publicToken: { type: 'string', minLength: 20, maxLength: 200, pattern: '^public-(sandbox|production)-[A-Za-z0-9-]+$' } },
          },
          outputSchema: {
            type: 'object',
            properties: {
              itemId: { type: 'string' },
              requestId: { type: 'string' },
            },
            required: ['itemId'],
          },
          /** @param {PlaidContext} ctx */
          async run(ctx, { publicToken }) {
            if (ctx.credentials.accessToken !== undefined) {
              throw new ProviderRejectedError('This connection already holds a linked bank (an Item): create another connection for another bank.');
            }
            const environment = environmentOf(ctx);
            if (!publicToken.startsWith(`public-${environment}-`)) throw new ProviderRejectedError(`The public token is not one of Plaid ${environment}, this connection’s environment.`);
            const answer = /** @type {any} */ (await plaid(ctx, '/item/public_token/exchange', { public_token: publicToken }));
            const accessToken = answer?.access_token;
            const itemId = answer?.item_id;
            if (typeof accessToken !== 'string' || !accessToken.startsWith(`access-${environment}-`) || typeof itemId !== 'string' || !PLAID_ID_RE.test(itemId)) {
              throw new Error('Plaid answered /item/public_token/exchange without an access token and item_id');
            }
            if (!ctx.storeCredentials) throw new Error('this host cannot keep the access token in the connection’s credentials (ctx.storeCredentials)');
            ctx.storeCredentials({ accessToken, itemId });
            return { itemId, requestId: String(answer.request_id ?? '') };
          },
        },

        getAuth: {
          description:
            'The Item’s accounts and their bank numbers for payouts (ACH account and routing numbers; EFT, IBAN/BIC and BACS outside the US). Account numbers and IBANs are masked to their last 4 characters unless includeFullAccountNumbers is asked and the connection’s allowFullAccountNumbers setting is on.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              accountIds: accountIdsInput,
              includeFullAccountNumbers: { type: 'boolean', default: false, description: 'Needs the allowFullAccountNumbers setting' },
            },
          },
          outputSchema: {
            type: 'object',
            properties: {
              item: itemSchema,
              accounts: { type: 'array', items: accountSchema },
              masked: { type: 'boolean', description: 'Whether account numbers are masked (all but the last 4 characters hidden)' },
              numbers: {
                type: 'object',
                properties: {
                  ach: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        accountId: { type: 'string' },
                        account: nullableString,
                        routing: nullableString,
                        wireRouting: nullableString,
                        tokenized: { type: 'boolean', description: 'A tokenized number (Chase, PNC, US Bank): not the account’s real number' },
                      },
                      required: ['accountId', 'account', 'routing'],
                    },
                  },
                  eft: { type: 'array', items: { type: 'object', properties: { accountId: { type: 'string' }, account: nullableString, institution: nullableString, branch: nullableString } } },
                  international: { type: 'array', items: { type: 'object', properties: { accountId: { type: 'string' }, iban: nullableString, bic: nullableString } } },
                  bacs: { type: 'array', items: { type: 'object', properties: { accountId: { type: 'string' }, account: nullableString, sortCode: nullableString } } },
                },
                required: ['ach', 'eft', 'international', 'bacs'],
              },
            },
            required: ['item', 'accounts', 'masked', 'numbers'],
          },
          /** @param {PlaidContext} ctx */
          async run(ctx, input = {}) {
            const reveal = input.includeFullAccountNumbers === true;
            if (reveal && ctx.settings.allowFullAccountNumbers !== true) {
              throw new ProviderRejectedError(
                'Full account numbers are off for this connection: an administrator must turn on the allowFullAccountNumbers setting first (otherwise all but the last 4 digits are hidden).',
              );
            }
            /** @type {Record<string, unknown>} */
            const body = { access_token: accessTokenOf(ctx) };
            if (input.accountIds) body.options = { account_ids: input.accountIds };
            const answer = /** @type {any} */ (await plaid(ctx, '/auth/get', body));
            const show = reveal ? text : masked;
            const list = (/** @type {string} */ name) => (Array.isArray(answer?.numbers?.[name]) ? answer.numbers[name] : []);
            return {
              item: itemRecord(answer?.item),
              accounts: (Array.isArray(answer?.accounts) ? answer.accounts : []).map(accountRecord),
              masked: !reveal,
              numbers: {
                ach: list('ach').map((/** @type {any} */ entry) => ({
                  accountId: String(entry.account_id),
                  account: show(entry.account),
                  routing: text(entry.routing),
                  wireRouting: text(entry.wire_routing),
                  tokenized: entry.is_tokenized_account_number === true,
                })),
                eft: list('eft').map((/** @type {any} */ entry) => ({
                  accountId: String(entry.account_id),
                  account: show(entry.account),
                  institution: text(entry.institution),
                  branch: text(entry.branch),
                })),
                international: list('international').map((/** @type {any} */ entry) => ({ accountId: String(entry.account_id), iban: show(entry.iban), bic: text(entry.bic) })),
                bacs: list('bacs').map((/** @type {any} */ entry) => ({ accountId: String(entry.account_id), account: show(entry.account), sortCode: text(entry.sort_code) })),
              },
            };
          },
        },

        getAccounts: {
          description: 'The Item’s accounts: name, mask, type and subtype, verification status, and the cached balances in minor units.',
          inputSchema: { type: 'object', additionalProperties: false, properties: { accountIds: accountIdsInput } },
          outputSchema: { type: 'object', properties: { item: itemSchema, accounts: { type: 'array', items: accountSchema } }, required: ['item', 'accounts'] },
          /** @param {PlaidContext} ctx */
          async run(ctx, input = {}) {
            /** @type {Record<string, unknown>} */
            const body = { access_token: accessTokenOf(ctx) };
            if (input.accountIds) body.options = { account_ids: input.accountIds };
            const answer = /** @type {any} */ (await plaid(ctx, '/accounts/get', body));
            return { item: itemRecord(answer?.item), accounts: (Array.isArray(answer?.accounts) ? answer.accounts : []).map(accountRecord) };
          },
        },
      },

      /**
       * Plaid signs each webhook with an ES256 JWT in Plaid-Verification: `kid` names the key (POST
       * /webhook_verification_key/get), `iat` is at most 5 minutes old, `request_body_sha256` is the SHA-256 of the exact
       * body. The body must also be about this connection's Item and environment.
       */
      webhook: {
        /** @param {PlaidContext} ctx */
        async verify(ctx, req) {
          const environment = ctx.integration.metadata?.environment;
          if (!ENVIRONMENTS.includes(/** @type {string} */ (environment))) return false;
          const jwt = req.headers['plaid-verification'];
          if (typeof jwt !== 'string' || jwt.length > 4096) return false;
          const parts = jwt.split('.');
          if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) return false;
          const header = decodeJson(parts[0]);
          const claims = decodeJson(parts[1]);
          if (!header || header.alg !== 'ES256' || typeof header.kid !== 'string' || !KID.test(header.kid) || !claims) return false;
          const now = Date.now() / 1000;
          if (typeof claims.iat !== 'number' || !Number.isInteger(claims.iat) || claims.iat < now - MAX_WEBHOOK_AGE_S || claims.iat > now + CLOCK_SKEW_S) return false;
          if (typeof claims.request_body_sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(claims.request_body_sha256)) return false;
          const bodyHash = createHash('sha256').update(req.rawBody, 'utf8').digest();
          if (!timingSafeEqual(bodyHash, Buffer.from(claims.request_body_sha256, 'hex'))) return false;
          const signature = Buffer.from(parts[2], 'base64url');
          if (signature.length !== 64) return false;
          const key = await verificationKey(ctx, /** @type {string} */ (environment), header.kid);
          if (!key || !verifySignature('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key, dsaEncoding: 'ieee-p1363' }, signature)) return false;
          const body = parseBody(req);
          const itemId = ctx.credentials.itemId ?? ctx.integration.metadata?.itemId;
          if (typeof itemId === 'string' && typeof body?.item_id === 'string' && body.item_id !== itemId) return false;
          if (typeof body?.environment === 'string' && body.environment !== environment) return false;
          return true;
        },

        /** @param {PlaidContext} ctx */
        toEvents(ctx, req) {
          const body = parseBody(req);
          if (!body || typeof body !== 'object') return [];
          const type = body.webhook_type;
          const code = body.webhook_code;
          const itemId = id(body.item_id);
          const endUserId = id(ctx.integration.endUserId);
          const verified = (/** @type {string} */ status) => [
            {
              event: 'bank_account.verified',
              data: {
                provider: 'plaid',
                ...(itemId ? { itemId } : {}),
                accountIds: id(body.account_id) ? [body.account_id] : [],
                ...(endUserId ? { endUserId } : {}),
                verificationStatus: status,
              },
            },
          ];
          if (type === 'AUTH' && code === 'AUTOMATICALLY_VERIFIED' && !body.error) return verified('automatically_verified');
          if (type === 'AUTH' && code === 'SMS_MICRODEPOSITS_VERIFICATION' && body.status === 'MANUALLY_VERIFIED') return verified('manually_verified');
          if (type === 'AUTH' && (code === 'VERIFICATION_EXPIRED' || (code === 'SMS_MICRODEPOSITS_VERIFICATION' && body.status === 'VERIFICATION_FAILED'))) {
            ctx.log.warn('Plaid could not verify a bank account', { itemId, accountId: id(body.account_id), code });
          } else if (type === 'AUTH' && code === 'DEFAULT_UPDATE') {
            ctx.log.warn('Plaid reports changed account or routing numbers: read them again with getAuth before the next payout', {
              itemId,
              accountIds: [...(Array.isArray(body.account_ids_with_new_auth) ? body.account_ids_with_new_auth : []), ...Object.keys(body.account_ids_with_updated_auth ?? {})],
            });
          } else if (type === 'ITEM' && code === 'ERROR') {
            ctx.log.warn('Plaid reports an Item error', { itemId, errorCode: id(body.error?.error_code) });
          } else if (type === 'ITEM' && ['PENDING_EXPIRATION', 'PENDING_DISCONNECT', 'USER_PERMISSION_REVOKED', 'USER_ACCOUNT_REVOKED'].includes(code)) {
            ctx.log.warn('Plaid reports the Item’s access ending', { itemId, code });
          }
          return [];
        },
      },
    },
  ],
});
