// Stripe provider for Plugboard, written against Stripe's documented REST API (https://docs.stripe.com/api).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { definePlugin, paginate, readJson } from 'plugboard/sdk';

/**
 * @typedef {import('plugboard/sdk').PluginContext<{ secretKey: string, webhookSecret?: string }>} StripeContext
 * @typedef {import('plugboard/sdk').InboundRequest} InboundRequest
 */

/** Responses keep the shapes this plugin was written against, whatever the account's default version. */
const STRIPE_VERSION = '2024-06-20';
/** Stripe's own default tolerance for webhook timestamps. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
const KEY_PATTERN = /\b(sk|rk|pk)_(live|test)_[A-Za-z0-9*]+/g;

/** Stripe echoes part of a refused key in its messages; nothing of a key leaves this plugin. */
const errors = { message: (body) => (typeof body?.error?.message === 'string' ? body.error.message.replace(KEY_PATTERN, (_match, kind, mode) => `${kind}_${mode}_****`) : undefined) };

/** Stripe's form encoding: nested objects and arrays as `a[b][0]=v`. */
function toForm(params, form = new URLSearchParams(), prefix = '') {
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const name = prefix ? `${prefix}[${key}]` : key;
    if (typeof value === 'object') toForm(value, form, name);
    else form.append(name, String(value));
  }
  return form;
}

/**
 * Calls the Stripe API through the host's client (which adds `Authorization: Bearer <secretKey>` under
 * the base URL), pinned to STRIPE_VERSION; every POST carries an Idempotency-Key.
 * @param {StripeContext} ctx
 */
async function stripe(ctx, path, { method = 'GET', query, params, idempotencyKey } = {}) {
  const url = query ? `${path}?${toForm(query)}` : path;
  const headers = { 'Stripe-Version': STRIPE_VERSION };
  if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey ?? randomUUID();
  return readJson(await ctx.http(url, { method, headers, ...(params ? { body: toForm(params) } : {}) }), ctx, errors);
}

/** A Stripe list, every page: `has_more`, then `starting_after` the last id. */
const list = (path) => ({
  request: { path, query: { limit: '100' }, headers: { 'Stripe-Version': STRIPE_VERSION } },
  items: '/data',
  pagination: { type: 'startingAfter', param: 'starting_after', hasMore: '/has_more' },
});

/** @param {StripeContext} ctx */
async function listAll(ctx, path, toRecord) {
  const records = [];
  for await (const item of paginate(ctx, list(path), {}, errors)) records.push(toRecord(item));
  return records;
}

const isoTime = (seconds) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null);

function customerRecord(customer) {
  return {
    id: customer.id,
    email: customer.email ?? null,
    name: customer.name ?? null,
    currency: customer.currency ?? null,
    delinquent: customer.delinquent ?? false,
    livemode: customer.livemode,
    createdAt: isoTime(customer.created),
  };
}

function chargeRecord(charge) {
  return {
    id: charge.id,
    amount: charge.amount,
    amountRefunded: charge.amount_refunded,
    currency: typeof charge.currency === 'string' ? charge.currency.toUpperCase() : null,
    status: charge.status,
    paid: charge.paid,
    refunded: charge.refunded,
    customerId: charge.customer ?? null,
    receiptEmail: charge.receipt_email ?? null,
    paymentIntentId: charge.payment_intent ?? null,
    livemode: charge.livemode,
    createdAt: isoTime(charge.created),
  };
}

/** `t=<seconds>,v1=<hex>[,v1=<hex>…]`: Stripe sends one v1 per active secret while a secret is rolled. */
function parseSignatureHeader(value) {
  let timestamp;
  const signatures = [];
  for (const part of value.split(',')) {
    const [key, signature] = part.trim().split('=', 2);
    if (key === 't') timestamp = signature;
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(signature ?? '')) signatures.push(Buffer.from(signature, 'hex'));
  }
  return { timestamp, signatures };
}

function eventObject(req) {
  if (req.body && typeof req.body === 'object') return req.body;
  try {
    return JSON.parse(req.rawBody);
  } catch {
    return undefined;
  }
}

