// PayPal provider for Plugboard, written against the PayPal REST APIs (https://developer.paypal.com/api/rest/): OAuth 2.0 client credentials, Orders v2, Payments v2 (refunds), Payouts v1 (https://developer.paypal.com/api/payments.payouts-batch/v1/, batch payouts and their item webhooks) and Webhooks v1 (verify-webhook-signature).
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {'sandbox' | 'live'} PayPalEnvironment
 * @typedef {{ clientId: string, clientSecret: string }} PayPalCredentials
 * @typedef {{ webhookId?: string, brandName?: string }} PayPalSettings
 * @typedef {import('plugboard/sdk').PluginContext<PayPalCredentials, PayPalSettings>} PayPalContext
 * @typedef {{ currency_code: string, value: string }} Money
 */

/**
 * The API host of each environment. The connection input `environment` picks one; `verify` stores it
 * as the metadata key `apiHost`, which fills `{apiHost}` in the base URL and the token URL. It is only
 * ever one of these two values, never text a user typed.
 */
const API_HOSTS = { sandbox: 'api-m.sandbox.paypal.com', live: 'api-m.paypal.com' };

/**
 * The currencies PayPal's REST APIs accept (https://developer.paypal.com/api/rest/reference/currency-codes/),
 * with their ISO 4217 minor-unit exponent (what Plugboard's integer amounts count) and the decimals
 * PayPal takes. HUF and TWD have cents in ISO 4217 but PayPal refuses decimals for them, as for JPY.
 * RUB, on older versions of that list, is left out: PayPal suspended its services in Russia in 2022.
 */
const PAYPAL_CURRENCIES = {
  ...Object.fromEntries(
    ['AUD', 'BRL', 'CAD', 'CHF', 'CNY', 'CZK', 'DKK', 'EUR', 'GBP', 'HKD', 'ILS', 'MXN', 'MYR', 'NOK', 'NZD', 'PHP', 'PLN', 'SEK', 'SGD', 'THB', 'USD'].map(
      (code) => [code, { iso: 2, paypal: 2 }],
    ),
  ),
  JPY: { iso: 0, paypal: 0 },
  HUF: { iso: 2, paypal: 0 },
  TWD: { iso: 2, paypal: 0 },
};
/** ISO 4217 currencies with three decimals: PayPal supports none of them. */
const THREE_DECIMAL_CURRENCIES = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

const WEBHOOK_EVENT = 'PAYMENT.CAPTURE.COMPLETED';
/**
 * The payout item events PayPal sends (https://developer.paypal.com/docs/payouts/standard/reference/webhooks/)
 * that end an item, and the built-in event each becomes. HELD and UNCLAIMED are not ends (an unclaimed
 * item is RETURNED after 30 days, or CANCELED by the sender) and the PAYOUTSBATCH events carry no items:
 * those are acknowledged and dropped.
 */
const PAYOUT_ITEM_EVENTS = {
  'PAYMENT.PAYOUTS-ITEM.SUCCEEDED': 'payout.paid',
  'PAYMENT.PAYOUTS-ITEM.FAILED': 'payout.failed',
  'PAYMENT.PAYOUTS-ITEM.RETURNED': 'payout.failed',
  'PAYMENT.PAYOUTS-ITEM.BLOCKED': 'payout.failed',
  'PAYMENT.PAYOUTS-ITEM.DENIED': 'payout.failed',
  'PAYMENT.PAYOUTS-ITEM.REFUNDED': 'payout.failed',
  'PAYMENT.PAYOUTS-ITEM.CANCELED': 'payout.failed',
};
/** What each ending means when PayPal attaches no `errors` to the item. */
const PAYOUT_ITEM_ENDINGS = {
  'PAYMENT.PAYOUTS-ITEM.FAILED': 'the payout item failed',
  'PAYMENT.PAYOUTS-ITEM.RETURNED': 'the payout item was returned to the sender (unclaimed for 30 days, or cancelled)',
  'PAYMENT.PAYOUTS-ITEM.BLOCKED': 'the payout item was blocked',
  'PAYMENT.PAYOUTS-ITEM.DENIED': 'the payout item was denied',
  'PAYMENT.PAYOUTS-ITEM.REFUNDED': 'the recipient refunded the payout item',
  'PAYMENT.PAYOUTS-ITEM.CANCELED': 'the sender cancelled the unclaimed payout item',
};
/** PayPal's limit of items in one batch payout (create_payout_request.items maxItems). */
const MAX_PAYOUT_ITEMS = 15_000;
/** The headers PayPal sends with every webhook delivery, and the verify-webhook-signature field each fills. */
const TRANSMISSION_HEADERS = {
  auth_algo: 'paypal-auth-algo',
  cert_url: 'paypal-cert-url',
  transmission_id: 'paypal-transmission-id',
  transmission_sig: 'paypal-transmission-sig',
  transmission_time: 'paypal-transmission-time',
};

/**
 * PayPal's error bodies: REST errors `{ name, message, debug_id, details: [{ field, issue, description }] }`,
 * and the OAuth endpoints' `{ error, error_description }`. A refusal reads as its issues first (what to
 * fix), then the error name and PayPal's debug_id (what PayPal support asks for).
 */
