// TikTok Ads provider for Plugboard, written against TikTok API for Business v1.3
// (https://business-api.tiktok.com/portal/docs): Authorization and Authentication (portal/auth,
// /oauth2/access_token/), /user/info/, /advertiser/info/, Events API 2.0 (/event/track/), reporting
// (/report/integrated/get/), Appendix – Return codes, and Rate limits.
import { createHash } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ advertiser_ids?: unknown[], scope?: unknown[] }} TikTokRaw
 * @typedef {import('plugboard/sdk').OAuthCredentials & { raw?: TikTokRaw }} TikTokCredentials
 * @typedef {{ syncDays?: number }} TikTokSettings
 * @typedef {import('plugboard/sdk').PluginContext<TikTokCredentials, TikTokSettings>} TikTokContext
 *
 * Every answer of the API, refusals included, is HTTP 200 with this envelope; `code` 0 is success.
 * @typedef {{ code?: number, message?: string, request_id?: string, data?: any }} TikTokAnswer
 */

export const TIKTOK_ORIGIN = 'https://business-api.tiktok.com';
const BASE_URL = `${TIKTOK_ORIGIN}/open_api/v1.3`;

// --- errors --------------------------------------------------------------------------------------

/** Return codes that mean throttling: the app's QPS/QPM/QPD (40016, 40100), an advertiser's QPS (40133), a pixel's QPS (40132). */
export const RATE_LIMIT_CODES = new Set([40016, 40100, 40132, 40133]);
/**
 * Return codes about the token, the authorization or the app behind it: only a new authorization
 * (reconnecting TikTok) helps. 40001 is a missing permission scope, fixed by re-authorizing with it.
 */
export const RECONNECT_CODES = new Set([40001, 40102, 40103, 40104, 40105, 40106, 40107, 40113, 40119, 40124, 40125]);
/** Service errors and maintenance (50000 system error, 50002, 51305, 60001 maintenance) and a write conflict that a retry resolves (40202). */
const OUTAGE_CODES = new Set([40202, 50000, 50002, 51305, 60001]);
/** 0 is success; 20001 is TikTok's "partially successful". */
const SUCCESS_CODES = new Set([0, 20001]);

/**
 * TikTok's return code and message as something a person can act on, with the request id TikTok's
 * support asks for.
 * @param {TikTokAnswer | undefined} body
 */
export function describeError(body) {
  if (!body || typeof body.code !== 'number' || SUCCESS_CODES.has(body.code)) return undefined;
  const code = body.code;
  const said = typeof body.message === 'string' && body.message.trim() ? body.message.trim() : 'no message';
  const request = typeof body.request_id === 'string' && body.request_id ? ` (request id ${body.request_id})` : '';
  let hint = '';
  if (code === 40001 || code === 40125) hint = ': reconnect TikTok and grant the permissions this needs (scopes are set on the TikTok app).';
  else if (RECONNECT_CODES.has(code)) hint = ': the TikTok authorization is no longer valid, connect TikTok again.';
  else if (RATE_LIMIT_CODES.has(code)) hint = ': TikTok is throttling these requests, try again shortly.';
  else if (code === 40300 || code === 40301) hint = ': the advertiser account is not one this connection may use; reconnect TikTok to authorize it.';
  else if (code === 40002 || code === 40000) hint = ': check the request parameters.';
  return `TikTok refused the request (code ${code}: ${said})${hint}${request}`;
}

/**
 * TikTok answers HTTP 200 whatever happened: the envelope's `code` decides. A 4xx/5xx status means the
 * request never reached the API (a wrong path or method, a server fault) and falls back on the status.
 */
export const errors = {
  message: (body) => describeError(body),
  /** @param {TikTokAnswer | null} body */
  classify(body) {
    if (!body || typeof body !== 'object' || typeof body.code !== 'number') return undefined;
    if (SUCCESS_CODES.has(body.code)) return 'ok';
    if (RATE_LIMIT_CODES.has(body.code)) return 'rate_limited';
    if (OUTAGE_CODES.has(body.code) || body.code >= 50000) return 'outage';
    return 'rejected';
  },
};

