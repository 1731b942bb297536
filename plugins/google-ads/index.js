// Google Ads provider for Plugboard, written against the Google Ads API v26 REST reference
// (https://developers.google.com/google-ads/api/rest/reference/rest/v26: CustomerService.ListAccessibleCustomers,
// ConversionUploadService.UploadClickConversions, GoogleAdsService.SearchStream with GAQL), its guides on
// partial failures, errors, access levels and rate limits, and Google's OAuth 2.0 for web server apps.
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError } from 'plugboard/sdk';

/**
 * @typedef {{ accessToken: string, app?: { developerToken?: string } }} GoogleAdsCredentials
 * @typedef {{ loginCustomerId?: string, customerIds?: string[], syncDays?: number }} GoogleAdsSettings
 * @typedef {import('plugboard/sdk').PluginContext<GoogleAdsCredentials, GoogleAdsSettings>} GoogleAdsContext
 * @typedef {{ errorCode?: Record<string, string>, message?: string, trigger?: Record<string, unknown>, location?: { fieldPathElements?: Array<{ fieldName: string, index?: number }> }, details?: Record<string, any> }} GoogleAdsError
 */

/** The API version every path names (v26 is the newest; each major version lives about a year). */
export const GOOGLE_ADS_API_VERSION = 'v26';
const SCOPE = 'https://www.googleapis.com/auth/adwords';

/** A customer id as Google Ads shows it (123-456-7890) or as the API takes it (1234567890). */
const CUSTOMER_ID = '^[0-9]{3}-?[0-9]{3}-?[0-9]{4}$';
const CONVERSION_ACTION = '^(customers/[0-9]{10}/conversionActions/[0-9]{1,19}|[0-9]{1,19})$';
/** Google's one accepted format: "yyyy-mm-dd hh:mm:ss+|-hh:mm", e.g. "2019-01-01 12:32:45-08:00". */
const DATE_TIME = '^([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})([+-])([0-9]{2}):([0-9]{2})$';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Days before the newest synced day that are read again: recent statistics still settle (invalid clicks, late data). */
const LOOKBACK_DAYS = 3;
const DAY_MS = 86_400_000;

/** Currencies whose minor unit is not the cent (ISO 4217 exponents). */
const EXPONENTS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0, PYG: 0, RWF: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3, IQD: 3, LYD: 3 };
const exponentOf = (currency) => EXPONENTS[String(currency).toUpperCase()] ?? 2;

/** An amount in the currency's minor unit as the major-unit number (a double) `conversion_value` takes. */
export function toConversionValue(amount, currency) {
  const exponent = exponentOf(currency);
  return Number((amount / 10 ** exponent).toFixed(exponent));
}

/**
 * Google Ads money in micros (millionths of the currency's major unit, an int64 sent as a string) as
 * integer minor units, rounded half up: 1,234,567 micros of USD → 123 cents; of JPY → 1 yen.
 */
export function microsToMinorUnits(micros, currency) {
  const value = BigInt(String(micros ?? '0'));
  const divisor = 10n ** BigInt(6 - exponentOf(currency));
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const rounded = (magnitude + divisor / 2n) / divisor;
  return Number(negative ? -rounded : rounded);
}

const digits = (customerId) => String(customerId).replace(/-/g, '');
const dashed = (id) => `${id.slice(0, 3)}-${id.slice(3, 6)}-${id.slice(6)}`;

function refusal(message, reason) {
  return Object.assign(new ProviderRejectedError(message), reason ? { reason } : {});
}

/** `{ authorizationError: 'USER_PERMISSION_DENIED' }` → `['authorizationError', 'USER_PERMISSION_DENIED']`. */
function codeOf(error) {
  const [entry] = Object.entries(error?.errorCode ?? {});
  return entry ? [entry[0], String(entry[1])] : [undefined, undefined];
}

/** The GoogleAdsFailure among a google.rpc.Status's details: its errors and request id. */
function adsFailure(status) {
  const details = Array.isArray(status?.details) ? status.details : [];
  const failure = details.find((detail) => typeof detail?.['@type'] === 'string' && detail['@type'].endsWith('.errors.GoogleAdsFailure'));
  return { errors: /** @type {GoogleAdsError[]} */ (Array.isArray(failure?.errors) ? failure.errors : []), requestId: typeof failure?.requestId === 'string' ? failure.requestId : undefined };
}