function paypalMessage(body) {
  if (!body || typeof body !== 'object') return undefined;
  if (typeof body.error === 'string') return body.error_description ? `${body.error_description} (${body.error})` : body.error;
  const details = Array.isArray(body.details)
    ? body.details
        .map((detail) => {
          const where = detail?.field ? ` at ${detail.field}${detail.value !== undefined ? ` = ${JSON.stringify(detail.value)}` : ''}` : '';
          const text = `${detail?.issue ?? 'ERROR'}${where}`;
          return detail?.description ? `${text}: ${detail.description}` : text;
        })
        .join('; ')
    : '';
  const debug = typeof body.debug_id === 'string' && body.debug_id ? `debug_id ${body.debug_id}` : '';
  if (details) return `${details} (${[body.name, debug].filter(Boolean).join(', ')})`;
  const headline = [body.name, body.message].filter((part) => typeof part === 'string' && part).join(': ');
  if (!headline) return undefined;
  return debug ? `${headline} (${debug})` : headline;
}

const errors = { message: paypalMessage };

/** @param {PayPalContext} ctx */
function environmentOf(ctx) {
  const environment = ctx.integration.metadata?.environment;
  if (!Object.hasOwn(API_HOSTS, environment)) {
    throw new ProviderRejectedError('No PayPal environment: choose sandbox or live for this connection and connect again.');
  }
  return /** @type {PayPalEnvironment} */ (environment);
}

/**
 * Calls the REST API under the connection's host: the host obtains and caches the client-credentials
 * token (`auth.token`) and sends it as a bearer token.
 * @param {PayPalContext} ctx
 */
async function paypal(ctx, path, init = {}) {
  return readJson(await paypalResponse(ctx, path, init), ctx, errors);
}

/**
 * The same call, answering the response itself: for the callers that read a particular refusal
 * (a duplicate sender_batch_id, an unknown payout batch) before the usual error handling.
 * @param {PayPalContext} ctx
 */
async function paypalResponse(ctx, path, init = {}) {
  if (ctx.integration.metadata?.apiHost !== API_HOSTS[environmentOf(ctx)]) {
    throw new ProviderRejectedError('This PayPal connection has not been verified for its environment: connect it again.');
  }
  return ctx.http(path, init);
}

/** The body of a response read as JSON, or undefined when it is not JSON. */
async function bodyOf(response) {
  try {
    return JSON.parse(await response.text());
  } catch {
    return undefined;
  }
}

/** PayPal-Request-Id: the caller's key when it gave one (so a retried call is answered with the first result), else a fresh one. */
function requestId(input) {
  return input.idempotencyKey ?? randomUUID();
}

/** @param {string} currency */
function unsupportedCurrency(currency) {
  const why = THREE_DECIMAL_CURRENCIES.has(currency) ? ` (PayPal supports no three-decimal currency)` : '';
  return new ProviderRejectedError(`PayPal does not accept ${currency}${why}. Supported currencies: ${Object.keys(PAYPAL_CURRENCIES).sort().join(', ')}.`);
}

/**
 * An amount in the currency's ISO minor unit as PayPal's decimal string: 1999 USD → "19.99",
 * 500 JPY → "500", 150000 HUF (fillér) → "1500". Refuses currencies PayPal does not take, and HUF/TWD
 * amounts with a fraction PayPal cannot express.
 * @param {number} minor
 * @param {string} code
 * @returns {Money}
 */
function toPayPalMoney(minor, code) {
  const currency = code.toUpperCase();
  const spec = PAYPAL_CURRENCIES[currency];
  if (!spec) throw unsupportedCurrency(currency);
  const factor = 10 ** (spec.iso - spec.paypal);
  if (minor % factor !== 0) {
    throw new ProviderRejectedError(
      `PayPal takes ${currency} amounts without decimals: ${minor} (in 1/${10 ** spec.iso} ${currency}) is not a whole ${currency}; use a multiple of ${factor}.`,
    );
  }
  const units = String(minor / factor).padStart(spec.paypal + 1, '0');
  const value = spec.paypal === 0 ? units : `${units.slice(0, -spec.paypal)}.${units.slice(-spec.paypal)}`;
  return { currency_code: currency, value };
}

/**
 * PayPal's `{ currency_code, value }` back in the currency's ISO minor unit ("19.99" USD → 1999,
 * "1500" or "1500.00" HUF → 150000); undefined when it is not a plain amount.
 * @param {Money | undefined} money
 */
function fromPayPalMoney(money) {
  const currency = typeof money?.currency_code === 'string' ? money.currency_code.toUpperCase() : undefined;
  const match = typeof money?.value === 'string' ? /^(\d+)(?:\.(\d+))?$/.exec(money.value) : null;
  if (!currency || !match) return undefined;
  const exponent = PAYPAL_CURRENCIES[currency]?.iso ?? (THREE_DECIMAL_CURRENCIES.has(currency) ? 3 : 2);
  const fraction = match[2] ?? '';
  if (fraction.length > exponent && !/^0*$/.test(fraction.slice(exponent))) return undefined;
  const minor = Number(match[1]) * 10 ** exponent + Number(fraction.slice(0, exponent).padEnd(exponent, '0') || '0');
  return Number.isSafeInteger(minor) ? { amount: minor, currency } : undefined;
}

/**
 * Plugboard's minor units as the Payouts API's amount, which names its fields `{ value, currency }`
 * (Orders' is `{ currency_code, value }`): the same conversion by the currency's exponent.
 * @param {number} minor
 * @param {string} code
 * @param {string} where which item, for the refusal
 */
