// Meta Ads provider for Plugboard, written against Meta's Marketing API (https://developers.facebook.com/docs/marketing-api:
// the Ad Account reference and the /me/adaccounts edge, the Insights API with its limits and best practices, Marketing API rate
// limiting), the Conversions API (https://developers.facebook.com/docs/marketing-api/conversions-api: "Using the API", the server
// event and customer information parameters), Facebook Login's manual flow and access tokens, and the Graph API error-handling guide.
import { createHash } from 'node:crypto';
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError } from 'plugboard/sdk';

/**
 * @typedef {{ adAccountIds?: string[], pixelId?: string }} MetaAdsSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, MetaAdsSettings>} MetaAdsContext
 * @typedef {{ message?: string, type?: string, code?: number, error_subcode?: number, error_user_title?: string, error_user_msg?: string, fbtrace_id?: string }} GraphError
 * @typedef {{ id: string, accountId: string, name: string | null, currency: string | null, status: string, statusCode: number | null }} AdAccount
 */

/** The Graph API version the Facebook Live plugin pins as well (v26.0): every path below is relative to it. */
const GRAPH_VERSION = 'v26.0';
const GRAPH = `https://graph.facebook.com/${GRAPH_VERSION}`;

/**
 * ads_read reads ad accounts and their insights; ads_management is what the Conversions API asks of a
 * user token sending events to a pixel. Listing the user's ad accounts (GET /me/adaccounts) needs
 * either of them, not business_management.
 */
const SCOPES = ['ads_read', 'ads_management'];

/**
 * Facebook issues no refresh tokens. The server-side code exchange answers a long-lived user token
 * (about 60 days) with its `expires_in`; should an answer name none, the token is taken to last 60
 * days, so the host warns before it ends and the user connects again.
 */
const LONG_LIVED_SECONDS = 60 * 86_400;

/** Ad account node ids (`act_<account id>`), and numeric Graph ids (users, pixels). */
const AD_ACCOUNT_ID = '^act_[0-9]{1,20}$';
const NUMERIC_ID = '^[0-9]{1,32}$';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
const MAX_INSIGHT_PAGES = 50;

/** The ad account's account_status codes (Ad Account reference). */
const ACCOUNT_STATUS = {
  1: 'ACTIVE',
  2: 'DISABLED',
  3: 'UNSETTLED',
  7: 'PENDING_RISK_REVIEW',
  8: 'PENDING_SETTLEMENT',
  9: 'IN_GRACE_PERIOD',
  100: 'PENDING_CLOSURE',
  101: 'CLOSED',
  201: 'ANY_ACTIVE',
  202: 'ANY_CLOSED',
};

/** The Conversions API's action_source values. */
const ACTION_SOURCES = ['website', 'app', 'email', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other'];

/** "If any event_time in data is more than 7 days in the past, the whole request fails." */
const MAX_EVENT_AGE_SECONDS = 7 * 86_400;
/** event_time says when the event happened: a little clock skew is allowed, a time in the future is not. */
const FUTURE_SKEW_SECONDS = 5 * 60;

/** Insights: the first sync reads this many days back; later ones re-read a few days, whose numbers Meta still settles. */
const INITIAL_DAYS = 30;
const LOOKBACK_DAYS = 3;
/** Insights answer for at most 37 months back. */
const MAX_HISTORY_DAYS = 36 * 31;

/**
 * ISO 4217 minor-unit exponents that are not 2 (what Plugboard's integer amounts count). Meta's
 * `value` and `spend` are decimal amounts in the currency's major unit.
 */
const EXPONENTS = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};
const exponentOf = (currency) => EXPONENTS[String(currency).toUpperCase()] ?? 2;

/** An integer amount in minor units → the decimal major-unit number Meta takes (1999 USD → 19.99, 500 JPY → 500). */
export function toMajorUnits(amount, currency) {
  const exponent = exponentOf(currency);
  return Number((amount / 10 ** exponent).toFixed(exponent));
}