const QUOTA_CODES = new Set(['RESOURCE_EXHAUSTED', 'RESOURCE_TEMPORARILY_EXHAUSTED', 'EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION', 'EXCESSIVE_LONG_TERM_QUERY_RESOURCE_CONSUMPTION']);
const ACCESS_LEVEL_PAGE = 'https://console.cloud.google.com/google/ads-apis/overview';

/** What a person can do about a refusal, by Google Ads error code. */
function hint(ctx, code) {
  const login = loginCustomerId(ctx);
  switch (code) {
    case 'USER_PERMISSION_DENIED':
      return login
        ? `The signed-in Google account cannot reach this customer through the manager account ${dashed(login)} (loginCustomerId): check that the manager links to it, or change loginCustomerId.`
        : 'If this customer is reached through a manager (MCC) account, set that manager’s customer id as loginCustomerId in the connection’s settings.';
    case 'INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION':
      return `The manager account${login ? ` ${dashed(login)}` : ''} given as loginCustomerId does not manage this customer: set the manager that links to it, or remove loginCustomerId.`;
    case 'DEVELOPER_TOKEN_NOT_APPROVED':
    case 'CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION':
      return `The Google Cloud project of the operator’s OAuth client has Test access only (test accounts): apply for Explorer, Basic or Standard access at ${ACCESS_LEVEL_PAGE}.`;
    case 'DEVELOPER_TOKEN_PROHIBITED':
    case 'DEVELOPER_TOKEN_INVALID':
      return 'The developer token configured for the operator’s app (PLUGBOARD_OAUTH_GOOGLE_ADS_APP_DEVELOPER_TOKEN) is refused: fix or remove it (Google no longer requires one).';
    case 'NOT_ADS_USER':
      return 'The connected Google account has no Google Ads account: sign in with a Google account that has access to one.';
    case 'CUSTOMER_NOT_ENABLED':
      return 'The Google Ads account is not enabled yet, or was cancelled.';
    case 'MISSING_TOS':
      return 'Accept the Google Ads API terms of service for the project, then try again.';
    case 'TWO_STEP_VERIFICATION_NOT_ENROLLED':
      return 'This Google Ads account requires 2-Step Verification: enable it on the Google account, then connect again.';
    default:
      return undefined;
  }
}

/** Seconds from a protobuf Duration as JSON ("30s", "1.5s"). */
function durationSeconds(value) {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Math.ceil(Number(match[1])) : undefined;
}

/**
 * Google Ads' error `{ error: { code, message, status, details: [{ '@type': '…GoogleAdsFailure', errors:
 * [{ errorCode: { category: CODE }, message }], requestId }] } }` (a searchStream answers it inside its
 * array) as what it means: quota codes and 429 are rate limits (with Google's retry delay), 401 a token
 * to reconnect, other 4xx refusals naming the error code and what to do, 5xx an outage.
 * @param {GoogleAdsContext} ctx
 */
function googleAdsFailure(ctx, response, body) {
  const status = response.status;
  const envelope = Array.isArray(body) ? body.find((item) => item?.error)?.error : body?.error;
  const { errors, requestId } = adsFailure(envelope);
  const first = errors[0];
  const [category, code] = codeOf(first);
  const message = String(first?.message || envelope?.message || `Google Ads answered HTTP ${status}`).trim();
  const named = code ? `${message} (${category}: ${code})` : message;
  const request = requestId ? ` [request ${requestId}]` : '';
  if ((category === 'quotaError' && QUOTA_CODES.has(code)) || status === 429 || envelope?.status === 'RESOURCE_EXHAUSTED') {
    const header = Number(response.headers.get('retry-after'));
    const delay = durationSeconds(first?.details?.quotaErrorDetails?.retryDelay) ?? (Number.isFinite(header) && header >= 0 ? header : undefined);
    const scope = first?.details?.quotaErrorDetails?.rateName;
    return new ProviderRateLimitedError(`Google Ads is rate limiting requests${scope ? ` (${scope})` : ''}: ${named}`, delay);
  }
  if (status === 401) return refusal(`Google refused the access token: connect Google Ads again. ${named}${request}`, code ?? 'UNAUTHENTICATED');
  if (status >= 400 && status < 500 && status !== 408) {
    const todo = hint(ctx, code);
    return refusal(`${named}${todo ? ` ${todo}` : ''}${request}`, code);
  }
  return new Error(`Google Ads answered HTTP ${status}: ${named}${request}`);
}