function toPayoutAmount(minor, code, where) {
  try {
    const money = toPayPalMoney(minor, code);
    return { value: money.value, currency: money.currency_code };
  } catch (error) {
    if (error?.code === 'provider_rejected') throw new ProviderRejectedError(`${where}: ${error.message}`);
    throw error;
  }
}

/** A Payouts `{ value, currency }` back in the currency's minor unit; undefined when it is not a plain amount. */
const fromPayoutAmount = (money) => fromPayPalMoney(money && typeof money === 'object' ? { currency_code: money.currency, value: money.value } : undefined);

/** A payout item's `errors` (`{ name, message }`) as one line, e.g. "RECEIVER_UNREGISTERED: The recipient … does not have an account." */
function payoutFailure(errors) {
  if (!errors || typeof errors !== 'object') return undefined;
  const text = [errors.name, errors.message].filter((part) => typeof part === 'string' && part).join(': ');
  return text ? text.slice(0, 2000) : undefined;
}

/** One item of a payout batch as getPayout answers it: statuses as PayPal names them, amounts in minor units. */
function payoutItemOf(item) {
  const detail = item?.payout_item ?? {};
  const money = fromPayoutAmount(detail.amount);
  const fee = fromPayoutAmount(item?.payout_item_fee);
  return {
    payoutItemId: item?.payout_item_id ?? null,
    transactionId: item?.transaction_id ?? null,
    status: item?.transaction_status ?? null,
    recipientType: detail.recipient_type ?? null,
    receiver: detail.receiver ?? null,
    amount: money?.amount ?? null,
    currency: money?.currency ?? null,
    fee: fee?.amount ?? null,
    feeCurrency: fee?.currency ?? null,
    senderItemId: detail.sender_item_id ?? null,
    failureReason: payoutFailure(item?.errors) ?? null,
    processedAt: item?.time_processed ?? null,
  };
}

/**
 * A PAYMENT.PAYOUTS-ITEM.* event as payout.paid or payout.failed: the payout item ID is the payoutId (one
 * event per recipient), the amount is what was sent, back in the minor unit. Optional fields of the
 * built-in schema are left out rather than null when PayPal does not give them.
 */
function payoutEvents(ctx, event) {
  const name = PAYOUT_ITEM_EVENTS[event.event_type];
  const item = event.resource;
  const detail = item?.payout_item;
  if (typeof item?.payout_item_id !== 'string' || !item.payout_item_id || item.payout_item_id.length > 200) return [];
  const status = typeof item.transaction_status === 'string' ? item.transaction_status : null;
  if (name === 'payout.paid' && status !== null && status !== 'SUCCESS') return [];
  const money = fromPayoutAmount(detail?.amount);
  if (!money) {
    ctx.log.warn('a PayPal payout item with an amount that cannot be read was dropped', { eventId: event.id, payoutItemId: item.payout_item_id });
    return [];
  }
  const receiver = typeof detail.receiver === 'string' && detail.receiver ? detail.receiver.slice(0, 200) : undefined;
  const processedAt = typeof item.time_processed === 'string' && item.time_processed.length <= 40 ? item.time_processed : undefined;
  const data = {
    payoutId: item.payout_item_id,
    provider: 'paypal',
    amount: money.amount,
    currency: money.currency,
    ...(receiver ? { recipient: receiver } : {}),
    recipientType: detail.recipient_type ?? null,
    payoutBatchId: item.payout_batch_id ?? null,
    batchId: item.sender_batch_id ?? null,
    senderItemId: detail.sender_item_id ?? null,
    transactionId: item.transaction_id ?? null,
    status,
    paypalEventId: event.id ?? null,
  };
  if (name === 'payout.paid') return [{ event: name, data: { ...data, ...(processedAt ? { arrivalDate: processedAt } : {}) } }];
  const failureReason = payoutFailure(item.errors) ?? `${PAYOUT_ITEM_ENDINGS[event.event_type]}${status ? ` (transaction_status ${status})` : ''}`;
  return [{ event: name, data: { ...data, failureReason, failedAt: processedAt ?? event.create_time ?? null } }];
}

const linkOf = (resource, ...rels) => (Array.isArray(resource?.links) ? resource.links.find((link) => rels.includes(link?.rel))?.href : undefined);

/**
 * Obtains a token from the entered client ID and secret the way the host does for every later call
 * (client credentials, HTTP Basic), but here in the open: `verify` runs before the connection has its
 * `apiHost`, and the token answer names the REST app (`app_id`).
 * @param {PayPalContext} ctx
 * @param {PayPalEnvironment} environment
 */