/**
 * One API call (the host sends the token in TikTok's `Access-Token` header, `auth.apply`),
 * the envelope checked, its `data` returned (with `request_id`).
 * @param {TikTokContext} ctx
 * @param {string} path relative to /open_api/v1.3, with its trailing slash
 * @param {{ query?: Record<string, string>, body?: Record<string, unknown> }} [init]
 */
async function tiktok(ctx, path, { query, body } = {}) {
  const token = ctx.credentials?.accessToken;
  if (typeof token !== 'string' || !token) throw new ProviderRejectedError('This TikTok connection has no access token: connect TikTok again.');
  const url = `${path}${query ? `?${new URLSearchParams(query)}` : ''}`;
  const headers = { accept: 'application/json' };
  const response = await ctx.http(
    url,
    body ? { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method: 'GET', headers },
  );
  /** @type {TikTokAnswer} */
  const answer = await readJson(response, ctx, errors);
  if (!answer || typeof answer !== 'object' || typeof answer.code !== 'number') throw new Error('TikTok answered without its response envelope');
  return { data: answer.data ?? {}, requestId: typeof answer.request_id === 'string' ? answer.request_id : null, code: answer.code, message: answer.message };
}

// --- money ---------------------------------------------------------------------------------------

/** ISO 4217 currencies whose minor unit is not the hundredth. */
const EXPONENTS = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};
export const exponentOf = (currency) => EXPONENTS[String(currency).toUpperCase()] ?? 2;

/** Minor units (integer) as the major-unit number TikTok's `value` and `price` take: 1999 USD → 19.99, 1500 JPY → 1500. */
export function toMajorUnits(amount, currency) {
  const exponent = exponentOf(currency);
  return Number((amount / 10 ** exponent).toFixed(exponent));
}

/**
 * A decimal string in the currency's major unit (TikTok's `spend`, e.g. "12.345") as integer minor
 * units, exactly (no floating point), rounding half up past the currency's exponent. Undefined when
 * the text is no decimal number.
 */
export function toMinorUnits(decimal, currency) {
  const text = typeof decimal === 'number' ? String(decimal) : typeof decimal === 'string' ? decimal.trim() : '';
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const exponent = exponentOf(currency);
  const kept = (fraction + '0'.repeat(exponent)).slice(0, exponent);
  let minor = BigInt(whole + kept);
  if (Number(fraction.charAt(exponent) || '0') >= 5) minor += 1n;
  return Number(sign ? -minor : minor);
}

// --- user data -----------------------------------------------------------------------------------

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Email as TikTok hashes it: leading and trailing spaces removed, lower-cased. */
export const normalizeEmail = (email) => String(email).trim().toLowerCase();

/**
 * A phone number in E.164 (`+` country code and number, nothing else), or undefined when it cannot be
 * one: spaces, dashes, dots and brackets are dropped; a leading `00` is the international prefix.
 */