/** Meta's decimal string ("12.34") → integer minor units of the currency, rounded half up; undefined when it is no amount. */
export function toMinorUnits(decimal, currency) {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(String(decimal ?? '').trim());
  if (!match) return undefined;
  const exponent = exponentOf(currency);
  const fraction = match[2] ?? '';
  let minor = Number(match[1]) * 10 ** exponent + Number(fraction.slice(0, exponent).padEnd(exponent, '0') || '0');
  if (fraction.length > exponent && Number(fraction[exponent]) >= 5) minor += 1;
  return Number.isSafeInteger(minor) ? minor : undefined;
}

// ---- Graph errors ----

/** Throttling: 4 application, 17 user, 32 Page, 613 custom; 80000 Ads Insights, 80003 Custom Audience, 80004 Ads Management BUC limits. */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80000, 80003, 80004]);
/** 190 (and the older 102): the access token expired, was revoked or is invalid. */
const TOKEN_CODES = new Set([102, 190]);
const isPermissionCode = (code) => code === 10 || (code >= 200 && code <= 299);
const OUTAGE_CODES = new Set([1, 2]);

function graphError(body) {
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : undefined;
  return /** @type {GraphError | undefined} */ (error);
}

const refusal = (message) => new ProviderRejectedError(message);

async function readBody(response) {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Seconds until the throttle lifts: the largest estimated_time_to_regain_access (minutes) in
 * X-Business-Use-Case-Usage, else X-Ad-Account-Usage's reset_time_duration (seconds), else Retry-After.
 */
function retryAfterSeconds(response) {
  const parse = (name) => {
    const value = response.headers.get(name);
    if (!value) return undefined;
    try {
      return JSON.parse(value);
    } catch {
      return undefined;
    }
  };
  const usage = parse('x-business-use-case-usage');
  if (usage && typeof usage === 'object') {
    const minutes = Object.values(usage)
      .flat()
      .map((entry) => Number(entry?.estimated_time_to_regain_access))
      .filter((value) => Number.isFinite(value) && value > 0);
    if (minutes.length) return Math.max(...minutes) * 60;
  }
  const account = Number(parse('x-ad-account-usage')?.reset_time_duration);
  if (Number.isFinite(account) && account > 0) return account;
  const retryAfter = Number(response.headers.get('retry-after'));
  return response.headers.has('retry-after') && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
}

/**
 * A Graph error as what it means: throttling codes are rate limits whatever the HTTP status, 190 asks
 * for a new connection, permission codes say what to grant, 1 and 2 are Meta's own trouble, the rest
 * are refusals with Meta's message (the user-facing one when Meta gives it) and trace id.
 */
function graphFailure(response, body) {
  const status = response.status;
  const error = graphError(body) ?? {};
  const code = Number(error.code);
  const base = (typeof error.message === 'string' && error.message) || `Meta answered HTTP ${status}`;
  const detail = typeof error.error_user_msg === 'string' && error.error_user_msg && error.error_user_msg !== base ? `: ${error.error_user_msg}` : '';
  const message = `${base}${detail}`;
  const trace = typeof error.fbtrace_id === 'string' && error.fbtrace_id ? ` (fbtrace_id ${error.fbtrace_id})` : '';
  if (RATE_LIMIT_CODES.has(code) || status === 429) return new ProviderRateLimitedError(`Meta is rate limiting these calls: ${message}`, retryAfterSeconds(response));
  if (TOKEN_CODES.has(code)) {
    const error = refusal(`Meta no longer accepts this connection's access token (${message}): connect Meta Ads again.`);
    return Object.assign(error, { reconnect: true });
  }
  if (isPermissionCode(code)) return refusal(`Meta refused for lack of permission (${message}): connect Meta Ads again and allow ${SCOPES.join(', ')}, with a role on the ad account or pixel.${trace}`);
  if (OUTAGE_CODES.has(code) || status >= 500 || status === 408) return new Error(`Meta answered HTTP ${status}: ${message}${trace}`);
  if (status >= 400 || body?.error) return refusal(`${message}${trace}`);
  return new Error(`Meta answered HTTP ${status}: ${message}`);
}

/**
 * Calls the Graph API under the pinned version; the host adds the user's access token as a bearer
 * header. `form` goes as `application/x-www-form-urlencoded`, as Graph takes POST parameters.
 * @param {MetaAdsContext} ctx
 * @param {string} path
 * @param {{ method?: string, form?: Record<string, string> }} [options]
 */
async function graph(ctx, path, { method = 'GET', form } = {}) {
  const response = await ctx.http(path, { method, headers: { accept: 'application/json' }, ...(form ? { body: new URLSearchParams(form) } : {}) });
  const body = await readBody(response);
  if (!response.ok || graphError(body)) throw graphFailure(response, body);
  if (body === undefined) throw new Error(`Meta answered HTTP ${response.status} with a body that is not JSON`);
  return body;
}

const query = (params) => new URLSearchParams(params).toString();

// ---- ad accounts ----

/** @returns {AdAccount} */
function adAccount(entry) {
  const code = Number(entry?.account_status);
  const accountId = String(entry?.account_id ?? String(entry?.id ?? '').replace(/^act_/, ''));
  return {
    id: typeof entry?.id === 'string' && entry.id.startsWith('act_') ? entry.id : `act_${accountId}`,
    accountId,
    name: typeof entry?.name === 'string' ? entry.name : null,
    currency: typeof entry?.currency === 'string' ? entry.currency.toUpperCase() : null,
    status: ACCOUNT_STATUS[code] ?? 'UNKNOWN',
    statusCode: Number.isFinite(code) ? code : null,
  };
}

/**
 * Every ad account the user can reach (GET /me/adaccounts), following the cursor while Graph names a
 * next page.
 * @param {MetaAdsContext} ctx
 * @returns {Promise<{ adAccounts: AdAccount[], truncated: boolean }>}
 */
async function allAdAccounts(ctx) {
  const adAccounts = [];
  let after;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = await graph(ctx, `/me/adaccounts?${query({ fields: 'account_id,name,currency,account_status', limit: String(PAGE_SIZE), ...(after ? { after } : {}) })}`);
    const data = Array.isArray(body.data) ? body.data : [];
    adAccounts.push(...data.map(adAccount));
    after = body.paging?.cursors?.after;
    if (!body.paging?.next || typeof after !== 'string' || !after || data.length === 0) return { adAccounts, truncated: false };
  }
  return { adAccounts, truncated: true };
}