/** A `payment.completed` payload (see the built-in event catalog); optional fields only when known. */
function paymentCompleted(event, { paymentId, amount, currency, email, ...extra }) {
  return {
    event: 'payment.completed',
    data: {
      paymentId,
      amount,
      currency: String(currency).toUpperCase(),
      ...(email ? { customerEmail: email } : {}),
      provider: 'stripe',
      stripeEventId: event.id,
      livemode: event.livemode === true,
      ...extra,
    },
  };
}

const id = { type: 'string', minLength: 1, maxLength: 255 };
const metadata = { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', maxLength: 500 } };
const idempotencyKey = { type: 'string', minLength: 1, maxLength: 255, description: 'Makes a retried call safe: Stripe answers a repeated key with the first result' };

export default definePlugin({
  providers: [
    {
      id: 'stripe',
      name: 'Stripe',
      category: 'payment',
      description: 'Accept payments for paid sessions, issue refunds, sync customers and charges, and receive Stripe events.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['secretKey'],
          additionalProperties: false,
          properties: {
            secretKey: {
              type: 'string',
              title: 'Secret or restricted key',
              description: 'sk_live_… / sk_test_… (or a restricted rk_ key with read access to the account, customers and charges)',
              pattern: '^(sk|rk)_(live|test)_[A-Za-z0-9]+$',
              secret: true,
            },
            webhookSecret: {
              type: 'string',
              title: 'Webhook signing secret',
              description: 'whsec_… of the Stripe webhook endpoint that posts to this integration’s hook URL',
              pattern: '^whsec_[A-Za-z0-9+/=]+$',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {secretKey}' } },
      },
      baseUrl: 'https://api.stripe.com',
      errors,

      /** @param {StripeContext} ctx */
      async verify(ctx) {
        const account = await stripe(ctx, '/v1/account');
        return {
          displayName: account.business_profile?.name || account.settings?.dashboard?.display_name || account.email || account.id,
          metadata: {
            stripeAccountId: account.id,
            livemode: /^(sk|rk)_live_/.test(ctx.credentials.secretKey),
            country: account.country ?? null,
            defaultCurrency: account.default_currency ?? null,
          },
        };
      },

      healthCheck: { request: { path: '/v1/account', headers: { 'Stripe-Version': STRIPE_VERSION } } },

      actions: {
        listCustomers: {
          description: 'Lists customers, newest first; page with startingAfter = the last id returned.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              email: { type: 'string', maxLength: 512, description: 'Only customers with this exact email' },
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
              startingAfter: id,
            },
          },
          /** @param {StripeContext} ctx */
          async run(ctx, input = {}) {
            const page = await stripe(ctx, '/v1/customers', {
              query: { limit: input.limit ?? 10, email: input.email, starting_after: input.startingAfter },
            });
            const customers = page.data.map(customerRecord);
            return { customers, hasMore: page.has_more, nextStartingAfter: page.has_more ? customers[customers.length - 1].id : null };
          },
        },
        createRefund: {
          description: 'Refunds a charge or payment intent, fully or partly (amount in the minor unit, e.g. cents).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            anyOf: [{ required: ['charge'] }, { required: ['paymentIntent'] }],
            properties: {
              charge: { ...id, pattern: '^(ch|py)_' },
              paymentIntent: { ...id, pattern: '^pi_' },
              amount: { type: 'integer', minimum: 1, description: 'Defaults to what remains unrefunded' },
              reason: { type: 'string', enum: ['duplicate', 'fraudulent', 'requested_by_customer'] },
              metadata,
              idempotencyKey,
            },
          },
          /** @param {StripeContext} ctx */
          async run(ctx, input) {
            const refund = await stripe(ctx, '/v1/refunds', {
              method: 'POST',
              idempotencyKey: input.idempotencyKey,
              params: { charge: input.charge, payment_intent: input.paymentIntent, amount: input.amount, reason: input.reason, metadata: input.metadata },
            });
            return {
              id: refund.id,
              status: refund.status,
              amount: refund.amount,
              currency: String(refund.currency).toUpperCase(),
              charge: refund.charge ?? null,
              paymentIntent: refund.payment_intent ?? null,
              reason: refund.reason ?? null,
            };
          },
        },
        createCheckoutSession: {
          description: 'Creates a Stripe Checkout page for a one-time payment (e.g. a paid session ticket) and returns its URL.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['lineItems', 'successUrl'],
            properties: {
              lineItems: {
                type: 'array',
                minItems: 1,
                maxItems: 100,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['name', 'unitAmount', 'currency'],
                  properties: {
                    name: { type: 'string', minLength: 1, maxLength: 250 },
                    unitAmount: { type: 'integer', minimum: 0, description: 'Minor unit (cents)' },
                    currency: { type: 'string', pattern: '^[A-Za-z]{3}$' },
                    quantity: { type: 'integer', minimum: 1, default: 1 },
                  },
                },
              },
              successUrl: { type: 'string', format: 'uri', maxLength: 5000 },
              cancelUrl: { type: 'string', format: 'uri', maxLength: 5000 },
              customerEmail: { type: 'string', format: 'email' },
              clientReferenceId: { type: 'string', maxLength: 200, description: 'Your reference (e.g. a registration id), returned in the completed event' },
              metadata,
              idempotencyKey,
            },
          },
          /** @param {StripeContext} ctx */
          async run(ctx, input) {
            const session = await stripe(ctx, '/v1/checkout/sessions', {
              method: 'POST',
              idempotencyKey: input.idempotencyKey,
              params: {
                mode: 'payment',
                success_url: input.successUrl,
                cancel_url: input.cancelUrl,
                customer_email: input.customerEmail,
                client_reference_id: input.clientReferenceId,
                metadata: input.metadata,
                line_items: input.lineItems.map((item) => ({
                  quantity: item.quantity ?? 1,
                  price_data: { currency: item.currency.toLowerCase(), unit_amount: item.unitAmount, product_data: { name: item.name } },
                })),
              },
            });
            return {
              id: session.id,
              url: session.url,
              amountTotal: session.amount_total,
              currency: session.currency ? String(session.currency).toUpperCase() : null,
              expiresAt: isoTime(session.expires_at),
            };
          },
        },
      },

      sync: {
        defaultFrequency: '1h',
        /** @param {StripeContext} ctx */
        async run(ctx) {
          return { records: { customers: await listAll(ctx, '/v1/customers', customerRecord), charges: await listAll(ctx, '/v1/charges', chargeRecord) } };
        },
      },

      webhook: {
        /**
         * Stripe-Signature: HMAC-SHA256 of `${t}.${rawBody}` keyed with the endpoint's whsec_ secret,
         * compared in constant time, and refused when `t` is more than five minutes away from now.
         * @param {StripeContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const secret = ctx.credentials.webhookSecret;
          const value = req.headers['stripe-signature'];
          if (typeof secret !== 'string' || !secret || !value || typeof req.rawBody !== 'string') return false;
          const { timestamp, signatures } = parseSignatureHeader(value);
          if (!/^\d{1,12}$/.test(timestamp ?? '') || signatures.length === 0) return false;
          if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
          const expected = createHmac('sha256', secret).update(`${timestamp}.${req.rawBody}`, 'utf8').digest();
          return signatures.some((signature) => timingSafeEqual(signature, expected));
        },

        /**
         * Payment events become `payment.completed`. One Checkout payment produces both
         * `checkout.session.completed` and `payment_intent.succeeded`; both carry the payment intent id
         * as `paymentId`, so receivers can tell them apart from two payments.
         * @param {StripeContext} _ctx
         * @param {InboundRequest} req
         */
        toEvents(_ctx, req) {
          const event = eventObject(req);
          const object = event?.data?.object;
          if (!object || typeof event.type !== 'string') return [];
          switch (event.type) {
            case 'payment_intent.succeeded':
              return [
                paymentCompleted(event, {
                  paymentId: object.id,
                  amount: object.amount_received ?? object.amount,
                  currency: object.currency,
                  email: object.receipt_email,
                  stripeCustomerId: object.customer ?? null,
                  metadata: object.metadata ?? {},
                }),
              ];
            case 'checkout.session.completed':
            case 'checkout.session.async_payment_succeeded':
              if (object.payment_status !== 'paid') return [];
              return [
                paymentCompleted(event, {
                  paymentId: object.payment_intent ?? object.invoice ?? object.id,
                  amount: object.amount_total,
                  currency: object.currency,
                  email: object.customer_details?.email ?? object.customer_email,
                  checkoutSessionId: object.id,
                  clientReferenceId: object.client_reference_id ?? null,
                  stripeCustomerId: object.customer ?? null,
                  metadata: object.metadata ?? {},
                }),
              ];
            default:
              return [];
          }
        },
      },
    },
  ],
});