export function normalizePhone(phone) {
  let digits = String(phone).trim().replace(/[\s().-]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  return /^\+[1-9]\d{6,14}$/.test(digits) ? digits : undefined;
}

/**
 * The Events API 2.0 `user` object: email, phone and external_id normalised and SHA-256 hashed (hex)
 * as TikTok requires; ip, user_agent, ttclid and ttp sent as they are (TikTok matches them unhashed).
 */
export function tiktokUser(user) {
  /** @type {Record<string, string>} */
  const out = {};
  if (user.email !== undefined) out.email = sha256(normalizeEmail(user.email));
  if (user.phone !== undefined) {
    const phone = normalizePhone(user.phone);
    if (!phone) throw new ProviderRejectedError('user.phone must be a phone number in E.164 format with its country code, such as +12133734253.');
    out.phone = sha256(phone);
  }
  if (user.externalId !== undefined) out.external_id = sha256(String(user.externalId).trim());
  if (user.ttclid !== undefined) out.ttclid = user.ttclid;
  if (user.ttp !== undefined) out.ttp = user.ttp;
  if (user.ip !== undefined) out.ip = user.ip;
  if (user.userAgent !== undefined) out.user_agent = user.userAgent;
  if (user.locale !== undefined) out.locale = user.locale;
  return out;
}

// --- events --------------------------------------------------------------------------------------

/** TikTok's standard web events (Events API 2.0, event_source `web`). */
export const STANDARD_EVENTS = [
  'AddPaymentInfo',
  'AddToCart',
  'AddToWishlist',
  'ApplicationApproval',
  'ClickButton',
  'CompletePayment',
  'CompleteRegistration',
  'Contact',
  'CustomizeProduct',
  'Download',
  'FindLocation',
  'InitiateCheckout',
  'Lead',
  'PlaceAnOrder',
  'Purchase',
  'Schedule',
  'Search',
  'StartTrial',
  'SubmitApplication',
  'SubmitForm',
  'Subscribe',
  'ViewContent',
];
/** A custom event name: a letter, then letters, digits or underscores, at most 50 characters. */
const CUSTOM_EVENT = '^[A-Za-z][A-Za-z0-9_]{0,49}$';

/** @param {TikTokContext} ctx */
async function sendEvent(ctx, input) {
  const currency = input.properties?.currency;
  const contents = input.properties?.contents ?? [];
  if (!currency && contents.some((item) => item.price !== undefined))
    throw new ProviderRejectedError('properties.currency is required when a content has a price (prices are given in its minor unit).');
  const time = input.timestamp ? Date.parse(input.timestamp) : Date.now();
  if (Number.isNaN(time)) throw new ProviderRejectedError('timestamp must be an ISO 8601 date-time.');
  const eventTime = Math.floor(time / 1000);
  /** @type {Record<string, unknown>} */
  const properties = {};
  const given = input.properties ?? {};
  if (given.value !== undefined) properties.value = toMajorUnits(given.value, currency);
  if (currency) properties.currency = currency;
  if (given.contentType) properties.content_type = given.contentType;
  if (contents.length)
    properties.contents = contents.map((item) => ({
      ...(item.contentId !== undefined ? { content_id: item.contentId } : {}),
      ...(item.contentName !== undefined ? { content_name: item.contentName } : {}),
      ...(item.contentCategory !== undefined ? { content_category: item.contentCategory } : {}),
      ...(item.brand !== undefined ? { brand: item.brand } : {}),
      ...(item.price !== undefined ? { price: toMajorUnits(item.price, currency) } : {}),
      ...(item.quantity !== undefined ? { quantity: item.quantity } : {}),
    }));
  if (given.query !== undefined) properties.query = given.query;
  if (given.description !== undefined) properties.description = given.description;
  if (given.orderId !== undefined) properties.order_id = given.orderId;
  if (given.shopId !== undefined) properties.shop_id = given.shopId;
  const event = {
    event: input.event,
    event_time: eventTime,
    ...(input.eventId ? { event_id: input.eventId } : {}),
    user: tiktokUser(input.user),
    ...(Object.keys(properties).length ? { properties } : {}),
    ...(input.page ? { page: { url: input.page.url, ...(input.page.referrer ? { referrer: input.page.referrer } : {}) } } : {}),
  };
  const body = {
    event_source: 'web',
    event_source_id: input.pixelCode,
    ...(input.testEventCode ? { test_event_code: input.testEventCode } : {}),
    data: [event],
  };
  const answer = await tiktok(ctx, '/event/track/', { body });
  // 20001 (partially successful) on a batch of one means the event was not taken.
  if (answer.code !== 0) throw new ProviderRejectedError(describeError({ code: answer.code, message: answer.message, request_id: answer.requestId ?? undefined }) ?? 'TikTok did not accept the event.');
  return { requestId: answer.requestId, event: input.event, eventId: input.eventId ?? null, eventTime, pixelCode: input.pixelCode };
}

// --- advertisers ---------------------------------------------------------------------------------

const ADVERTISER_ID = '^[0-9]{1,25}$';
const ADVERTISER_FIELDS = ['advertiser_id', 'name', 'currency', 'timezone', 'display_timezone', 'status', 'country', 'company'];
/** /advertiser/info/ takes at most 100 ids a request. */
const ADVERTISERS_PER_REQUEST = 100;

/**
 * The advertiser accounts the user authorized: `advertiser_ids` of the token answer (kept in `raw`).
 * @param {TikTokContext} ctx
 * @returns {string[]}
 */
export function authorizedAdvertiserIds(ctx) {
  const ids = ctx.credentials?.raw?.advertiser_ids;
  if (!Array.isArray(ids)) return [];
  const valid = ids.map((id) => (typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : id)).filter((id) => typeof id === 'string' && new RegExp(ADVERTISER_ID).test(id));
  return [...new Set(valid)];
}

const advertiserSummary = (item) => ({
  advertiserId: String(item.advertiser_id),
  name: typeof item.name === 'string' ? item.name : null,
  currency: typeof item.currency === 'string' ? item.currency : null,
  timezone: typeof item.display_timezone === 'string' ? item.display_timezone : typeof item.timezone === 'string' ? item.timezone : null,
  status: typeof item.status === 'string' ? item.status : null,
  country: typeof item.country === 'string' ? item.country : null,
  company: typeof item.company === 'string' ? item.company : null,
});

/**
 * `GET /advertiser/info/` for these ids, 100 at a time (ids and fields as JSON arrays in the query).
 * @param {TikTokContext} ctx
 * @param {string[]} ids
 */
async function advertiserInfo(ctx, ids) {
  const advertisers = [];
  for (let start = 0; start < ids.length; start += ADVERTISERS_PER_REQUEST) {
    const batch = ids.slice(start, start + ADVERTISERS_PER_REQUEST);
    const { data } = await tiktok(ctx, '/advertiser/info/', { query: { advertiser_ids: JSON.stringify(batch), fields: JSON.stringify(ADVERTISER_FIELDS) } });
    advertisers.push(...(Array.isArray(data?.list) ? data.list.filter((item) => item && item.advertiser_id !== undefined).map(advertiserSummary) : []));
  }
  return advertisers;
}

/** @param {TikTokContext} ctx */
async function listAdvertisers(ctx, input = {}) {
  const authorized = authorizedAdvertiserIds(ctx);
  const ids = input.advertiserIds?.length ? input.advertiserIds : authorized;
  const foreign = ids.filter((id) => !authorized.includes(id));
  if (foreign.length)
    throw new ProviderRejectedError(`This TikTok connection was not authorized for advertiser ${foreign.join(', ')}: reconnect TikTok and select that ad account.`);
  return { advertisers: ids.length ? await advertiserInfo(ctx, ids) : [] };
}

// --- daily spend ---------------------------------------------------------------------------------

/** With `stat_time_day`, a report covers at most 30 days. */
const REPORT_WINDOW_DAYS = 30;
/** The most rows a report page holds. */
const REPORT_PAGE_SIZE = 1000;
const MAX_REPORT_PAGES = 100;
/** Recent days are fetched again on every sync: TikTok settles spend and attribution for a few days. */
const LOOKBACK_DAYS = 3;
const DEFAULT_SYNC_DAYS = 30;
const DAY = 86_400_000;

const isoDay = (time) => new Date(time).toISOString().slice(0, 10);
const dayStart = (day) => Date.parse(`${day}T00:00:00Z`);
const integer = (value) => {
  const number = typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10);
  return Number.isFinite(number) ? Math.trunc(number) : 0;
};