/** The manager account calls go through: the connection's setting, else its connection input. @param {GoogleAdsContext} ctx */
function loginCustomerId(ctx) {
  const value = ctx.settings?.loginCustomerId ?? ctx.integration?.metadata?.loginCustomerId;
  return typeof value === 'string' && value !== '' ? digits(value) : undefined;
}

/**
 * Calls the Google Ads API (the host adds the bearer token under the base URL and refreshes it when it
 * is about to expire) with the `developer-token` header when the operator's app has one, and
 * `login-customer-id` when the connection names a manager account.
 * @param {GoogleAdsContext} ctx
 */
async function googleAds(ctx, path, init = {}) {
  const token = ctx.credentials?.app?.developerToken;
  const login = loginCustomerId(ctx);
  const response = await ctx.http(path, {
    ...init,
    headers: {
      accept: 'application/json',
      ...(typeof token === 'string' && token ? { 'developer-token': token } : {}),
      ...(login ? { 'login-customer-id': login } : {}),
      ...init.headers,
    },
  });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw googleAdsFailure(ctx, response, body);
  if (text && body === undefined) throw new Error(`Google Ads answered ${response.status} with a body that is not JSON`);
  // A stream that failed after it began answers 200 with the error as its last element.
  if (Array.isArray(body) && body.some((item) => item?.error)) throw googleAdsFailure(ctx, { status: body.find((item) => item?.error).error.code === 429 ? 429 : 400, headers: new Headers() }, body);
  return body ?? {};
}

/** @param {GoogleAdsContext} ctx */
async function accessibleCustomers(ctx) {
  const body = await googleAds(ctx, '/customers:listAccessibleCustomers');
  const names = Array.isArray(body.resourceNames) ? body.resourceNames.filter((name) => /^customers\/\d{10}$/.test(name)) : [];
  return names.map((resourceName) => ({ customerId: resourceName.slice('customers/'.length), resourceName }));
}

/**
 * Checks "yyyy-mm-dd hh:mm:ss+|-hh:mm" beyond its shape: a real calendar date and time, an offset
 * Google accepts, and not in the future. Answers the instant.
 */