/** The chosen ad accounts: the settings' list, else what verify kept. @param {MetaAdsContext} ctx */
function chosenAdAccountIds(ctx) {
  const pattern = new RegExp(AD_ACCOUNT_ID);
  const from = (list) => (Array.isArray(list) ? list.filter((id) => typeof id === 'string' && pattern.test(id)) : []);
  const settings = from(ctx.settings?.adAccountIds);
  return settings.length ? settings : from(ctx.integration.metadata?.adAccountIds);
}

/** @param {MetaAdsContext} ctx */
async function listAdAccounts(ctx) {
  const { adAccounts, truncated } = await allAdAccounts(ctx);
  const chosen = new Set(chosenAdAccountIds(ctx));
  return { adAccounts: adAccounts.map((account) => ({ ...account, selected: chosen.has(account.id) })), truncated };
}

// ---- Conversions API: customer information ----

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
/** A value already hashed by the caller (SHA-256, hex) is passed on as it is. */
const ALREADY_HASHED = /^[a-f0-9]{64}$/;

const lowerNfc = (value) => value.normalize('NFC').trim().toLowerCase();
/** Letters, marks and digits only: no punctuation, no special characters, no spaces. */
const lettersAndDigits = (value) => lowerNfc(value).replace(/[^\p{L}\p{M}\p{N}]/gu, '');