/**
 * One advertiser's daily spend, impressions and clicks from `start` to `end` (inclusive days in the
 * advertiser's time zone): synchronous BASIC reports at AUCTION_ADVERTISER level, page by page
 * (`page_info.total_page`).
 * @param {TikTokContext} ctx
 */
async function dailyReport(ctx, advertiser, start, end) {
  const rows = [];
  for (let page = 1, totalPages = 1; page <= totalPages && page <= MAX_REPORT_PAGES; page += 1) {
    const { data } = await tiktok(ctx, '/report/integrated/get/', {
      query: {
        advertiser_id: advertiser.advertiserId,
        report_type: 'BASIC',
        data_level: 'AUCTION_ADVERTISER',
        dimensions: JSON.stringify(['advertiser_id', 'stat_time_day']),
        metrics: JSON.stringify(['spend', 'impressions', 'clicks']),
        start_date: start,
        end_date: end,
        page: String(page),
        page_size: String(REPORT_PAGE_SIZE),
      },
    });
    const list = Array.isArray(data?.list) ? data.list : [];
    for (const row of list) {
      const day = typeof row?.dimensions?.stat_time_day === 'string' ? row.dimensions.stat_time_day.slice(0, 10) : undefined;
      if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) continue;
      const currency = advertiser.currency;
      const spend = currency ? toMinorUnits(row.metrics?.spend ?? '0', currency) : undefined;
      if (spend === undefined) {
        ctx.log.warn('TikTok report row without a readable spend or currency', { advertiserId: advertiser.advertiserId, day });
        continue;
      }
      rows.push({
        id: `${advertiser.advertiserId}:${day}`,
        advertiserId: advertiser.advertiserId,
        date: day,
        spend,
        currency,
        impressions: integer(row.metrics?.impressions),
        clicks: integer(row.metrics?.clicks),
      });
    }
    totalPages = integer(data?.page_info?.total_page) || 1;
  }
  return rows;
}