function conversionInstant(value) {
  const match = new RegExp(DATE_TIME).exec(value);
  if (!match) throw refusal(`conversionDateTime must read "yyyy-mm-dd hh:mm:ss+|-hh:mm" with the time zone offset, e.g. "2026-03-01 12:32:45-08:00" (got "${value}").`, 'INVALID_DATE_TIME');
  const [, year, month, day, hour, minute, second, sign, offsetHours, offsetMinutes] = match.map((part, index) => (index === 7 ? part : Number(part)));
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  const real =
    check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day && hour < 24 && minute < 60 && second < 60 && offsetHours <= 14 && offsetMinutes < 60;
  if (!real) throw refusal(`conversionDateTime "${value}" is not a real date and time with a valid offset.`, 'INVALID_DATE_TIME');
  const instant = local - (sign === '+' ? 1 : -1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (instant > Date.now() + 5 * 60_000) throw refusal(`conversionDateTime "${value}" is in the future: give when the conversion happened.`, 'INVALID_DATE_TIME');
  return instant;
}

/** A partial failure's per-conversion errors as one sentence, with what to do when the code says. */
function conversionProblem(errors) {
  const parts = errors.map((error) => {
    const [category, code] = codeOf(error);
    const field = error.location?.fieldPathElements?.filter((element) => element.fieldName !== 'conversions').map((element) => element.fieldName).join('.');
    const base = `${error.message ?? 'rejected'}${field ? ` (${field})` : ''}${code ? ` [${category}: ${code}]` : ''}`;
    const advice = {
      EVENT_NOT_FOUND: 'The gclid is not from a click on an ad of this customer: check the customer and the gclid.',
      UNPARSEABLE_GCLID: 'The gclid is not one Google issued: send it exactly as it arrived in the landing page URL.',
      EXPIRED_EVENT: 'The click is older than the conversion action’s click-through window: it can no longer be imported.',
      CONVERSION_PRECEDES_EVENT: 'conversionDateTime is earlier than the click: give the time the conversion happened, with its offset.',
      TOO_RECENT_EVENT: 'The click happened less than 6 hours ago: upload the conversion again later.',
      TOO_RECENT_CONVERSION_ACTION: 'The conversion action was created less than 6 hours ago: upload to it again later.',
      NO_CONVERSION_ACTION_FOUND: 'The conversion action does not exist in this customer.',
      INVALID_CONVERSION_ACTION_TYPE: 'The conversion action is not set up for imported conversions (type UPLOAD_CLICKS).',
      INVALID_CUSTOMER_FOR_CLICK: 'The click belongs to another Google Ads account: upload to the account that owns the conversion action.',
      UNAUTHORIZED_CUSTOMER: 'The click belongs to an account this connection cannot reach: set loginCustomerId to its manager account.',
      CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS: 'Accept the customer data terms in the account’s conversion settings, then try again.',
    }[code];
    return advice ? `${base} ${advice}` : base;
  });
  return parts.join('; ');
}

/**
 * Uploads one offline click conversion (`POST /customers/{id}:uploadClickConversions`, always with
 * partialFailure: true as Google requires). Google answers a refused conversion with HTTP 200 and a
 * `partialFailureError`: that is a refusal here. One already uploaded (same gclid, action and time)
 * is answered as a duplicate, so a retried upload is not an error.
 * @param {GoogleAdsContext} ctx
 */
async function uploadClickConversion(ctx, input) {
  const customerId = digits(input.customerId);
  if ((input.value === undefined) !== (input.currency === undefined)) throw refusal('Give value (in the currency’s minor unit) together with its ISO 4217 currency.', 'INVALID_VALUE');
  conversionInstant(input.conversionDateTime);
  const conversionAction = /^\d+$/.test(input.conversionAction) ? `customers/${customerId}/conversionActions/${input.conversionAction}` : input.conversionAction;
  const conversion = {
    gclid: input.gclid,
    conversionAction,
    conversionDateTime: input.conversionDateTime,
    ...(input.value !== undefined ? { conversionValue: toConversionValue(input.value, input.currency), currencyCode: input.currency.toUpperCase() } : {}),
    ...(input.orderId ? { orderId: input.orderId } : {}),
  };
  const body = await googleAds(ctx, `/customers/${customerId}:uploadClickConversions`, {
    method: 'POST',
    body: { conversions: [conversion], partialFailure: true, ...(input.validateOnly ? { validateOnly: true } : {}) },
  });
  const jobId = body.jobId === undefined ? null : String(body.jobId);
  const summary = { customerId, gclid: input.gclid, conversionAction, conversionDateTime: input.conversionDateTime, ...(conversion.conversionValue !== undefined ? { conversionValue: conversion.conversionValue, currency: conversion.currencyCode } : {}), jobId };
  if (body.partialFailureError) {
    const { errors, requestId } = adsFailure(body.partialFailureError);
    const codes = errors.map((error) => codeOf(error)[1]);
    if (errors.length > 0 && codes.every((code) => code === 'CLICK_CONVERSION_ALREADY_EXISTS' || code === 'ORDER_ID_ALREADY_IN_USE')) {
      ctx.log.info('Google Ads already has this click conversion', { customerId, jobId, code: codes[0] });
      return { ...summary, uploaded: false, duplicate: true, validateOnly: Boolean(input.validateOnly) };
    }
    const detail = errors.length ? conversionProblem(errors) : String(body.partialFailureError.message ?? 'refused');
    throw refusal(`Google Ads did not accept the conversion: ${detail}${requestId ? ` [request ${requestId}]` : ''}`, codes[0]);
  }
  return { ...summary, uploaded: !input.validateOnly, duplicate: false, validateOnly: Boolean(input.validateOnly) };
}

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);

/**
 * Daily spend of each customer (GAQL over `customer` with `segments.date`, through searchStream: one
 * request answering every row as a JSON array of batches). Incremental: from a few days before the
 * newest day already synced, since Google Ads keeps adjusting recent days.
 * @param {GoogleAdsContext} ctx
 */