/**
 * The normalisation the customer information parameters page prescribes before hashing, per field:
 * em trimmed and lower-case; ph digits only (symbols and letters removed) without leading zeros, the
 * country code included; fn/ln lower-case without punctuation, UTF-8 (NFC); ct lower-case without
 * punctuation, special characters or spaces; st the same (the 2-letter code for US states); zp
 * lower-case without spaces or dashes, the first 5 digits for US ZIP codes; country the lower-case
 * ISO 3166-1 alpha-2 code; external_id trimmed (hashing recommended).
 */
const NORMALISE = {
  em: (value) => value.trim().toLowerCase(),
  ph: (value) => value.replace(/[^0-9]/g, '').replace(/^0+/, ''),
  fn: (value) => lowerNfc(value).replace(/\p{P}/gu, ''),
  ln: (value) => lowerNfc(value).replace(/\p{P}/gu, ''),
  ct: lettersAndDigits,
  st: lettersAndDigits,
  zp: (value, country) => {
    const compact = lowerNfc(value).replace(/[\s-]/g, '');
    const usZip = /^\d{5}(?:-?\d{4})?$/.test(value.trim().replace(/\s/g, ''));
    return country === 'us' || (!country && usZip) ? compact.replace(/[^0-9]/g, '').slice(0, 5) : compact;
  },
  country: (value) => value.trim().toLowerCase(),
  external_id: (value) => value.trim(),
};

const USER_FIELDS = {
  email: 'em',
  phone: 'ph',
  firstName: 'fn',
  lastName: 'ln',
  city: 'ct',
  state: 'st',
  zip: 'zp',
  country: 'country',
  externalId: 'external_id',
};
/** Sent as they are: Meta asks that these not be hashed. */
const PLAIN_FIELDS = { clientIpAddress: 'client_ip_address', clientUserAgent: 'client_user_agent', fbc: 'fbc', fbp: 'fbp' };

/** userData → Meta's user_data: normalised and SHA-256-hashed where Meta requires it, plain where it forbids it. */
export function toUserData(userData) {
  const country = typeof userData.country === 'string' ? NORMALISE.country(userData.country) : undefined;
  /** @type {Record<string, string>} */
  const out = {};
  for (const [field, key] of Object.entries(USER_FIELDS)) {
    const raw = userData[field];
    if (typeof raw !== 'string') continue;
    const trimmed = raw.trim().toLowerCase();
    if (ALREADY_HASHED.test(trimmed) && key !== 'ph') {
      out[key] = trimmed;
      continue;
    }
    const normalised = NORMALISE[key](raw, country);
    if (!normalised) throw refusal(`userData.${field} is empty once normalised as Meta asks; leave it out instead.`);
    if (key === 'ph' && (normalised.length < 7 || normalised.length > 15)) {
      throw refusal('userData.phone must be a phone number with its country code (7 to 15 digits, e.g. +1 650 555 1212).');
    }
    out[key] = sha256(normalised);
  }
  for (const [field, key] of Object.entries(PLAIN_FIELDS)) {
    if (typeof userData[field] === 'string' && userData[field].trim()) out[key] = userData[field].trim();
  }
  return out;
}