/**
 * Daily spend of every authorized advertiser, incremental by date: from the last sync's newest day
 * (less a few days TikTok may still revise), or `syncDays` back on the first sync, to today.
 * @param {TikTokContext} ctx
 */
async function syncDailySpend(ctx, input = {}) {
  const ids = authorizedAdvertiserIds(ctx);
  const advertisers = ids.length ? await advertiserInfo(ctx, ids) : [];
  const today = isoDay(Date.now());
  const syncDays = Number.isInteger(ctx.settings?.syncDays) ? ctx.settings.syncDays : DEFAULT_SYNC_DAYS;
  const mark = input.highWaterMarks?.dailySpend;
  const earliest = dayStart(today) - 365 * DAY;
  const from = mark && /^\d{4}-\d{2}-\d{2}$/.test(mark) ? Math.max(dayStart(mark) - LOOKBACK_DAYS * DAY, earliest) : dayStart(today) - (syncDays - 1) * DAY;
  const records = [];
  for (const advertiser of advertisers) {
    if (!advertiser.currency) ctx.log.warn('TikTok advertiser without a currency; its spend is skipped', { advertiserId: advertiser.advertiserId });
    if (!advertiser.currency) continue;
    for (let start = from; start <= dayStart(today); start += REPORT_WINDOW_DAYS * DAY) {
      const end = Math.min(start + (REPORT_WINDOW_DAYS - 1) * DAY, dayStart(today));
      records.push(...(await dailyReport(ctx, advertiser, isoDay(start), isoDay(end))));
    }
  }
  const newest = records.reduce((latest, record) => (record.date > latest ? record.date : latest), mark && /^\d{4}-\d{2}-\d{2}$/.test(mark) ? mark : '');
  return { records: { dailySpend: records }, ...(newest ? { highWaterMarks: { dailySpend: newest } } : {}) };
}

// --- schemas -------------------------------------------------------------------------------------