async function syncDailySpend(ctx, input) {
  const configured = Array.isArray(ctx.settings?.customerIds) && ctx.settings.customerIds.length ? ctx.settings.customerIds.map(digits) : undefined;
  const known = Array.isArray(ctx.integration?.metadata?.customerIds) ? ctx.integration.metadata.customerIds.filter((id) => /^\d{10}$/.test(id)) : undefined;
  const customerIds = configured ?? (known?.length ? known : (await accessibleCustomers(ctx)).map((customer) => customer.customerId));
  const mark = input?.highWaterMarks?.dailySpend;
  const today = Date.now();
  const start = mark && DATE.test(mark) ? Date.parse(`${mark}T00:00:00Z`) - LOOKBACK_DAYS * DAY_MS : today - (ctx.settings?.syncDays ?? 30) * DAY_MS;
  const from = isoDate(Math.min(start, today));
  const to = isoDate(today);
  const query = `SELECT segments.date, customer.id, customer.currency_code, metrics.cost_micros, metrics.impressions, metrics.clicks FROM customer WHERE segments.date BETWEEN '${from}' AND '${to}' ORDER BY segments.date`;
  const records = [];
  let newest = mark && DATE.test(mark) ? mark : undefined;
  for (const customerId of customerIds) {
    let batches;
    try {
      batches = await googleAds(ctx, `/customers/${customerId}/googleAds:searchStream`, { method: 'POST', body: { query } });
    } catch (error) {
      // A manager account has no metrics of its own, and a cancelled account none to read: skipped.
      if (error?.reason === 'REQUESTED_METRICS_FOR_MANAGER' || error?.reason === 'CUSTOMER_NOT_ENABLED') {
        ctx.log.info('Google Ads customer skipped', { customerId, reason: error.reason });
        continue;
      }
      throw error;
    }
    for (const batch of Array.isArray(batches) ? batches : [batches]) {
      for (const row of batch?.results ?? []) {
        const date = row.segments?.date;
        const currency = row.customer?.currencyCode;
        if (typeof date !== 'string' || !DATE.test(date) || typeof currency !== 'string') continue;
        records.push({
          id: `${customerId}:${date}`,
          customerId,
          date,
          currency,
          spend: microsToMinorUnits(row.metrics?.costMicros ?? '0', currency),
          costMicros: String(row.metrics?.costMicros ?? '0'),
          impressions: Number(row.metrics?.impressions ?? 0),
          clicks: Number(row.metrics?.clicks ?? 0),
        });
        if (!newest || date > newest) newest = date;
      }
    }
  }
  return { records: { dailySpend: records }, ...(newest ? { highWaterMarks: { dailySpend: newest } } : {}) };
}

const customerIdInput = { type: 'string', pattern: CUSTOMER_ID, description: 'The Google Ads customer id, 10 digits (dashes allowed: 123-456-7890)' };