/** @param {MetaAdsContext} ctx */
async function sendConversionEvent(ctx, input) {
  const pixelId = input.pixelId ?? ctx.settings?.pixelId;
  if (typeof pixelId !== 'string' || !new RegExp(NUMERIC_ID).test(pixelId)) throw refusal('Name the Meta pixel (dataset) to send to: pixelId, or a default pixelId in the settings.');
  const now = Math.floor(Date.now() / 1000);
  if (input.eventTime < now - MAX_EVENT_AGE_SECONDS) {
    throw refusal(`eventTime ${new Date(input.eventTime * 1000).toISOString()} is more than 7 days ago: Meta refuses such events (and the whole request with them).`);
  }
  if (input.eventTime > now + FUTURE_SKEW_SECONDS) throw refusal(`eventTime ${new Date(input.eventTime * 1000).toISOString()} is in the future: give when the event happened (Unix seconds).`);
  const actionSource = input.actionSource ?? 'website';
  if (actionSource === 'website' && (!input.eventSourceUrl || !input.userData.clientUserAgent)) {
    throw refusal('Website events need eventSourceUrl and userData.clientUserAgent (the browser’s user agent), as Meta requires.');
  }
  const custom = input.customData;
  if (custom?.value !== undefined && !custom.currency) throw refusal('customData.value needs its customData.currency.');
  if (input.eventName === 'Purchase' && (custom?.value === undefined || !custom.currency)) throw refusal('Meta requires customData.value and customData.currency on Purchase events.');
  const customData = custom
    ? Object.fromEntries(
        Object.entries({
          value: custom.value === undefined ? undefined : toMajorUnits(custom.value, custom.currency),
          currency: custom.currency?.toLowerCase(),
          order_id: custom.orderId,
          content_ids: custom.contentIds,
          content_type: custom.contentType,
          num_items: custom.numItems,
        }).filter(([, value]) => value !== undefined),
      )
    : undefined;
  const event = {
    event_name: input.eventName,
    event_time: input.eventTime,
    action_source: actionSource,
    user_data: toUserData(input.userData),
    ...(input.eventId ? { event_id: input.eventId } : {}),
    ...(input.eventSourceUrl ? { event_source_url: input.eventSourceUrl } : {}),
    ...(customData && Object.keys(customData).length ? { custom_data: customData } : {}),
  };
  const body = await graph(ctx, `/${encodeURIComponent(pixelId)}/events`, {
    method: 'POST',
    form: { data: JSON.stringify([event]), ...(input.testEventCode ? { test_event_code: input.testEventCode } : {}) },
  });
  ctx.log.info('Meta conversion event sent', { pixelId, eventName: input.eventName, eventId: input.eventId ?? null, eventsReceived: body.events_received ?? null });
  return {
    pixelId,
    eventsReceived: Number(body.events_received ?? 0),
    messages: Array.isArray(body.messages) ? body.messages.map(String) : [],
    fbtraceId: typeof body.fbtrace_id === 'string' ? body.fbtrace_id : null,
    eventId: input.eventId ?? null,
    userDataFields: Object.keys(event.user_data),
    ...(customData?.value !== undefined ? { value: customData.value, currency: custom.currency.toUpperCase() } : {}),
  };
}

// ---- insights sync ----

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const addDays = (date, days) => isoDate(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000);
const toInteger = (value) => {
  const number = Number(value ?? 0);
  return Number.isSafeInteger(number) ? number : 0;
};

/**
 * Daily account-level insights (spend, impressions, clicks) of each chosen ad account: from the day
 * after the last synced day minus a few days Meta may still revise (the first sync: the last 30 days)
 * to today, one row per account and day, paged by cursor. Spend is integer minor units of the
 * account's currency. An account Meta refuses (removed, no permission) is logged and skipped;
 * throttling and a dead token stop the sync.
 * @param {MetaAdsContext} ctx
 */