const advertiserSchema = {
  type: 'object',
  required: ['advertiserId', 'name', 'currency', 'timezone', 'status'],
  properties: {
    advertiserId: { type: 'string' },
    name: { type: ['string', 'null'] },
    currency: { type: ['string', 'null'] },
    timezone: { type: ['string', 'null'] },
    status: { type: ['string', 'null'] },
    country: { type: ['string', 'null'] },
    company: { type: ['string', 'null'] },
  },
};

/** Minor units of the event's currency. */
const minorUnits = { type: 'integer', minimum: 0, maximum: 1e15 };

const sendEventInput = {
  type: 'object',
  additionalProperties: false,
  required: ['pixelCode', 'event', 'user'],
  properties: {
    pixelCode: { type: 'string', pattern: '^[A-Za-z0-9]{8,64}$', description: 'The pixel code (event_source_id) from TikTok Events Manager' },
    event: {
      type: 'string',
      maxLength: 50,
      anyOf: [{ enum: STANDARD_EVENTS }, { pattern: CUSTOM_EVENT }],
      description: `A standard web event (${STANDARD_EVENTS.join(', ')}) or a custom event name`,
    },
    timestamp: { type: 'string', format: 'date-time', description: 'When it happened (ISO 8601 with an offset); now when absent' },
    eventId: { type: 'string', minLength: 1, maxLength: 256, description: 'Deduplicates this event with the same event sent by the pixel' },
    testEventCode: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Shows the event in Events Manager → Test events only' },
    user: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        email: { type: 'string', maxLength: 254, pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$', description: 'Trimmed, lower-cased and SHA-256 hashed before sending' },
        phone: { type: 'string', pattern: '^\\s*(\\+|00)[1-9][0-9 ().-]{5,24}\\s*$', description: 'E.164 with country code (+12133734253); SHA-256 hashed before sending' },
        externalId: { type: 'string', minLength: 1, maxLength: 256, description: 'Your id of the person; SHA-256 hashed before sending' },
        ip: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }], description: 'Sent unhashed' },
        userAgent: { type: 'string', minLength: 1, maxLength: 1024, description: 'Sent unhashed' },
        ttclid: { type: 'string', minLength: 1, maxLength: 512, description: 'TikTok click id (the ttclid URL parameter)' },
        ttp: { type: 'string', minLength: 1, maxLength: 512, description: 'The _ttp cookie' },
        locale: { type: 'string', pattern: '^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$' },
      },
    },
    properties: {
      type: 'object',
      additionalProperties: false,
      dependencies: { value: ['currency'] },
      properties: {
        value: { ...minorUnits, description: 'The order value in the currency’s minor unit (cents); sent in major units' },
        currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
        contentType: { enum: ['product', 'product_group'] },
        contents: {
          type: 'array',
          maxItems: 100,
          items: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              contentId: { type: 'string', minLength: 1, maxLength: 256 },
              contentName: { type: 'string', minLength: 1, maxLength: 512 },
              contentCategory: { type: 'string', minLength: 1, maxLength: 256 },
              brand: { type: 'string', minLength: 1, maxLength: 256 },
              price: { ...minorUnits, description: 'Price of one item in the currency’s minor unit' },
              quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            },
          },
        },
        query: { type: 'string', maxLength: 1024 },
        description: { type: 'string', maxLength: 2048 },
        orderId: { type: 'string', minLength: 1, maxLength: 256 },
        shopId: { type: 'string', minLength: 1, maxLength: 256 },
      },
    },
    page: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: { url: { type: 'string', format: 'uri', maxLength: 2048 }, referrer: { type: 'string', format: 'uri', maxLength: 2048 } },
    },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'tiktok_ads',
      name: 'TikTok Ads',
      category: 'marketing',
      description: 'TikTok API for Business: advertiser accounts, web conversions through the Events API, and daily ad spend.',
      auth: {
        type: 'oauth2',
        // TikTok's advertiser authorization is not RFC 6749: the client id goes as app_id, the scopes
        // are the ones configured on the TikTok app, and the callback carries auth_code.
        authorizationUrl: 'https://business-api.tiktok.com/portal/auth',
        tokenUrl: 'https://business-api.tiktok.com/open_api/v1.3/oauth2/access_token/',
        scopes: [],
        // Marketing API tokens are long-term: no expiry, no refresh token.
        refresh: false,
        clientIdParameter: 'app_id',
        codeParameter: 'auth_code',
        // The code exchange is a JSON POST of app_id, secret and auth_code, answered HTTP 200 with
        // { code, message, request_id, data: { access_token, advertiser_ids, scope } }; code ≠ 0 is a refusal.
        // TikTok reads the token from Access-Token, not Authorization.
        apply: { headers: { 'Access-Token': '{accessToken}' } },
        tokenRequest: {
          body: { app_id: '{clientId}', secret: '{clientSecret}', auth_code: '{code}' },
          result: '/data',
        },
      },
      baseUrl: BASE_URL,
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          syncDays: { type: 'integer', minimum: 1, maximum: 365, default: DEFAULT_SYNC_DAYS, title: 'Days of spend on the first sync' },
        },
      },
      errors,
      // TikTok's per-app limits (Basic level, the default: 10 requests/s, 600/min; the Events API 1,000/s
      // and 600,000/min at every level). Throttling answers HTTP 200 with code 40100 and no Retry-After.
      rateLimits: [
        { requests: 10, windowMs: 1000, scope: 'app', match: ['GET /'] },
        { requests: 600, windowMs: 60_000, scope: 'app', match: ['GET /'] },
        { requests: 1000, windowMs: 1000, scope: 'app', match: ['POST /event/track/'] },
        { requests: 600_000, windowMs: 60_000, scope: 'app', match: ['POST /event/track/'] },
      ],

      /** @param {TikTokContext} ctx */
      async verify(ctx) {
        const { data: user } = await tiktok(ctx, '/user/info/');
        const ids = authorizedAdvertiserIds(ctx);
        const advertisers = ids.length ? await advertiserInfo(ctx, ids) : [];
        const displayName = (typeof user?.display_name === 'string' && user.display_name) || (typeof user?.email === 'string' && user.email) || 'TikTok for Business';
        return {
          displayName,
          metadata: {
            coreUserId: user?.core_user_id !== undefined ? String(user.core_user_id) : null,
            displayName,
            email: typeof user?.email === 'string' ? user.email : null,
            advertiserIds: ids,
            advertisers: advertisers.map(({ advertiserId, name, currency, timezone }) => ({ advertiserId, name, currency, timezone })),
          },
        };
      },

      /** The cheapest authenticated call. @param {TikTokContext} ctx */
      async healthCheck(ctx) {
        await tiktok(ctx, '/user/info/');
      },

      actions: {
        listAdvertisers: {
          description: 'Lists the advertiser accounts this connection was authorized for, with their name, currency, time zone and status.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              advertiserIds: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: ADVERTISER_ID } },
            },
          },
          outputSchema: { type: 'object', required: ['advertisers'], properties: { advertisers: { type: 'array', items: advertiserSchema } } },
          run: listAdvertisers,
        },
        sendEvent: {
          description:
            'Reports one web conversion to a TikTok pixel through the Events API 2.0: email, phone and external id are normalised and SHA-256 hashed here; money is given in minor units with its currency.',
          inputSchema: sendEventInput,
          outputSchema: {
            type: 'object',
            required: ['requestId', 'event', 'eventId', 'eventTime', 'pixelCode'],
            properties: {
              requestId: { type: ['string', 'null'] },
              event: { type: 'string' },
              eventId: { type: ['string', 'null'] },
              eventTime: { type: 'integer', description: 'Unix seconds sent as event_time' },
              pixelCode: { type: 'string' },
            },
          },
          run: sendEvent,
        },
      },

      sync: {
        defaultFrequency: '6h',
        run: syncDailySpend,
      },
    },
  ],
});
