// Stripe providers for Plugboard, written against Stripe's REST API reference (https://docs.stripe.com/api), its Connect OAuth reference
// (https://docs.stripe.com/connect/oauth-reference) and, for payouts to creators and vendors, Connect's Accounts, Account Links and Transfers
// (https://docs.stripe.com/api/accounts/create, /api/account_links/create, /api/transfers/create, https://docs.stripe.com/connect/migrate-to-controller-properties).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { definePlugin, paginate, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * Two providers share one implementation: `stripe` connects the account whose API key is entered,
 * `stripe_connect` a Standard account that authorized the platform through Connect OAuth. Both call
 * the same API with a secret key as a bearer token (the entered key, or the OAuth access token, which
 * Stripe documents as a secret key of the connected account that does not expire).
 *
 * @typedef {import('plugboard/sdk').PluginContext<{ secretKey: string, webhookSecret?: string, connectWebhookSecret?: string }>} StripeKeyContext
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials>} StripeConnectContext
 * @typedef {StripeKeyContext | StripeConnectContext} StripeContext
 * @typedef {import('plugboard/sdk').InboundRequest} InboundRequest
 */

/** Responses keep the shapes this plugin was written against, whatever the account's default version. */
const STRIPE_VERSION = '2024-06-20';
/** Stripe's own default tolerance for webhook timestamps. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
const KEY_PATTERN = /\b(sk|rk|pk)_(live|test)_[A-Za-z0-9*]+/g;
const EVENT_ID = /^evt_[A-Za-z0-9]+$/;

/** Stripe echoes part of a refused key in its messages; nothing of a key leaves this plugin. */
const errors = { message: (body) => (typeof body?.error?.message === 'string' ? body.error.message.replace(KEY_PATTERN, (_match, kind, mode) => `${kind}_${mode}_****`) : undefined) };

/**
 * Stripe counts each account's requests: 100 operations per second in live mode and 25 in test mode,
 * and by default 25 per second on any one endpoint (https://docs.stripe.com/rate-limits). 25 a second
 * per Stripe account fits every one of these.
 */
const rateLimits = [{ requests: 25, windowMs: 1000, scope: 'account', accountKey: 'stripeAccountId' }];

// ---- money ------------------------------------------------------------------------------------

/** ISO 4217 minor-unit exponents other than 2, of the currencies in use. */
const ISO_EXPONENTS = {
  ...Object.fromEntries(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].map((code) => [code, 0])),
  ...Object.fromEntries(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((code) => [code, 3])),
  CLF: 4,
  UYW: 4,
};
/**
 * Where Stripe's integer amounts count another unit than the ISO 4217 minor unit
 * (https://docs.stripe.com/currencies): ISK in hundredths (whole krónur only), MGA in whole ariary.
 * Everywhere else Stripe takes the ISO minor unit as it is: cents, yen as they are, fils.
 */
const STRIPE_EXPONENTS = { ISK: 2, MGA: 0 };
/** Stripe's three-decimal currencies take amounts whose last digit is 0. */
const THREE_DECIMALS = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

const isoExponent = (code) => ISO_EXPONENTS[code] ?? 2;
const stripeShift = (code) => (STRIPE_EXPONENTS[code] ?? isoExponent(code)) - isoExponent(code);

/** An amount in the currency's ISO 4217 minor unit, as Stripe counts it; refused when Stripe cannot take it. */
function toStripeAmount(amount, currency, field) {
  const code = currency.toUpperCase();
  const shift = stripeShift(code);
  const value = shift >= 0 ? amount * 10 ** shift : amount / 10 ** -shift;
  if (!Number.isSafeInteger(value)) throw new ProviderRejectedError(`${field}: Stripe takes ${code} amounts in whole units only; ${amount} is not a whole ${code} amount.`);
  if (THREE_DECIMALS.has(code) && value % 10 !== 0) {
    const lower = Math.floor(amount / 10) * 10;
    throw new ProviderRejectedError(`${field}: Stripe takes ${code} amounts rounded to ten of the minor unit (last digit 0); ${amount} is not, use ${lower} or ${lower + 10}.`);
  }
  return value;
}