async function syncInsights(ctx, input) {
  const today = isoDate(Date.now());
  const previous = input?.highWaterMarks?.insights;
  const earliest = addDays(today, -MAX_HISTORY_DAYS);
  let since = typeof previous === 'string' && DATE.test(previous) ? addDays(previous, -LOOKBACK_DAYS) : addDays(today, -(INITIAL_DAYS - 1));
  if (since < earliest) since = earliest;
  if (since > today) since = today;
  const known = new Map((Array.isArray(ctx.integration.metadata?.adAccounts) ? ctx.integration.metadata.adAccounts : []).map((account) => [account?.id, account]));
  let ids = chosenAdAccountIds(ctx);
  if (!ids.length) {
    const { adAccounts } = await allAdAccounts(ctx);
    for (const account of adAccounts) known.set(account.id, account);
    ids = adAccounts.map((account) => account.id);
  }
  const records = [];
  let highest = typeof previous === 'string' && DATE.test(previous) ? previous : undefined;
  for (const id of ids) {
    const fallbackCurrency = typeof known.get(id)?.currency === 'string' ? known.get(id).currency : undefined;
    let after;
    try {
      for (let page = 0; page < MAX_INSIGHT_PAGES; page += 1) {
        const params = {
          level: 'account',
          time_increment: '1',
          fields: 'spend,impressions,clicks,date_start,date_stop,account_currency',
          time_range: JSON.stringify({ since, until: today }),
          limit: String(PAGE_SIZE),
          ...(after ? { after } : {}),
        };
        const body = await graph(ctx, `/${encodeURIComponent(id)}/insights?${query(params)}`);
        const data = Array.isArray(body.data) ? body.data : [];
        for (const row of data) {
          if (typeof row?.date_start !== 'string' || !DATE.test(row.date_start)) continue;
          const currency = (typeof row.account_currency === 'string' && row.account_currency) || fallbackCurrency;
          const spend = currency ? toMinorUnits(row.spend ?? '0', currency) : undefined;
          records.push({
            id: `${id}:${row.date_start}`,
            adAccountId: id,
            date: row.date_start,
            dateStop: typeof row.date_stop === 'string' ? row.date_stop : row.date_start,
            spend: spend ?? null,
            currency: currency ? currency.toUpperCase() : null,
            impressions: toInteger(row.impressions),
            clicks: toInteger(row.clicks),
          });
          if (!highest || row.date_start > highest) highest = row.date_start;
        }
        after = body.paging?.cursors?.after;
        if (!body.paging?.next || typeof after !== 'string' || !after || data.length === 0) break;
      }
    } catch (error) {
      if (error?.code !== 'provider_rejected' || error.reconnect) throw error;
      ctx.log.warn('Meta refused the insights of an ad account; skipped', { adAccountId: id, error: error.message });
    }
  }
  return { records: { insights: records }, ...(highest ? { highWaterMarks: { insights: highest } } : {}) };
}

// ---- schemas ----

const adAccountIdField = { type: 'string', pattern: AD_ACCOUNT_ID, description: 'An ad account id as Meta writes it: act_ followed by digits' };
const text = (maxLength, description) => ({ type: 'string', minLength: 1, maxLength, pattern: '\\S', description });

const userDataSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description:
    'Who did it. Plugboard normalises and SHA-256-hashes email, phone, names, city, state, zip, country and externalId as Meta requires (values already hashed, 64 hex characters, pass as they are); clientIpAddress, clientUserAgent, fbc and fbp are sent unhashed, as Meta asks.',
  properties: {
    email: { type: 'string', minLength: 3, maxLength: 254, pattern: '^\\s*[^\\s@]+@[^\\s@]+\\s*$|^[A-Fa-f0-9]{64}$', description: 'Email address' },
    phone: { type: 'string', minLength: 7, maxLength: 32, pattern: '^[0-9+()\\-. ]+$', description: 'Phone number with its country code, e.g. +1 (650) 555-1212' },
    firstName: text(100, 'First name'),
    lastName: text(100, 'Last name'),
    city: text(100, 'City'),
    state: text(64, 'State or province: the 2-letter code for US states (CA)'),
    zip: text(20, 'Zip or postal code'),
    country: { type: 'string', pattern: '^\\s*[A-Za-z]{2}\\s*$|^[A-Fa-f0-9]{64}$', description: 'ISO 3166-1 alpha-2 country code (US)' },
    externalId: text(256, 'Your own id of the person (customer id, loyalty id): hashed before sending'),
    clientIpAddress: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }], maxLength: 45, description: 'The browser’s IP address (sent unhashed)' },
    clientUserAgent: text(1024, 'The browser’s user agent (sent unhashed; required for website events)'),
    fbc: { type: 'string', maxLength: 512, pattern: '^fb\\.[0-9]\\.[0-9]{10,13}\\.\\S+$', description: 'The _fbc click id cookie value (fb.1.<ms>.<fbclid>)' },
    fbp: { type: 'string', maxLength: 128, pattern: '^fb\\.[0-9]\\.[0-9]{10,13}\\.[0-9]+$', description: 'The _fbp browser id cookie value (fb.1.<ms>.<random>)' },
  },
};

const customDataSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'The value of the event: value in the currency’s minor units (1999 = 19.99 USD) with its currency; content details',
  properties: {
    value: { type: 'integer', minimum: 0, maximum: 1_000_000_000_000, description: 'Amount in minor units of currency' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code' },
    orderId: text(128, 'The order id'),
    contentIds: { type: 'array', maxItems: 100, items: text(128, 'A product id'), description: 'Product ids' },
    contentType: { type: 'string', enum: ['product', 'product_group'] },
    numItems: { type: 'integer', minimum: 0, maximum: 100_000 },
  },
  dependencies: { value: ['currency'] },
};

const adAccountSchema = {
  type: 'object',
  required: ['id', 'accountId', 'name', 'currency', 'status'],
  properties: {
    id: { type: 'string' },
    accountId: { type: 'string' },
    name: { type: ['string', 'null'] },
    currency: { type: ['string', 'null'] },
    status: { type: 'string' },
    statusCode: { type: ['integer', 'null'] },
    selected: { type: 'boolean' },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'meta_ads',
      name: 'Meta Ads',
      category: 'marketing',
      description:
        'Meta (Facebook and Instagram) ads: the ad accounts you manage, conversion events sent to a pixel through the Conversions API with customer information hashed as Meta requires, and daily spend, impressions and clicks per ad account.',
      auth: {
        type: 'oauth2',
        authorizationUrl: `https://www.facebook.com/${GRAPH_VERSION}/dialog/oauth`,
        tokenUrl: `${GRAPH}/oauth/access_token`,
        scopes: SCOPES,
        scopeSeparator: ',',
        refresh: false,
        assumedLifetimeSeconds: LONG_LIVED_SECONDS,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          adAccountIds: {
            type: 'array',
            title: 'Ad accounts',
            description: 'The ad accounts to work with (act_<digits>; run listAdAccounts to see yours); empty: every ad account of the connected user',
            items: adAccountIdField,
            uniqueItems: true,
            maxItems: 50,
          },
          pixelId: { type: 'string', pattern: NUMERIC_ID, title: 'Default pixel', description: 'The Meta pixel (dataset) id conversion events go to when an event names none' },
        },
      },
      baseUrl: GRAPH,
      // Graph calls with a user token (/me, /me/adaccounts) fall under the Platform limit, 200 calls per user per
      // hour. Ad account reads fall under Business Use Case limits counted per ad account per hour; the smallest
      // documented one is Ads Management at development access, 300 + 40 × active ads: the budget keeps every
      // connection's insights reads under 300 an hour. The Conversions API publishes no call quota (a request
      // carries up to 1,000 events): its throttling answers still read as rate limits.
      rateLimits: [
        { requests: 200, windowMs: 3_600_000, scope: 'connection', match: ['GET /me'] },
        { requests: 300, windowMs: 3_600_000, scope: 'connection', match: ['GET /act_'] },
      ],
      errors: {
        message: (body) => graphError(body)?.message,
        classify: (body, status) => {
          const error = graphError(body);
          if (!error) return undefined;
          const code = Number(error.code);
          if (RATE_LIMIT_CODES.has(code)) return 'rate_limited';
          if (OUTAGE_CODES.has(code) || status >= 500) return 'outage';
          return 'rejected';
        },
      },

      /**
       * Who connected (GET /me) and their ad accounts (GET /me/adaccounts); the ad accounts chosen in
       * the settings must be among them. Metadata keeps the user, the accounts and the chosen ids.
       * @param {MetaAdsContext} ctx
       */
      async verify(ctx) {
        const me = await graph(ctx, `/me?${query({ fields: 'id,name' })}`);
        if (!me.id) throw refusal('Meta answered no user for this access token: connect Meta Ads again.');
        const { adAccounts, truncated } = await allAdAccounts(ctx);
        const reachable = new Set(adAccounts.map((account) => account.id));
        const wanted = Array.isArray(ctx.settings?.adAccountIds) ? ctx.settings.adAccountIds : [];
        const missing = wanted.filter((id) => !reachable.has(id));
        if (missing.length && !truncated) {
          throw refusal(
            `The Facebook user ${me.name ?? me.id} has no access to the ad account${missing.length > 1 ? 's' : ''} ${missing.join(', ')}. Their ad accounts: ${adAccounts.map((account) => account.id).join(', ') || 'none'}.`,
          );
        }
        return {
          displayName: me.name || String(me.id),
          metadata: {
            userId: String(me.id),
            name: me.name ?? null,
            adAccounts: adAccounts.map(({ id, name, currency, status }) => ({ id, name, currency, status })),
            adAccountIds: wanted.length ? [...wanted] : adAccounts.map((account) => account.id),
          },
        };
      },

      /** GET /me with the id only; notices a token of another user. @param {MetaAdsContext} ctx */
      async healthCheck(ctx) {
        const me = await graph(ctx, `/me?${query({ fields: 'id' })}`);
        const userId = ctx.integration.metadata?.userId;
        if (typeof userId === 'string' && userId && String(me.id) !== userId) throw refusal('The access token now belongs to another Facebook user: connect Meta Ads again.');
      },

      actions: {
        listAdAccounts: {
          description:
            'The ad accounts of the connected Facebook user (all pages of /me/adaccounts): id (act_…), account id, name, currency, status, and whether the connection’s settings chose it.',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          outputSchema: {
            type: 'object',
            required: ['adAccounts', 'truncated'],
            properties: { adAccounts: { type: 'array', items: adAccountSchema }, truncated: { type: 'boolean' } },
          },
          run: listAdAccounts,
        },
        sendConversionEvent: {
          description:
            'Sends one server event to a Meta pixel through the Conversions API (POST /{pixelId}/events). eventTime is Unix seconds, at most 7 days ago; customer information is normalised and SHA-256-hashed before it leaves Plugboard; customData.value is in minor units and is sent as Meta’s decimal value. Website events need eventSourceUrl and userData.clientUserAgent. eventId lets Meta deduplicate it against the browser pixel’s event.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['eventName', 'eventTime', 'userData'],
            properties: {
              pixelId: { type: 'string', pattern: NUMERIC_ID, description: 'The pixel (dataset) id; defaults to the settings’ pixelId' },
              eventName: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_][A-Za-z0-9_ .-]*$', description: 'A standard event (Purchase, Lead, AddToCart, …) or a custom event name' },
              eventTime: { type: 'integer', minimum: 1_000_000_000, maximum: 99_999_999_999, description: 'When the event happened, Unix seconds (at most 7 days ago)' },
              eventId: text(100, 'Your id of the event, the same as the pixel’s eventID, for deduplication'),
              actionSource: { type: 'string', enum: ACTION_SOURCES, default: 'website', description: 'Where the conversion happened' },
              eventSourceUrl: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048, description: 'The page the event happened on (website events)' },
              userData: userDataSchema,
              customData: customDataSchema,
              testEventCode: { type: 'string', pattern: '^TEST[A-Za-z0-9]{1,32}$', description: 'The Test Events tool code: the event shows there and is not used for ads' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['pixelId', 'eventsReceived', 'messages'],
            properties: {
              pixelId: { type: 'string' },
              eventsReceived: { type: 'integer' },
              messages: { type: 'array', items: { type: 'string' } },
              fbtraceId: { type: ['string', 'null'] },
              eventId: { type: ['string', 'null'] },
              userDataFields: { type: 'array', items: { type: 'string' } },
              value: { type: 'number' },
              currency: { type: 'string' },
            },
          },
          run: sendConversionEvent,
        },
      },

      sync: {
        defaultFrequency: '6h',
        run: syncInsights,
      },
    },
  ],
});
