// PayPal provider for Plugboard, written against the PayPal REST APIs (https://developer.paypal.com/api/rest/): OAuth 2.0 client credentials, Orders v2, Payments v2 (refunds) and Webhooks v1 (verify-webhook-signature).
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
  if (ctx.integration.metadata?.apiHost !== API_HOSTS[environmentOf(ctx)]) {
    throw new ProviderRejectedError('This PayPal connection has not been verified for its environment: connect it again.');
  }
  return readJson(await ctx.http(path, init), ctx, errors);
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

const orderId = { type: 'string', pattern: '^[A-Z0-9]{1,36}$', description: 'A PayPal order ID (as createOrder returned it)' };
const idempotencyKey = {
  type: 'string',
  minLength: 1,
  maxLength: 108,
  description: 'Sent as PayPal-Request-Id: repeating a call with the same key within PayPal’s window answers with the first result instead of acting twice',
};
const minorAmount = { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991, description: 'In the currency’s minor unit (e.g. cents; yen for JPY)' };
const currency = { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. USD' };

export default definePlugin({
  providers: [
    {
      id: 'paypal',
      name: 'PayPal',
      category: 'payment',
      description: 'Take payments for paid sessions with PayPal Checkout (create, approve, capture), issue refunds, and receive completed payments from PayPal webhooks.',
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
            description: 'The ID PayPal gives the app’s webhook that posts to this integration’s hook URL (subscribe it to Payment capture completed); needed to verify deliveries',
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
        if (webhook && !eventTypes.includes(WEBHOOK_EVENT) && !eventTypes.includes('*')) {
          ctx.log.warn(`the PayPal webhook is not subscribed to ${WEBHOOK_EVENT}: completed payments will not arrive`, { webhookId });
        }
        return {
          displayName: `PayPal ${environment}${appId ? ` (${appId})` : ''}`,
          metadata: {
            apiHost: API_HOSTS[environment],
            appId,
            webhookId: webhook?.id ?? null,
            webhookUrl: webhook?.url ?? null,
            webhookReceivesCaptures: webhook ? eventTypes.includes(WEBHOOK_EVENT) || eventTypes.includes('*') : null,
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
         * the minor unit). Other events are acknowledged and dropped.
         */
        toEvents(ctx, req) {
          const event = eventOf(req);
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