/** A Stripe amount in the currency's ISO 4217 minor unit (what Plugboard's events carry). */
function fromStripeAmount(amount, currency) {
  if (typeof amount !== 'number' || typeof currency !== 'string') return amount ?? null;
  const shift = stripeShift(currency.toUpperCase());
  return shift >= 0 ? Math.round(amount / 10 ** shift) : amount * 10 ** -shift;
}

const upper = (currency) => (typeof currency === 'string' ? currency.toUpperCase() : null);

// ---- calls ------------------------------------------------------------------------------------

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
 * Calls the Stripe API through the host's client (which adds `Authorization: Bearer <key or access
 * token>` under the base URL), pinned to STRIPE_VERSION; every POST carries an Idempotency-Key.
 * @param {StripeContext} ctx
 */
async function callStripe(ctx, path, { method = 'GET', query, params, idempotencyKey } = {}) {
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

// ---- records ----------------------------------------------------------------------------------

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
    currency: upper(charge.currency),
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

function checkoutResult(session) {
  return {
    id: session.id,
    url: session.url,
    mode: session.mode ?? null,
    amountTotal: fromStripeAmount(session.amount_total, session.currency),
    currency: upper(session.currency),
    expiresAt: isoTime(session.expires_at),
  };
}

/** Who is connected: `GET /v1/account` answers the account the key (or access token) belongs to. */
function accountResult(account, livemode) {
  return {
    displayName: account.business_profile?.name || account.settings?.dashboard?.display_name || account.email || account.id,
    metadata: { stripeAccountId: account.id, livemode, country: account.country ?? null, defaultCurrency: account.default_currency ?? null },
  };
}

// ---- actions, shared by both providers ----------------------------------------------------------

const id = { type: 'string', minLength: 1, maxLength: 255 };
const metadata = { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', maxLength: 500 } };
const idempotencyKey = { type: 'string', minLength: 1, maxLength: 255, description: 'Makes a retried call safe: Stripe answers a repeated key with the first result' };
const url = { type: 'string', format: 'uri', maxLength: 5000 };
const email = { type: 'string', format: 'email', maxLength: 512 };
const clientReferenceId = { type: 'string', maxLength: 200, description: 'Your reference (e.g. a registration id), returned in the completed event' };

const MINOR_UNITS =
  'Amounts are integers in the currency’s minor unit by its ISO 4217 exponent, which is what Stripe takes: cents for USD or EUR (2500 = 25.00), ' +
  'the amount as it is for zero-decimal currencies such as JPY (3000 = ¥3,000), fils for KWD, BHD, JOD, OMR and TND (Stripe needs the last digit 0). ' +
  'ISK (whole krónur) and MGA are converted to Stripe’s own counting.';

const actions = {
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
      const page = await callStripe(ctx, '/v1/customers', {
        query: { limit: input.limit ?? 10, email: input.email, starting_after: input.startingAfter },
      });
      const customers = page.data.map(customerRecord);
      return { customers, hasMore: page.has_more, nextStartingAfter: page.has_more ? customers[customers.length - 1].id : null };
    },
  },
  createRefund: {
    description: 'Refunds a charge or payment intent, fully or partly (amount in the minor unit Stripe counts for the charge’s currency, e.g. cents).',
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
      const refund = await callStripe(ctx, '/v1/refunds', {
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
    description: `Creates a Stripe Checkout page for a one-time payment (e.g. a paid session ticket) in any currency Stripe supports, and returns its URL. ${MINOR_UNITS}`,
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
              unitAmount: { type: 'integer', minimum: 0, description: 'In the currency’s minor unit (ISO 4217 exponent): cents for USD, yen as they are for JPY, fils for KWD' },
              currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. USD, EUR, JPY' },
              quantity: { type: 'integer', minimum: 1, default: 1 },
            },
          },
        },
        successUrl: url,
        cancelUrl: url,
        customerEmail: email,
        clientReferenceId,
        metadata,
        idempotencyKey,
      },
    },
    /** @param {StripeContext} ctx */
    async run(ctx, input) {
      const lineItems = input.lineItems.map((item, index) => ({
        quantity: item.quantity ?? 1,
        price_data: {
          currency: item.currency.toLowerCase(),
          unit_amount: toStripeAmount(item.unitAmount, item.currency, `lineItems[${index}].unitAmount`),
          product_data: { name: item.name },
        },
      }));
      const session = await callStripe(ctx, '/v1/checkout/sessions', {
        method: 'POST',
        idempotencyKey: input.idempotencyKey,
        params: {
          mode: 'payment',
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          customer_email: input.customerEmail,
          client_reference_id: input.clientReferenceId,
          metadata: input.metadata,
          line_items: lineItems,
        },
      });
      return checkoutResult(session);
    },
  },
  createSubscriptionCheckout: {
    description:
      'Creates a Stripe Checkout page that starts a subscription to one recurring price (quantity 1) and returns its URL. The price carries its own currency, amount and interval: ' +
      'create it in Stripe in any currency it supports. The first invoice’s total comes back in the currency’s ISO 4217 minor unit.',
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['priceId', 'successUrl', 'cancelUrl'],
      properties: {
        priceId: { ...id, pattern: '^\\S+$', description: 'A recurring price: price_… (or a plan id)' },
        customerEmail: email,
        successUrl: url,
        cancelUrl: url,
        clientReferenceId,
        metadata,
        idempotencyKey,
      },
    },
    /** @param {StripeContext} ctx */
    async run(ctx, input) {
      const session = await callStripe(ctx, '/v1/checkout/sessions', {
        method: 'POST',
        idempotencyKey: input.idempotencyKey,
        params: {
          mode: 'subscription',
          line_items: [{ price: input.priceId, quantity: 1 }],
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          customer_email: input.customerEmail,
          client_reference_id: input.clientReferenceId,
          metadata: input.metadata,
        },
      });
      return checkoutResult(session);
    },
  },
};

// ---- Connect payouts: actions of the platform's own key (`stripe` only) ---------------------------

const accountId = { type: 'string', pattern: '^acct_[A-Za-z0-9]+$', maxLength: 255, description: 'A connected account id, acct_…' };
const httpsUrl = { type: 'string', format: 'uri', pattern: '^https://[^\\s/?#]+', maxLength: 2048 };

/**
 * An Express connected account, with controller properties rather than `type=express` (Stripe's
 * current way; it needs no newer API version): the Express Dashboard, the platform paying Stripe's fees
 * and liable for negative balances (which the Express Dashboard requires), Stripe collecting the
 * requirements through its hosted onboarding.
 */
const EXPRESS_CONTROLLER = {
  fees: { payer: 'application' },
  losses: { payments: 'application' },
  requirement_collection: 'stripe',
  stripe_dashboard: { type: 'express' },
};

function connectedAccountResult(account) {
  return {
    id: account.id,
    email: account.email ?? null,
    country: account.country ?? null,
    chargesEnabled: account.charges_enabled === true,
    payoutsEnabled: account.payouts_enabled === true,
    detailsSubmitted: account.details_submitted === true,
    transfersCapability: account.capabilities?.transfers ?? null,
    currentlyDue: Array.isArray(account.requirements?.currently_due) ? account.requirements.currently_due : [],
    createdAt: isoTime(account.created),
  };
}

const nullableString = { type: ['string', 'null'] };

const payoutActions = {
  createConnectedAccount: {
    description:
      'Creates an Express connected account for a creator or vendor (POST /v1/accounts with controller properties: Express Dashboard, platform-paid fees and platform loss liability) ' +
      'with the transfers capability requested, so the platform can send it money. Then send the person to createAccountLink to complete Stripe’s onboarding; ' +
      'payouts start once payoutsEnabled is true. Pass an idempotencyKey (e.g. derived from your creator id) so a retried call cannot create a second account.',
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['email', 'country'],
      properties: {
        email: { ...email, description: 'The account holder’s email (prefills onboarding)' },
        country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code of where the person lives or the business is established, e.g. US, GB, DE' },
        serviceAgreement: {
          type: 'string',
          enum: ['full', 'recipient'],
          description: 'Stripe’s default is full; recipient (transfers only, no card payments) is what cross-border payouts to another country than the platform’s need',
        },
        metadata,
        idempotencyKey,
      },
    },
    outputSchema: {
      type: 'object',
      required: ['id', 'chargesEnabled', 'payoutsEnabled', 'detailsSubmitted'],
      properties: {
        id: { type: 'string' },
        email: nullableString,
        country: nullableString,
        chargesEnabled: { type: 'boolean' },
        payoutsEnabled: { type: 'boolean' },
        detailsSubmitted: { type: 'boolean' },
        transfersCapability: { ...nullableString, description: 'inactive until onboarding is done, then pending or active' },
        currentlyDue: { type: 'array', items: { type: 'string' } },
        createdAt: nullableString,
      },
    },
    /** @param {StripeKeyContext} ctx */
    async run(ctx, input) {
      const account = await callStripe(ctx, '/v1/accounts', {
        method: 'POST',
        idempotencyKey: input.idempotencyKey,
        params: {
          controller: EXPRESS_CONTROLLER,
          country: input.country,
          email: input.email,
          capabilities: { transfers: { requested: true } },
          ...(input.serviceAgreement ? { tos_acceptance: { service_agreement: input.serviceAgreement } } : {}),
          metadata: input.metadata,
        },
      });
      return connectedAccountResult(account);
    },
  },
  createAccountLink: {
    description:
      'Creates a single-use link to Stripe’s hosted onboarding for a connected account (POST /v1/account_links, type account_onboarding). Send the person to url before expiresAt ' +
      '(a few minutes); Stripe sends them to refreshUrl when the link has expired or was already used (create a new one there) and to returnUrl when they leave the flow, ' +
      'which does not mean onboarding is complete: check payoutsEnabled/detailsSubmitted.',
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['accountId', 'refreshUrl', 'returnUrl'],
      properties: {
        accountId,
        refreshUrl: { ...httpsUrl, description: 'https URL that creates a fresh link (Stripe sends the person there when this one is expired or used)' },
        returnUrl: { ...httpsUrl, description: 'https URL Stripe sends the person to when they leave the onboarding flow' },
        idempotencyKey,
      },
    },
    outputSchema: {
      type: 'object',
      required: ['url', 'expiresAt'],
      properties: { url: { type: 'string' }, expiresAt: nullableString, createdAt: nullableString },
    },
    /** @param {StripeKeyContext} ctx */
    async run(ctx, input) {
      const link = await callStripe(ctx, '/v1/account_links', {
        method: 'POST',
        idempotencyKey: input.idempotencyKey,
        params: { account: input.accountId, refresh_url: input.refreshUrl, return_url: input.returnUrl, type: 'account_onboarding' },
      });
      return { url: link.url, expiresAt: isoTime(link.expires_at), createdAt: isoTime(link.created) };
    },
  },
  createTransfer: {
    description:
      `Sends money from the platform’s Stripe balance to a connected account (POST /v1/transfers); Stripe then pays it out to the account’s bank on the account’s payout schedule ` +
      `(payout.paid / payout.failed events follow). Needs enough available balance in that currency and the account’s transfers capability active. ${MINOR_UNITS} ` +
      'Pass an idempotencyKey (e.g. your payout id) so a retried call cannot pay twice.',
    inputSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['amount', 'currency', 'destination'],
      properties: {
        amount: { type: 'integer', minimum: 1, maximum: 99_999_999_999, description: 'In the currency’s ISO 4217 minor unit, e.g. 2500 = 25.00 USD' },
        currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. USD or usd (sent lower-case)' },
        destination: accountId,
        description: { type: 'string', minLength: 1, maxLength: 5000 },
        transferGroup: { type: 'string', minLength: 1, maxLength: 500, description: 'Groups transfers with the charges they come from (e.g. an order id)' },
        metadata,
        idempotencyKey,
      },
    },
    outputSchema: {
      type: 'object',
      required: ['id', 'amount', 'currency', 'destination'],
      properties: {
        id: { type: 'string' },
        amount: { type: 'integer', description: 'In the currency’s ISO 4217 minor unit' },
        currency: { type: 'string' },
        destination: { type: 'string' },
        destinationPayment: nullableString,
        transferGroup: nullableString,
        description: nullableString,
        reversed: { type: 'boolean' },
        livemode: { type: 'boolean' },
        createdAt: nullableString,
      },
    },
    /** @param {StripeKeyContext} ctx */
    async run(ctx, input) {
      const transfer = await callStripe(ctx, '/v1/transfers', {
        method: 'POST',
        idempotencyKey: input.idempotencyKey,
        params: {
          amount: toStripeAmount(input.amount, input.currency, 'amount'),
          currency: input.currency.toLowerCase(),
          destination: input.destination,
          description: input.description,
          transfer_group: input.transferGroup,
          metadata: input.metadata,
        },
      });
      return {
        id: transfer.id,
        amount: fromStripeAmount(transfer.amount, transfer.currency),
        currency: upper(transfer.currency),
        destination: typeof transfer.destination === 'string' ? transfer.destination : (transfer.destination?.id ?? null),
        destinationPayment: typeof transfer.destination_payment === 'string' ? transfer.destination_payment : (transfer.destination_payment?.id ?? null),
        transferGroup: transfer.transfer_group ?? null,
        description: transfer.description ?? null,
        reversed: transfer.reversed === true,
        livemode: transfer.livemode === true,
        createdAt: isoTime(transfer.created),
      };
    },
  },
};

const sync = {
  defaultFrequency: '1h',
  /** @param {StripeContext} ctx */
  async run(ctx) {
    return { records: { customers: await listAll(ctx, '/v1/customers', customerRecord), charges: await listAll(ctx, '/v1/charges', chargeRecord) } };
  },
};

const healthCheck = { request: { path: '/v1/account', headers: { 'Stripe-Version': STRIPE_VERSION } } };

// ---- inbound events, shared ---------------------------------------------------------------------

function eventObject(req) {
  if (req.body && typeof req.body === 'object') return req.body;
  try {
    return JSON.parse(req.rawBody);
  } catch {
    return undefined;
  }
}

/**
 * Payment events as host events: `payment_intent.succeeded` and a paid `checkout.session.completed` /
 * `async_payment_succeeded` become `payment.completed` (amount in the ISO minor unit). One Checkout
 * payment produces both; both carry the payment intent id as `paymentId`, so receivers can tell them
 * apart from two payments. A subscription's Checkout names its first invoice and the subscription.
 *
 * Payouts (a connected account's, carrying the top-level `account` of Connect events, or the
 * platform's own): `payout.paid` → `payout.paid`; `payout.failed`, and `payout.canceled` (the money
 * never reached the bank and is back in the balance) → `payout.failed` with Stripe's reason. Stripe
 * may report a payout paid and later failed (within days): receivers must let the failure win.
 * `account.updated` (onboarding progress, capabilities) fits no built-in event: it is logged only.
 * @param {{ provider: string, stripeAccountId?: string }} source
 * @param {import('plugboard/sdk').PluginLogger} [log]
 */
function toHostEvents(event, source, log) {
  const object = event?.data?.object;
  if (!object || typeof event.type !== 'string') return [];
  const account = source.stripeAccountId ?? (typeof event.account === 'string' ? event.account : undefined);
  const completed = ({ paymentId, amount, currency, email, ...extra }) => ({
    event: 'payment.completed',
    data: {
      paymentId,
      amount: fromStripeAmount(amount, currency),
      currency: String(currency).toUpperCase(),
      ...(email ? { customerEmail: email } : {}),
      provider: source.provider,
      stripeEventId: event.id,
      livemode: event.livemode === true,
      ...(account ? { stripeAccountId: account } : {}),
      ...extra,
    },
  });
  switch (event.type) {
    case 'payment_intent.succeeded':
      return [
        completed({
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
        completed({
          paymentId: object.payment_intent ?? object.invoice ?? object.id,
          amount: object.amount_total,
          currency: object.currency,
          email: object.customer_details?.email ?? object.customer_email,
          checkoutSessionId: object.id,
          clientReferenceId: object.client_reference_id ?? null,
          stripeCustomerId: object.customer ?? null,
          ...(object.subscription ? { subscriptionId: object.subscription } : {}),
          metadata: object.metadata ?? {},
        }),
      ];
    case 'payout.paid':
      return payoutEvents('payout.paid', event, object, account, source, log);
    case 'payout.failed':
      return payoutEvents('payout.failed', event, object, account, source, log, { failureReason: failureReason(object), failureCode: object.failure_code ?? null });
    case 'payout.canceled':
      return payoutEvents('payout.failed', event, object, account, source, log, {
        failureReason: 'The payout was canceled before it reached the bank; the amount is back in the Stripe balance of the account.',
        failureCode: null,
      });
    case 'account.updated':
      log?.info('Stripe account updated (no Plugboard event)', {
        stripeEventId: event.id,
        stripeAccountId: account ?? object.id ?? null,
        chargesEnabled: object.charges_enabled === true,
        payoutsEnabled: object.payouts_enabled === true,
        detailsSubmitted: object.details_submitted === true,
        transfersCapability: object.capabilities?.transfers ?? null,
        currentlyDue: Array.isArray(object.requirements?.currently_due) ? object.requirements.currently_due.length : 0,
        disabledReason: object.requirements?.disabled_reason ?? null,
      });
      return [];
    default:
      return [];
  }
}

/** Stripe's reasons for a failed payout (https://docs.stripe.com/api/payouts/failures), for when it sends a code without a message. */
const PAYOUT_FAILURES = {
  account_closed: 'The receiving bank account is closed.',
  account_frozen: 'The receiving bank account is frozen.',
  bank_account_restricted: 'The receiving bank account restricts the kind or number of payouts it accepts.',
  bank_ownership_changed: 'The bank branch changed owner, so the bank account details are no longer valid.',
  could_not_process: 'The bank could not process the payout.',
  debit_not_authorized: 'The bank account does not allow debits.',
  declined: 'The bank declined the payout.',
  incorrect_account_holder_address: 'The bank says the account holder’s address on file is wrong.',
  incorrect_account_holder_name: 'The bank says the account holder’s name on file is wrong.',
  incorrect_account_holder_tax_id: 'The bank says the account holder’s tax id on file is wrong.',
  insufficient_funds: 'The Stripe balance was too low to cover the payout.',
  invalid_account_number: 'The bank account number is invalid (the routing number looks right).',
  invalid_currency: 'The bank cannot take payouts in this currency.',
  no_account: 'The bank found no account with these details; they are probably wrong.',
  unsupported_card: 'The card no longer accepts payouts.',
};

function failureReason(payout) {
  const message = typeof payout.failure_message === 'string' && payout.failure_message.trim() ? payout.failure_message.trim() : undefined;
  const code = typeof payout.failure_code === 'string' ? payout.failure_code : undefined;
  const reason = message ?? (code && PAYOUT_FAILURES[code]) ?? (code ? `Stripe failure code ${code}` : 'Stripe reported the payout failed without a reason.');
  return reason.slice(0, 2000);
}

/** A payout as `payout.paid` / `payout.failed` data (amount in the currency's ISO minor unit); nothing when Stripe's object lacks what the event needs. */
function payoutEvents(name, event, payout, account, source, log, extra = {}) {
  const usable = typeof payout.id === 'string' && payout.id && Number.isSafeInteger(payout.amount) && payout.amount >= 0 && /^[a-z]{3}$/i.test(payout.currency ?? '');
  const amount = usable ? fromStripeAmount(payout.amount, payout.currency) : undefined;
  if (!usable || !Number.isSafeInteger(amount)) {
    log?.warn('Stripe payout event without a usable payout', { stripeEventId: event.id, type: event.type });
    return [];
  }
  const destination = typeof payout.destination === 'string' ? payout.destination : (payout.destination?.id ?? null);
  return [
    {
      event: name,
      data: {
        payoutId: payout.id,
        provider: source.provider,
        amount,
        currency: payout.currency.toUpperCase(),
        ...(account ? { recipient: account, stripeAccountId: account } : {}),
        ...(typeof payout.arrival_date === 'number' ? { arrivalDate: isoTime(payout.arrival_date) } : {}),
        status: payout.status ?? null,
        method: payout.method ?? null,
        destination,
        automatic: payout.automatic ?? null,
        stripeEventId: event.id,
        livemode: event.livemode === true,
        metadata: payout.metadata ?? {},
        ...extra,
      },
    },
  ];
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

/**
 * The event an inbound request names, as Stripe itself answers it for the connected account
 * (`GET /v1/events/{id}`, which retrieves events of the last 30 days by the id a webhook carried):
 * undefined when Stripe has no such event for this account or it differs in type or mode. What
 * reaches Plugboard then comes from Stripe, not from whoever posted.
 * @param {StripeConnectContext} ctx
 * @param {InboundRequest} req
 */
async function retrieveEvent(ctx, req) {
  const posted = eventObject(req);
  if (!posted || typeof posted.id !== 'string' || !EVENT_ID.test(posted.id)) return undefined;
  const account = ctx.integration.metadata?.stripeAccountId;
  if (posted.account !== undefined && posted.account !== account) return undefined;
  const response = await ctx.http(`/v1/events/${posted.id}`, { headers: { 'Stripe-Version': STRIPE_VERSION } });
  if (response.status === 404) return undefined;
  const event = await readJson(response, ctx, errors);
  if (event?.id !== posted.id || event.type !== posted.type || (typeof posted.livemode === 'boolean' && event.livemode !== posted.livemode)) return undefined;
  return event;
}

// ---- the providers ------------------------------------------------------------------------------

/** What both providers share: the API, its errors and limits, the actions, the sync. */
const shared = { category: 'payment', baseUrl: 'https://api.stripe.com', errors, rateLimits, healthCheck, actions, sync };

const stripe = {
  id: 'stripe',
  name: 'Stripe',
  description:
    'Accept payments for paid sessions (one-time and subscriptions), issue refunds, sync customers and charges, pay creators and vendors through Stripe Connect ' +
    '(Express accounts, hosted onboarding, transfers) and receive Stripe events, payouts included.',
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
        connectWebhookSecret: {
          type: 'string',
          title: 'Connect webhook signing secret',
          description:
            'whsec_… of a second Stripe endpoint listening to events on connected accounts (payouts to creators, account updates), posting to the same hook URL: Stripe signs it with its own secret',
          pattern: '^whsec_[A-Za-z0-9+/=]+$',
          secret: true,
        },
      },
    },
    apply: { headers: { Authorization: 'Bearer {secretKey}' } },
  },
  ...shared,
  /** The shared actions, and the platform's Connect payouts (a connected account's own token cannot create accounts or transfer to them). */
  actions: { ...actions, ...payoutActions },

  /** @param {StripeKeyContext} ctx */
  async verify(ctx) {
    return accountResult(await callStripe(ctx, '/v1/account'), /^(sk|rk)_live_/.test(ctx.credentials.secretKey));
  },

  webhook: {
    /**
     * Stripe-Signature: HMAC-SHA256 of `${t}.${rawBody}` keyed with the endpoint's whsec_ secret,
     * compared in constant time, and refused when `t` is more than five minutes away from now.
     * @param {StripeKeyContext} ctx
     * @param {InboundRequest} req
     */
    verify(ctx, req) {
      // The account endpoint's secret, and the Connect endpoint's when one is configured.
      const secrets = [ctx.credentials.webhookSecret, ctx.credentials.connectWebhookSecret].filter((secret) => typeof secret === 'string' && secret);
      const value = req.headers['stripe-signature'];
      if (secrets.length === 0 || !value || typeof req.rawBody !== 'string') return false;
      const { timestamp, signatures } = parseSignatureHeader(value);
      if (!/^\d{1,12}$/.test(timestamp ?? '') || signatures.length === 0) return false;
      if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
      return secrets.some((secret) => {
        const expected = createHmac('sha256', secret).update(`${timestamp}.${req.rawBody}`, 'utf8').digest();
        return signatures.some((signature) => timingSafeEqual(signature, expected));
      });
    },
    /** @param {StripeKeyContext} ctx @param {InboundRequest} req */
    toEvents: (ctx, req) => toHostEvents(eventObject(req), { provider: 'stripe' }, ctx.log),
  },
};

const stripeConnect = {
  id: 'stripe_connect',
  name: 'Stripe Connect',
  description:
    'Let each creator connect their own Stripe account (Standard, through Stripe Connect OAuth) and take payments for their paid sessions on it: Checkout for one-time payments and subscriptions, refunds, customers and charges sync, and their payment events.',
  auth: {
    type: 'oauth2',
    authorizationUrl: 'https://connect.stripe.com/oauth/authorize',
    tokenUrl: 'https://connect.stripe.com/oauth/token',
    // The authorization request carries response_type=code and scope=read_write; the code is exchanged
    // with the platform's secret key as client_secret.
    scopes: ['read_write'],
    scopeSeparator: ' ',
    // Connect access tokens do not expire (they end when the account disconnects the platform).
    refresh: false,
    tokenMetadata: { stripeAccountId: { pointer: '/stripe_user_id', pattern: '^acct_[A-Za-z0-9]+$' } },
  },
  ...shared,

  /**
   * The account behind the access token must be the one the authorization named (`stripe_user_id`).
   * @param {StripeConnectContext} ctx
   */
  async verify(ctx) {
    const account = await callStripe(ctx, '/v1/account');
    const authorized = ctx.integration.metadata?.stripeAccountId;
    if (typeof authorized === 'string' && authorized !== account.id) {
      throw new ProviderRejectedError(`The access token belongs to Stripe account ${account.id}, not to ${authorized}, which authorized this connection: connect again.`);
    }
    const raw = ctx.credentials.raw ?? {};
    const livemode = typeof raw.livemode === 'boolean' ? raw.livemode : /^sk_live_/.test(ctx.credentials.accessToken);
    const result = accountResult(account, livemode);
    return {
      displayName: result.displayName,
      metadata: {
        ...result.metadata,
        publishableKey: typeof raw.stripe_publishable_key === 'string' && /^pk_(live|test)_\w+$/.test(raw.stripe_publishable_key) ? raw.stripe_publishable_key : null,
        scope: typeof raw.scope === 'string' ? raw.scope : null,
      },
    };
  },

  webhook: {
    /**
     * A connected account's events (posted by an endpoint of that account, or relayed from the
     * platform's Connect endpoint) cannot be signed with a secret this connection holds: each one is
     * checked by retrieving it from Stripe with the account's own token.
     * @param {StripeConnectContext} ctx
     * @param {InboundRequest} req
     */
    async verify(ctx, req) {
      return (await retrieveEvent(ctx, req)) !== undefined;
    },
    /** Mapped from the event as Stripe answers it. @param {StripeConnectContext} ctx @param {InboundRequest} req */
    async toEvents(ctx, req) {
      const event = await retrieveEvent(ctx, req);
      const account = ctx.integration.metadata?.stripeAccountId;
      return event ? toHostEvents(event, { provider: 'stripe_connect', ...(typeof account === 'string' ? { stripeAccountId: account } : {}) }, ctx.log) : [];
    },
  },
};

export default definePlugin({ providers: [stripe, stripeConnect] });