async function obtainToken(ctx, environment) {
  const { clientId, clientSecret } = ctx.credentials;
  const basic = Buffer.from(`${encodeURIComponent(clientId ?? '')}:${encodeURIComponent(clientSecret ?? '')}`).toString('base64');
  const response = await ctx.http(`https://${API_HOSTS[environment]}/v1/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  try {
    const token = await readJson(response, ctx, errors);
    if (typeof token?.access_token !== 'string' || !token.access_token) throw new Error('PayPal answered the token request without a token');
    return token;
  } catch (error) {
    if (response.status === 401 && error?.code === 'provider_rejected') {
      throw new ProviderRejectedError(`PayPal (${environment}) refused the client ID and secret: ${error.message}. Use the credentials of a REST app of the ${environment} environment.`);
    }
    throw error;
  }
}

/**
 * The configured webhook, read with the app's token: it must belong to this REST app, since PayPal
 * verifies deliveries against the webhook ID.
 * @param {PayPalContext} ctx
 */
async function readWebhook(ctx, environment, accessToken, webhookId) {
  const response = await ctx.http(`https://${API_HOSTS[environment]}/v1/notifications/webhooks/${encodeURIComponent(webhookId)}`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  });
  try {
    return await readJson(response, ctx, errors);
  } catch (error) {
    if (response.status === 404 && error?.code === 'provider_rejected') {
      throw new ProviderRejectedError(`This PayPal app has no webhook ${webhookId} (${error.message}): copy the Webhook ID from the app's settings in the PayPal developer dashboard.`);
    }
    throw error;
  }
}

function header(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(',') : value;
  return undefined;
}

function eventOf(req) {
  if (req.body && typeof req.body === 'object' && !Array.isArray(req.body)) return req.body;
  try {
    const parsed = JSON.parse(req.rawBody);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET a payout batch (one page of its items, with the totals): an unknown ID is refused naming it.
 * @param {PayPalContext} ctx
 * @param {string} id
 * @param {{ page: number, pageSize: number }} paging
 */
async function readPayoutBatch(ctx, id, { page, pageSize }) {
  const query = new URLSearchParams({ page: String(page), page_size: String(pageSize), total_required: 'true' });
  const response = await paypalResponse(ctx, `/v1/payments/payouts/${encodeURIComponent(id)}?${query}`);
  try {
    return await readJson(response, ctx, errors);
  } catch (error) {
    if (response.status === 404 && error?.code === 'provider_rejected') {
      throw new ProviderRejectedError(`PayPal has no payout batch ${id} for this app (${error.message}): use the payoutBatchId createPayout returned, in the same environment.`);
    }
    throw error;
  }
}

/**
 * PayPal refused a sender_batch_id it already has (from the last 30 days) and linked the batch made
 * with it: that is a repeated createPayout, answered with the batch already made. When that batch is
 * visibly another payout (its item count or total differs), the batchId was reused by mistake: refused.
 * @param {PayPalContext} ctx
 */
async function adoptPayout(ctx, senderBatchId, duplicate, inputItems) {
  const links = [duplicate.link, duplicate.links].find(Array.isArray) ?? [];
  const href = links.map((link) => link?.href).find((candidate) => typeof candidate === 'string');
  const id = href ? /\/v1\/payments\/payouts\/([A-Z0-9]{1,30})(?:[?#]|$)/.exec(href)?.[1] : undefined;
  if (!id) {
    throw new ProviderRejectedError(
      `PayPal already has a payout with sender_batch_id ${senderBatchId} (from the last 30 days) and did not say which: it was not paid again. Use a new batchId only for a new payout.`,
    );
  }
  const batch = await readPayoutBatch(ctx, id, { page: 1, pageSize: 1 });
  const header = batch?.batch_header ?? {};
  const total = fromPayoutAmount(header.amount);
  const currencies = [...new Set(inputItems.map((item) => item.currency.toUpperCase()))];
  const sum = inputItems.reduce((acc, item) => acc + item.amount, 0);
  const count = Number.isInteger(batch?.total_items) ? batch.total_items : undefined;
  const other = (count !== undefined && count !== inputItems.length) || (total && currencies.length === 1 && (total.currency !== currencies[0] || total.amount !== sum));
  if (other) {
    throw new ProviderRejectedError(
      `batchId ${senderBatchId} was already used in the last 30 days for another payout (PayPal batch ${id}: ${count ?? 'unknown'} items${total ? `, ${total.amount} ${total.currency} in minor units` : ''}): nothing was paid. Use a new batchId for a new payout.`,
    );
  }
  return {
    payoutBatchId: header.payout_batch_id ?? id,
    batchStatus: header.batch_status ?? null,
    batchId: senderBatchId,
    itemCount: count ?? inputItems.length,
    replayed: true,
    createdAt: header.time_created ?? null,
  };
}

const orderId = { type: 'string', pattern: '^[A-Z0-9]{1,36}$', description: 'A PayPal order ID (as createOrder returned it)' };
const idempotencyKey = {
  type: 'string',
  minLength: 1,
  maxLength: 108,
  description: 'Sent as PayPal-Request-Id: repeating a call with the same key within PayPal’s window answers with the first result instead of acting twice',
};
const minorAmount = { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991, description: 'In the currency’s minor unit (e.g. cents; yen for JPY)' };
const currency = { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. USD' };
const payoutBatchId = { type: 'string', pattern: '^[A-Z0-9]{1,30}$', description: 'PayPal’s payout_batch_id (as createPayout returned it)' };
const batchId = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$',
  description:
    'Your ID for this payout (e.g. "payroll-2026-03"): sent as PayPal’s sender_batch_id (shown in PayPal’s reports) and, prefixed, as PayPal-Request-Id. PayPal refuses a sender_batch_id used in the last 30 days, so repeating createPayout with the same batchId answers the batch already made instead of paying twice. Omitted: one is generated and returned.',
};
/** PayPal's recipient types and what each receiver looks like: an email, a phone number, or a 13-character PayPal account (payer) ID. */
const PHONE_RECEIVER = '^\\+?[0-9](?:[ -]?[0-9]){6,14}$';
const PAYPAL_ID_RECEIVER = '^[A-Z0-9]{13}$';
const payoutItem = {
  type: 'object',
  additionalProperties: false,
  required: ['receiver', 'amount', 'currency'],
  properties: {
    receiver: {
      type: 'string',
      minLength: 3,
      maxLength: 127,
      description: 'Who is paid: a PayPal email address, or with recipientType a phone number (PHONE) or a PayPal account ID (PAYPAL_ID)',
    },
    recipientType: {
      type: 'string',
      enum: ['EMAIL', 'PHONE', 'PAYPAL_ID'],
      description: 'What receiver is (default EMAIL). PayPal’s sandbox does not pay PHONE recipients.',
    },
    amount: minorAmount,
    currency,
    note: { type: 'string', minLength: 1, maxLength: 1000, description: 'Shown to the recipient with the payment' },
    senderItemId: { type: 'string', minLength: 1, maxLength: 63, description: 'Your reference for this item (PayPal’s sender_item_id), returned by getPayout and in payout events' },
  },
  allOf: [
    {
      if: { anyOf: [{ not: { required: ['recipientType'] } }, { required: ['recipientType'], properties: { recipientType: { const: 'EMAIL' } } }] },
      then: { properties: { receiver: { format: 'email' } } },
    },
    { if: { required: ['recipientType'], properties: { recipientType: { const: 'PHONE' } } }, then: { properties: { receiver: { pattern: PHONE_RECEIVER } } } },
    { if: { required: ['recipientType'], properties: { recipientType: { const: 'PAYPAL_ID' } } }, then: { properties: { receiver: { pattern: PAYPAL_ID_RECEIVER } } } },
  ],
};

export default definePlugin({
  providers: [
    {
      id: 'paypal',
      name: 'PayPal',
      category: 'payment',
      description:
        'Take payments for paid sessions with PayPal Checkout (create, approve, capture), issue refunds, send batch payouts to PayPal accounts, and receive completed payments and payout results from PayPal webhooks.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['clientId', 'clientSecret'],
          additionalProperties: false,
          properties: {
            clientId: {
              type: 'string',
              title: 'Client ID',
              description: 'The Client ID of a REST API app (PayPal developer dashboard → Apps & Credentials), of the environment chosen for this connection',
              pattern: '^[A-Za-z0-9_-]{16,128}$',
              secret: true,
            },
            clientSecret: {
              type: 'string',
              title: 'Client secret',
              description: 'The secret shown with that Client ID',
              pattern: '^[A-Za-z0-9_-]{16,128}$',
              secret: true,
            },
          },
        },
        // OAuth 2.0 client credentials with HTTP Basic client authentication; tokens last hours and are reused until shortly before they expire.
        token: { grant: 'client_credentials', url: 'https://{apiHost}/v1/oauth2/token' },
      },
      connectionInputs: {
        type: 'object',
        required: ['environment'],
        additionalProperties: false,
        properties: {
          environment: {
            type: 'string',
            enum: ['sandbox', 'live'],
            title: 'Environment',
            description: 'Sandbox (api-m.sandbox.paypal.com, test money) or live (api-m.paypal.com, real payments); the client ID and secret must be of the same environment',
          },
        },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          webhookId: {
            type: 'string',
            pattern: '^[A-Za-z0-9]{1,50}$',
            title: 'Webhook ID',
            description:
              'The ID PayPal gives the app’s webhook that posts to this integration’s hook URL (subscribe it to Payment capture completed, and to the Payouts item events when sending payouts); needed to verify deliveries',
          },
          brandName: { type: 'string', minLength: 1, maxLength: 127, title: 'Brand name', description: 'Shown to payers on PayPal instead of the business name of the account' },
        },
      },
      baseUrl: 'https://{apiHost}',
      errors,
      // PayPal publishes no fixed limits: it answers 429 RATE_LIMIT_REACHED to traffic it finds abusive and
      // asks integrations to reuse tokens and not poll (https://developer.paypal.com/api/rest/reference/rate-limiting/).
      // This is a conservative budget of our own, shared by every connection of the same REST app.
      rateLimits: [{ requests: 20, windowMs: 1_000, scope: 'account', accountKey: 'appId' }],

      /**
       * Obtains a token for the chosen environment (the client ID and secret are checked there), names the
       * REST app from the token answer, and checks the configured webhook belongs to that app.
       * @param {PayPalContext} ctx
       */
      async verify(ctx) {
        const environment = environmentOf(ctx);
        const token = await obtainToken(ctx, environment);
        const appId = typeof token.app_id === 'string' ? token.app_id : null;
        const webhookId = ctx.settings?.webhookId;
        const webhook = webhookId ? await readWebhook(ctx, environment, token.access_token, webhookId) : undefined;
        const eventTypes = Array.isArray(webhook?.event_types) ? webhook.event_types.map((type) => type?.name) : [];
        const receives = (name) => eventTypes.includes(name) || eventTypes.includes('*');
        if (webhook) {
          // Payout results only matter to connections that send payouts: a webhook with none of the item
          // events is told at info level, one with some but not all of them (surely a slip) is warned.
          const payoutEvents = Object.keys(PAYOUT_ITEM_EVENTS);
          const missing = payoutEvents.filter((name) => !receives(name));
          if (missing.length === payoutEvents.length) {
            ctx.log.info('the PayPal webhook is subscribed to no payout item event: results of createPayout will not arrive as payout.paid / payout.failed', {
              webhookId,
            });
          } else if (missing.length) {
            ctx.log.warn(`the PayPal webhook is not subscribed to ${missing.join(', ')}: those payout results will not arrive`, { webhookId });
          }
        }
        if (webhook && !receives(WEBHOOK_EVENT)) {
          ctx.log.warn(`the PayPal webhook is not subscribed to ${WEBHOOK_EVENT}: completed payments will not arrive`, { webhookId });
        }
        return {
          displayName: `PayPal ${environment}${appId ? ` (${appId})` : ''}`,
          metadata: {
            apiHost: API_HOSTS[environment],
            appId,
            webhookId: webhook?.id ?? null,
            webhookUrl: webhook?.url ?? null,
            webhookReceivesCaptures: webhook ? receives(WEBHOOK_EVENT) : null,
          },
        };
      },

      /** The app's webhooks: a small authenticated read (after the host obtained or reused the token). */
      healthCheck: { request: { path: '/v1/notifications/webhooks' } },

      actions: {
        createOrder: {
          description:
            'Creates a PayPal order to capture (intent CAPTURE) for one paid item, e.g. a session ticket. Send the payer to approvalUrl; PayPal brings them back to returnUrl, then call captureOrder.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['amount', 'currency', 'description', 'returnUrl', 'cancelUrl'],
            properties: {
              amount: minorAmount,
              currency,
              description: { type: 'string', minLength: 1, maxLength: 127, description: 'What is bought, shown to the payer' },
              returnUrl: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'Where PayPal sends the payer after approving' },
              cancelUrl: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'Where PayPal sends the payer after cancelling' },
              referenceId: {
                type: 'string',
                minLength: 1,
                maxLength: 127,
                description: 'Your reference (e.g. a registration id): PayPal’s custom_id, returned by captureOrder and in payment.completed',
              },
              invoiceId: { type: 'string', minLength: 1, maxLength: 127, description: 'Your invoice number, shown to the payer; PayPal refuses one used before' },
              idempotencyKey,
            },
          },
          /** @param {PayPalContext} ctx */
          async run(ctx, input) {
            const amount = toPayPalMoney(input.amount, input.currency);
            const brandName = ctx.settings?.brandName;
            const order = await paypal(ctx, '/v2/checkout/orders', {
              method: 'POST',
              headers: { 'PayPal-Request-Id': requestId(input) },
              body: {
                intent: 'CAPTURE',
                purchase_units: [
                  {
                    amount,
                    description: input.description,
                    ...(input.referenceId ? { custom_id: input.referenceId } : {}),
                    ...(input.invoiceId ? { invoice_id: input.invoiceId } : {}),
                  },
                ],
                payment_source: {
                  paypal: {
                    experience_context: {
                      return_url: input.returnUrl,
                      cancel_url: input.cancelUrl,
                      user_action: 'PAY_NOW',
                      shipping_preference: 'NO_SHIPPING',
                      ...(brandName ? { brand_name: brandName } : {}),
                    },
                  },
                },
              },
            });
            const approvalUrl = linkOf(order, 'payer-action', 'approve');
            if (typeof order?.id !== 'string' || !approvalUrl) throw new Error('PayPal created the order without an id or approval link');
            return { orderId: order.id, status: order.status, approvalUrl, amount: input.amount, currency: amount.currency_code, value: amount.value };
          },
        },
        captureOrder: {
          description:
            'Captures the payment of an order the payer approved. Answers the capture (completed is false while PayPal holds it PENDING or when it was DECLINED).',
          inputSchema: { type: 'object', additionalProperties: false, required: ['orderId'], properties: { orderId, idempotencyKey } },
          /** @param {PayPalContext} ctx */
          async run(ctx, input) {
            const order = await paypal(ctx, `/v2/checkout/orders/${encodeURIComponent(input.orderId)}/capture`, {
              method: 'POST',
              headers: { 'PayPal-Request-Id': requestId(input), Prefer: 'return=representation' },
              body: {},
            });
            const unit = order?.purchase_units?.[0];
            const capture = unit?.payments?.captures?.[0];
            if (!capture?.id) throw new Error('PayPal answered the capture without a capture');
            const money = fromPayPalMoney(capture.amount);
            const payer = order.payment_source?.paypal ?? {};
            return {
              orderId: order.id,
              status: order.status,
              captureId: capture.id,
              captureStatus: capture.status,
              completed: capture.status === 'COMPLETED',
              amount: money?.amount ?? null,
              currency: money?.currency ?? null,
              referenceId: capture.custom_id ?? unit.custom_id ?? null,
              invoiceId: capture.invoice_id ?? unit.invoice_id ?? null,
              payerEmail: payer.email_address ?? order.payer?.email_address ?? null,
              payerId: payer.account_id ?? order.payer?.payer_id ?? null,
            };
          },
        },
        refundCapture: {
          description: 'Refunds a captured payment: all of what remains, or amount (minor unit, with its currency, which must be the capture’s).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['captureId'],
            dependencies: { amount: ['currency'], currency: ['amount'] },
            properties: {
              captureId: { type: 'string', pattern: '^[A-Z0-9]{1,36}$', description: 'The capture ID (captureOrder’s captureId, or payment.completed’s paymentId)' },
              amount: minorAmount,
              currency,
              noteToPayer: { type: 'string', minLength: 1, maxLength: 255, description: 'The reason, shown to the payer' },
              invoiceId: { type: 'string', minLength: 1, maxLength: 127 },
              idempotencyKey,
            },
          },
          /** @param {PayPalContext} ctx */
          async run(ctx, input) {
            const amount = input.amount === undefined ? undefined : toPayPalMoney(input.amount, input.currency);
            const refund = await paypal(ctx, `/v2/payments/captures/${encodeURIComponent(input.captureId)}/refund`, {
              method: 'POST',
              headers: { 'PayPal-Request-Id': requestId(input), Prefer: 'return=representation' },
              body: {
                ...(amount ? { amount } : {}),
                ...(input.noteToPayer ? { note_to_payer: input.noteToPayer } : {}),
                ...(input.invoiceId ? { invoice_id: input.invoiceId } : {}),
              },
            });
            if (typeof refund?.id !== 'string') throw new Error('PayPal answered the refund without an id');
            const money = fromPayPalMoney(refund.amount);
            return {
              refundId: refund.id,
              status: refund.status,
              captureId: input.captureId,
              amount: money?.amount ?? input.amount ?? null,
              currency: money?.currency ?? amount?.currency_code ?? null,
            };
          },
        },
        createPayout: {
          description:
            'Sends money to up to 15,000 recipients in one PayPal batch payout (Payouts API: the account must have Payouts enabled). PayPal checks the batch and answers PENDING; each item then ends on its own (see getPayout, and payout.paid / payout.failed from the webhook). Repeating a call with the same batchId never pays twice.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                minItems: 1,
                maxItems: MAX_PAYOUT_ITEMS,
                items: payoutItem,
                description: 'One per recipient; amounts in the currency’s minor unit',
              },
              batchId,
              emailSubject: { type: 'string', minLength: 1, maxLength: 255, description: 'Subject of the email PayPal sends every recipient' },
              emailMessage: { type: 'string', minLength: 1, maxLength: 1000, description: 'Message of that email' },
            },
          },
          /** @param {PayPalContext} ctx */
          async run(ctx, input) {
            const senderBatchId = input.batchId ?? `plugboard-${randomUUID()}`;
            const items = input.items.map((item, index) => ({
              recipient_type: item.recipientType ?? 'EMAIL',
              amount: toPayoutAmount(item.amount, item.currency, `items[${index}]`),
              receiver: item.receiver,
              ...(item.note ? { note: item.note } : {}),
              ...(item.senderItemId ? { sender_item_id: item.senderItemId } : {}),
            }));
            const response = await paypalResponse(ctx, '/v1/payments/payouts', {
              method: 'POST',
              headers: { 'PayPal-Request-Id': `payout-${senderBatchId}` },
              body: {
                sender_batch_header: {
                  sender_batch_id: senderBatchId,
                  ...(input.emailSubject ? { email_subject: input.emailSubject } : {}),
                  ...(input.emailMessage ? { email_message: input.emailMessage } : {}),
                },
                items,
              },
            });
            if (response.status === 400) {
              const refusal = await bodyOf(response.clone());
              const duplicate = Array.isArray(refusal?.details)
                ? refusal.details.find((detail) => String(detail?.field ?? '').toUpperCase() === 'SENDER_BATCH_ID' && /already exists/i.test(String(detail?.issue ?? '')))
                : undefined;
              if (refusal?.name === 'USER_BUSINESS_ERROR' && duplicate) return adoptPayout(ctx, senderBatchId, duplicate, input.items);
            }
            let created;
            try {
              created = await readJson(response, ctx, errors);
            } catch (error) {
              if (response.status === 403 && error?.code === 'provider_rejected') {
                throw new ProviderRejectedError(
                  `${error.message}. PayPal refuses payouts from this account or app: Payouts must be enabled for the business account and the REST app (developer dashboard → the app → Features → Payouts), and the account verified.`,
                );
              }
              throw error;
            }
            const header = created?.batch_header;
            if (typeof header?.payout_batch_id !== 'string') throw new Error('PayPal answered the payout without a payout_batch_id');
            return {
              payoutBatchId: header.payout_batch_id,
              batchStatus: header.batch_status ?? null,
              batchId: header.sender_batch_header?.sender_batch_id ?? senderBatchId,
              itemCount: items.length,
              replayed: false,
              createdAt: header.time_created ?? null,
            };
          },
        },
        getPayout: {
          description:
            'Reads a batch payout: its status (PENDING, PROCESSING, SUCCESS, DENIED, CANCELED) and a page of its items with their transaction status (SUCCESS, PENDING, UNCLAIMED, ONHOLD, FAILED, RETURNED, BLOCKED, REFUNDED, REVERSED), amounts and fees in minor units, and why an item failed.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['payoutBatchId'],
            properties: {
              payoutBatchId,
              page: { type: 'integer', minimum: 1, maximum: 1000, description: 'Page of items (default 1)' },
              pageSize: { type: 'integer', minimum: 1, maximum: 1000, description: 'Items per page (default 1000, PayPal’s maximum)' },
            },
          },
          /** @param {PayPalContext} ctx */
          async run(ctx, input) {
            const page = input.page ?? 1;
            const pageSize = input.pageSize ?? 1000;
            const batch = await readPayoutBatch(ctx, input.payoutBatchId, { page, pageSize });
            const header = batch?.batch_header ?? {};
            const total = fromPayoutAmount(header.amount);
            const fees = fromPayoutAmount(header.fees);
            const items = Array.isArray(batch?.items) ? batch.items.map(payoutItemOf) : [];
            const totalPages = Number.isInteger(batch?.total_pages) ? batch.total_pages : null;
            return {
              payoutBatchId: header.payout_batch_id ?? input.payoutBatchId,
              batchStatus: header.batch_status ?? null,
              batchId: header.sender_batch_header?.sender_batch_id ?? null,
              emailSubject: header.sender_batch_header?.email_subject ?? null,
              amount: total?.amount ?? null,
              currency: total?.currency ?? null,
              fees: fees?.amount ?? null,
              feesCurrency: fees?.currency ?? null,
              createdAt: header.time_created ?? null,
              completedAt: header.time_completed ?? null,
              totalItems: Number.isInteger(batch?.total_items) ? batch.total_items : null,
              page,
              nextPage: totalPages !== null ? (page < totalPages ? page + 1 : null) : items.length === pageSize ? page + 1 : null,
              items,
            };
          },
        },
      },

      webhook: {
        /**
         * PayPal signs deliveries with its certificate; the documented check is to post the transmission
         * headers, the app's webhook ID and the event back to verify-webhook-signature. The event goes back
         * exactly as it arrived (the raw body, not a re-serialisation of it).
         * @param {PayPalContext} ctx
         */
        async verify(ctx, req) {
          const webhookId = ctx.settings?.webhookId;
          if (typeof webhookId !== 'string' || !/^[A-Za-z0-9]{1,50}$/.test(webhookId)) {
            ctx.log.warn('a PayPal webhook arrived but no webhook ID is configured: it cannot be verified');
            return false;
          }
          const environment = ctx.integration.metadata?.environment;
          if (!Object.hasOwn(API_HOSTS, environment) || ctx.integration.metadata?.apiHost !== API_HOSTS[environment]) {
            ctx.log.warn('a PayPal webhook arrived for a connection not verified for its environment: connect it again');
            return false;
          }
          const fields = {};
          for (const [field, name] of Object.entries(TRANSMISSION_HEADERS)) {
            const value = header(req.headers, name);
            if (typeof value !== 'string' || !value || value.length > 500) return false;
            fields[field] = value;
          }
          let certHost;
          try {
            const url = new URL(fields.cert_url);
            certHost = url.protocol === 'https:' ? url.hostname : undefined;
          } catch {
            certHost = undefined;
          }
          if (!certHost || !(certHost === 'paypal.com' || certHost.endsWith('.paypal.com'))) return false;
          if (typeof req.rawBody !== 'string' || !eventOf({ rawBody: req.rawBody })) return false;
          // The raw body is embedded verbatim: it parsed as a JSON object just above, so it is one JSON value.
          const body = `{${Object.entries({ ...fields, webhook_id: webhookId })
            .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
            .join(',')},"webhook_event":${req.rawBody}}`;
          let answer;
          try {
            answer = await paypal(ctx, '/v1/notifications/verify-webhook-signature', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          } catch (error) {
            // PayPal refusing the check itself (malformed headers) is a delivery that does not verify;
            // an outage or a rate limit stays an error, so PayPal delivers the event again later.
            if (error?.code === 'provider_rejected') {
              ctx.log.warn('PayPal refused to verify a webhook signature', { message: error.message });
              return false;
            }
            throw error;
          }
          return answer?.verification_status === 'SUCCESS';
        },

        /**
         * PAYMENT.CAPTURE.COMPLETED → payment.completed (the capture ID as paymentId, the amount back in
         * the minor unit); PAYMENT.PAYOUTS-ITEM.SUCCEEDED → payout.paid and the item's other endings (FAILED,
         * RETURNED, BLOCKED, DENIED, REFUNDED, CANCELED) → payout.failed. Other events are acknowledged and dropped.
         */
        toEvents(ctx, req) {
          const event = eventOf(req);
          if (typeof event?.event_type === 'string' && Object.hasOwn(PAYOUT_ITEM_EVENTS, event.event_type)) return payoutEvents(ctx, event);
          const capture = event?.resource;
          if (event?.event_type !== WEBHOOK_EVENT || !capture || capture.status !== 'COMPLETED' || typeof capture.id !== 'string') return [];
          const money = fromPayPalMoney(capture.amount);
          if (!money) {
            ctx.log.warn('a PayPal capture with an amount that cannot be read was dropped', { eventId: event.id });
            return [];
          }
          const net = fromPayPalMoney(capture.seller_receivable_breakdown?.net_amount);
          return [
            {
              event: 'payment.completed',
              data: {
                paymentId: capture.id,
                amount: money.amount,
                currency: money.currency,
                provider: 'paypal',
                orderId: capture.supplementary_data?.related_ids?.order_id ?? null,
                referenceId: capture.custom_id ?? null,
                invoiceId: capture.invoice_id ?? null,
                netAmount: net && net.currency === money.currency ? net.amount : null,
                paypalEventId: event.id ?? null,
                createdAt: capture.create_time ?? event.create_time ?? null,
              },
            },
          ];
        },
      },
    },
  ],
});