export default definePlugin({
  providers: [
    {
      id: 'google_ads',
      name: 'Google Ads',
      category: 'marketing',
      description: 'Google Ads: the accounts a Google user reaches, offline click conversion imports (gclid), and daily spend per account.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: [SCOPE],
        scopeSeparator: ' ',
        pkce: true,
        // offline + consent: Google issues a refresh token on every connection, not only the first.
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
        // The operator's developer token (PLUGBOARD_OAUTH_GOOGLE_ADS_APP_DEVELOPER_TOKEN), sent as
        // `developer-token` when set. Since September 2026 Google ties API access to the Cloud project
        // of the OAuth client and ignores the header, so calls work without one.
        appSecrets: ['developerToken'],
      },
      connectionInputs: {
        type: 'object',
        additionalProperties: false,
        properties: {
          loginCustomerId: {
            ...customerIdInput,
            title: 'Manager account (login customer id)',
            description: 'The manager (MCC) account the Google user reaches client accounts through, e.g. 123-456-7890; leave empty when the user has direct access.',
          },
        },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          loginCustomerId: { ...customerIdInput, title: 'Manager account (login customer id)', description: 'Overrides the connection’s manager account, sent as login-customer-id' },
          customerIds: {
            type: 'array',
            title: 'Accounts to sync',
            description: 'Customer ids whose daily spend is synced; all accessible accounts when empty',
            items: customerIdInput,
            maxItems: 100,
            uniqueItems: true,
          },
          syncDays: { type: 'integer', minimum: 1, maximum: 365, default: 30, title: 'Days synced first', description: 'How far back the first daily spend sync reads' },
        },
      },
      baseUrl: `https://googleads.googleapis.com/${GOOGLE_ADS_API_VERSION}`,
      rateLimits: [
        // Access levels belong to the Google Cloud project of the OAuth client (all connections of the
        // operator's app): Basic access is 15,000 operations a day (a sliding 24 hours; each search
        // request and each uploaded conversion is one), Explorer 2,880 on production accounts,
        // Standard unlimited. Declared at Basic; a project below it meets RESOURCE_EXHAUSTED, which waits.
        { requests: 15_000, windowMs: 86_400_000, scope: 'app' },
        // Google meters queries per second per customer id and per project with a token bucket whose
        // size it does not publish; a few requests a second per connection stays clear of
        // RESOURCE_TEMPORARILY_EXHAUSTED.
        { requests: 5, windowMs: 1000, scope: 'connection' },
      ],
      errors: { message: (body) => (typeof body?.error?.message === 'string' ? body.error.message : undefined) },

      /**
       * The customers the signed-in Google user reaches directly (`customers:listAccessibleCustomers`,
       * which needs no customer id nor login-customer-id).
       * @param {GoogleAdsContext} ctx
       */
      async verify(ctx) {
        const customers = await accessibleCustomers(ctx);
        if (customers.length === 0) throw refusal('The connected Google account has no Google Ads account: sign in with a Google account that has access to one.', 'NOT_ADS_USER');
        const login = loginCustomerId(ctx);
        return {
          displayName: customers.length === 1 ? `Google Ads ${dashed(customers[0].customerId)}` : `Google Ads (${customers.length} accounts)`,
          metadata: {
            customerIds: customers.map((customer) => customer.customerId),
            customerResourceNames: customers.map((customer) => customer.resourceName),
            ...(login ? { loginCustomerId: login } : {}),
          },
        };
      },

      /** @param {GoogleAdsContext} ctx */
      async healthCheck(ctx) {
        await googleAds(ctx, '/customers:listAccessibleCustomers');
      },

      actions: {
        listAccessibleCustomers: {
          description: 'The Google Ads customers the connected Google user reaches directly (accounts reached only through a manager are not listed).',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          outputSchema: {
            type: 'object',
            properties: {
              customers: {
                type: 'array',
                items: { type: 'object', properties: { customerId: { type: 'string', pattern: '^[0-9]{10}$' }, resourceName: { type: 'string' } } },
              },
            },
          },
          run: async (ctx) => ({ customers: await accessibleCustomers(ctx) }),
        },
        uploadClickConversion: {
          description:
            'Imports one offline conversion of an ad click (by gclid) into a conversion action of type import. value is in the currency’s minor unit. A conversion Google refuses (expired or unknown gclid, wrong action, …) is an error saying why; one already imported is answered with duplicate: true.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['customerId', 'gclid', 'conversionAction', 'conversionDateTime'],
            properties: {
              customerId: customerIdInput,
              gclid: { type: 'string', minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_.-]+$', description: 'The Google click id from the landing page URL' },
              conversionAction: {
                type: 'string',
                pattern: CONVERSION_ACTION,
                maxLength: 80,
                description: 'The conversion action: customers/{customerId}/conversionActions/{id}, or its id',
              },
              conversionDateTime: {
                type: 'string',
                pattern: DATE_TIME,
                description: 'When the conversion happened, as Google requires it: "yyyy-mm-dd hh:mm:ss+|-hh:mm", e.g. "2026-03-01 12:32:45-08:00"',
              },
              value: { type: 'integer', minimum: 0, maximum: 1e15, description: 'The conversion’s value in the currency’s minor unit (cents)' },
              currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code of value' },
              orderId: { type: 'string', minLength: 1, maxLength: 64, description: 'The order (transaction) id: one conversion per order and action' },
              validateOnly: { type: 'boolean', description: 'Have Google check the conversion without importing it' },
            },
          },
          outputSchema: {
            type: 'object',
            properties: {
              customerId: { type: 'string' },
              gclid: { type: 'string' },
              conversionAction: { type: 'string' },
              conversionDateTime: { type: 'string' },
              conversionValue: { type: 'number' },
              currency: { type: 'string' },
              jobId: { type: ['string', 'null'] },
              uploaded: { type: 'boolean' },
              duplicate: { type: 'boolean' },
              validateOnly: { type: 'boolean' },
            },
          },
          run: uploadClickConversion,
        },
      },

      sync: { defaultFrequency: '1d', run: syncDailySpend },
    },
  ],
});
