// Klaviyo provider for Plugboard, written against the Klaviyo REST API reference, revision 2026-10-15 (https://developers.klaviyo.com/en/reference/api_overview).
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string }} KlaviyoCredentials
 * @typedef {import('plugboard/sdk').PluginContext<KlaviyoCredentials, Record<string, unknown>>} KlaviyoContext
 */

/**
 * Every request names the API revision it was written for (a dated `revision` header, required by
 * Klaviyo: without it the API answers 400). Pinned so that Klaviyo's later breaking revisions do not
 * change what this plugin sends.
 */
export const KLAVIYO_REVISION = '2026-10-15';

/** Currencies whose minor unit is not the cent (ISO 4217 exponents). */
const EXPONENTS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

/** An amount in the currency's minor unit as the major-unit number Klaviyo's `value` takes. */
export function toMajorUnits(amount, currency) {
  const exponent = EXPONENTS[String(currency).toUpperCase()] ?? 2;
  return Number((amount / 10 ** exponent).toFixed(exponent));
}

/**
 * Klaviyo's JSON:API error documents: `{ errors: [{ id, status, code, title, detail, source: { pointer } }] }`.
 * A refusal reads as its detail (or title) with the field it concerns.
 */
const errors = {
  message: (body) => {
    const list = Array.isArray(body?.errors) ? body.errors : [];
    const parts = list.map((error) => {
      const text = error?.detail || error?.title || error?.code;
      const field = typeof error?.source?.pointer === 'string' && error.source.pointer !== '/data/' ? error.source.pointer : undefined;
      return text ? (field ? `${text} (${field})` : String(text)) : undefined;
    });
    return parts.filter(Boolean).join('; ') || undefined;
  },
};

/** @param {KlaviyoContext} ctx */
const klaviyo = async (ctx, path, init = {}) => readJson(await ctx.http(path, { ...init, headers: { accept: 'application/vnd.api+json', ...init.headers } }), ctx, errors);

const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/vnd.api+json' }, body });

const email = { type: 'string', format: 'email', maxLength: 254 };
const properties = {
  type: 'object',
  maxProperties: 300,
  description: 'Custom properties (Klaviyo takes up to 300 per event, values up to 100 kB)',
};

/**
 * Creates or updates the profile with this email (`POST /profile-import`: 201 created, 200 updated).
 * @param {KlaviyoContext} ctx
 */
async function upsertProfile(ctx, input) {
  const attributes = {
    email: input.email.trim(),
    ...(input.firstName ? { first_name: input.firstName } : {}),
    ...(input.lastName ? { last_name: input.lastName } : {}),
    ...(input.phoneNumber ? { phone_number: input.phoneNumber } : {}),
    ...(input.externalId ? { external_id: input.externalId } : {}),
    ...(input.properties && Object.keys(input.properties).length ? { properties: input.properties } : {}),
  };
  const response = await ctx.http('/profile-import', { ...json({ data: { type: 'profile', attributes } }), headers: { 'content-type': 'application/vnd.api+json', accept: 'application/vnd.api+json' } });
  const body = await readJson(response, ctx, errors);
  return { id: body?.data?.id, email: body?.data?.attributes?.email ?? attributes.email, created: response.status === 201 };
}

/**
 * Records an event (`POST /events`, answered 202 with no body: Klaviyo processes it later). The metric
 * is named (Klaviyo creates it on first use) and the profile identified by email. `unique_id` makes a
 * retried event count once.
 * @param {KlaviyoContext} ctx
 */
async function createEvent(ctx, input) {
  if (input.value !== undefined && input.amount !== undefined) throw new ProviderRejectedError('Give either value or amount (with currency), not both.');
  if (input.amount !== undefined && !input.currency) throw new ProviderRejectedError('An amount needs its ISO 4217 currency.');
  const props = { ...(input.properties ?? {}) };
  let value = input.value;
  if (input.amount !== undefined) {
    value = toMajorUnits(input.amount, input.currency);
    props.currency = input.currency;
  } else if (input.currency) props.currency = input.currency;
  const attributes = {
    properties: props,
    metric: { data: { type: 'metric', attributes: { name: input.metric } } },
    profile: { data: { type: 'profile', attributes: { email: input.email.trim(), ...(input.profile ?? {}) } } },
    ...(value !== undefined ? { value } : {}),
    ...(input.uniqueId ? { unique_id: input.uniqueId } : {}),
    ...(input.time ? { time: input.time } : {}),
  };
  await klaviyo(ctx, '/events', json({ data: { type: 'event', attributes } }));
  return { accepted: true, metric: input.metric, email: attributes.profile.data.attributes.email, ...(value !== undefined ? { value } : {}), ...(input.uniqueId ? { uniqueId: input.uniqueId } : {}) };
}

const isEmail = (value) => typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
const isTime = (value) => typeof value === 'string' && !Number.isNaN(Date.parse(value));

/** First and last name from a full name, for the event's profile. */
function names(full) {
  if (typeof full !== 'string' || !full.trim()) return {};
  const [first, ...rest] = full.trim().split(/\s+/);
  return { first_name: first, ...(rest.length ? { last_name: rest.join(' ') } : {}) };
}

/** Drops empty values from event properties. */
const compact = (values) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== null && value !== ''));

/**
 * Placed Order from an order event: the total in major units as `value`, the currency in properties,
 * the order id as `unique_id` (so order.created and order.paid of the same order count once).
 * @param {KlaviyoContext} ctx
 */
async function placedOrder(ctx, event) {
  const data = event.data ?? {};
  if (!isEmail(data.email)) {
    ctx.log.warn('order without an email: no Placed Order recorded', { eventId: event.id });
    return;
  }
  const money = Number.isInteger(data.totalAmount) && typeof data.currency === 'string' && /^[A-Z]{3}$/.test(data.currency);
  const lineItems = Array.isArray(data.lineItems) ? data.lineItems : [];
  await createEvent(ctx, {
    metric: 'Placed Order',
    email: data.email,
    ...(money ? { amount: data.totalAmount, currency: data.currency } : {}),
    uniqueId: String(data.orderId ?? event.id),
    ...(isTime(data.createdAt) ? { time: data.createdAt } : isTime(event.timestamp) ? { time: event.timestamp } : {}),
    properties: compact({
      OrderId: data.orderId,
      OrderNumber: data.orderNumber,
      Source: data.provider,
      FinancialStatus: data.financialStatus,
      ItemNames: lineItems.map((item) => item?.title).filter(Boolean),
      Items: lineItems.length ? lineItems.map((item) => compact({ ProductID: item?.productId, ProductName: item?.title, Quantity: item?.quantity })) : undefined,
    }),
  });
  ctx.log.info('Placed Order recorded', { eventId: event.id });
}

const RATE = (requests, windowMs, match) => ({ requests, windowMs, scope: 'account', accountKey: 'accountId', match });

export default definePlugin({
  providers: [
    {
      id: 'klaviyo',
      name: 'Klaviyo',
      category: 'marketing',
      description: 'Keep Klaviyo profiles up to date, subscribe people who consented to your lists, and record registrations, attendance and orders as Klaviyo events for flows and segments.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          additionalProperties: false,
          required: ['apiKey'],
          properties: {
            apiKey: {
              type: 'string',
              secret: true,
              pattern: '^pk_[A-Za-z0-9]{20,64}$',
              title: 'Private API key',
              description:
                'A private key (starts with pk_) from Settings → API keys, with the scopes accounts:read, profiles:write, lists:write, subscriptions:write and events:write',
            },
          },
        },
        apply: { headers: { Authorization: 'Klaviyo-API-Key {apiKey}', revision: KLAVIYO_REVISION } },
      },
      // The public key (site ID) is no secret (it is in every storefront's page): entered with the
      // connection, kept in its metadata, and checked against the account when connecting.
      connectionInputs: {
        type: 'object',
        additionalProperties: false,
        properties: {
          publicKey: {
            type: 'string',
            pattern: '^[A-Za-z0-9]{6}$',
            title: 'Public API key (site ID)',
            description: 'Optional: the six-character public key of the same account, checked when connecting',
          },
        },
      },
      baseUrl: 'https://a.klaviyo.com/api',
      errors,
      // Klaviyo limits each endpoint per account (private keys share the account's quota) with a burst
      // (1 s) and a steady (1 min) window: GET /accounts is XS (1/s, 15/m), profile import L (75/s, 700/m),
      // bulk subscribe 75/s, 750/m, create event XL (350/s, 3500/m). 429s carry Retry-After.
      rateLimits: [
        RATE(1, 1000, ['GET /accounts']),
        RATE(15, 60_000, ['GET /accounts']),
        RATE(75, 1000, ['POST /profile-import']),
        RATE(700, 60_000, ['POST /profile-import']),
        RATE(75, 1000, ['POST /profile-subscription-bulk-create-jobs']),
        RATE(750, 60_000, ['POST /profile-subscription-bulk-create-jobs']),
        RATE(350, 1000, ['POST /events']),
        RATE(3500, 60_000, ['POST /events']),
      ],

      /** `GET /accounts` answers the one account the key belongs to. @param {KlaviyoContext} ctx */
      async verify(ctx) {
        const body = await klaviyo(ctx, '/accounts');
        const account = Array.isArray(body?.data) ? body.data[0] : undefined;
        if (!account?.id) throw new Error('Klaviyo answered no account for this key');
        const attributes = account.attributes ?? {};
        const publicKey = attributes.public_api_key ?? null;
        const entered = ctx.integration.metadata?.publicKey;
        if (typeof entered === 'string' && entered && publicKey && entered !== publicKey) {
          throw new ProviderRejectedError(`The public key does not belong to the account of this private key (its public key is ${publicKey}).`);
        }
        const organizationName = attributes.contact_information?.organization_name || null;
        return {
          displayName: organizationName ? `${organizationName} (Klaviyo)` : `Klaviyo account ${account.id}`,
          metadata: {
            accountId: account.id,
            organizationName,
            publicKey,
            timezone: attributes.timezone ?? null,
            preferredCurrency: attributes.preferred_currency ?? null,
            testAccount: attributes.test_account ?? false,
          },
        };
      },

      healthCheck: { request: { path: '/accounts' } },

      actions: {
        upsertProfile: {
          description: 'Creates a Klaviyo profile for this email, or updates the existing one (name, phone, external id, custom properties).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email,
              firstName: { type: 'string', maxLength: 255 },
              lastName: { type: 'string', maxLength: 255 },
              phoneNumber: { type: 'string', pattern: '^\\+[1-9]\\d{1,14}$', description: 'E.164' },
              externalId: { type: 'string', minLength: 1, maxLength: 255 },
              properties: { ...properties, description: 'Custom profile properties' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['id', 'email', 'created'],
            properties: { id: { type: 'string' }, email: { type: 'string' }, created: { type: 'boolean', description: 'false when an existing profile was updated' } },
          },
          run: upsertProfile,
        },
        subscribeToList: {
          description:
            'Subscribes a person to email marketing and adds them to a list, only with their consent (the list’s double opt-in setting applies). Klaviyo runs it as a job.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['listId', 'email', 'consent'],
            properties: {
              listId: { type: 'string', pattern: '^[A-Za-z0-9]{6,10}$', description: 'The list id (e.g. Y6nRLr)' },
              email,
              consent: { type: 'boolean', description: 'The person agreed to receive email marketing; without it nobody is subscribed' },
              customSource: { type: 'string', maxLength: 100, description: 'Where consent was collected, kept on the consent record' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['subscribed', 'listId', 'email'],
            properties: { subscribed: { type: 'boolean' }, listId: { type: 'string' }, email: { type: 'string' } },
          },
          /** @param {KlaviyoContext} ctx */
          async run(ctx, input) {
            if (input.consent !== true) {
              throw new ProviderRejectedError('Not subscribed: Klaviyo email subscriptions need the person’s consent (consent: true).');
            }
            const profile = { type: 'profile', attributes: { email: input.email.trim(), subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } } } };
            await klaviyo(
              ctx,
              '/profile-subscription-bulk-create-jobs',
              json({
                data: {
                  type: 'profile-subscription-bulk-create-job',
                  attributes: { ...(input.customSource ? { custom_source: input.customSource } : {}), profiles: { data: [profile] } },
                  relationships: { list: { data: { type: 'list', id: input.listId } } },
                },
              }),
            );
            return { subscribed: true, listId: input.listId, email: profile.attributes.email };
          },
        },
        createEvent: {
          description:
            'Records an event (a metric, by name) on the profile with this email, with custom properties and an optional value; money is given in minor units with its currency and sent to Klaviyo in major units.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['metric', 'email'],
            dependencies: { amount: ['currency'] },
            properties: {
              metric: { type: 'string', minLength: 1, maxLength: 128, description: 'The metric name, e.g. "Registered" (created on first use)' },
              email,
              properties,
              value: { type: 'number', description: 'A numeric value of the event (not money: use amount and currency)' },
              amount: { type: 'integer', minimum: 0, description: 'Money in the currency’s minor unit (cents); sent as value in major units' },
              currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, kept in the event’s properties' },
              uniqueId: { type: 'string', minLength: 1, maxLength: 255, description: 'Klaviyo counts events with the same unique id once' },
              time: { type: 'string', format: 'date-time' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['accepted', 'metric', 'email'],
            properties: {
              accepted: { type: 'boolean' },
              metric: { type: 'string' },
              email: { type: 'string' },
              value: { type: 'number' },
              uniqueId: { type: 'string' },
            },
          },
          run: createEvent,
        },
      },

      onEvent: {
        /** A "Registered" event on the registrant's profile. @param {KlaviyoContext} ctx */
        async 'registration.received'(ctx, event) {
          const data = event.data ?? {};
          if (!isEmail(data.email)) {
            ctx.log.warn('registration without an email: nothing recorded', { eventId: event.id });
            return;
          }
          await createEvent(ctx, {
            metric: 'Registered',
            email: data.email,
            profile: names(data.name),
            uniqueId: String(data.registrationId ?? event.id),
            ...(isTime(data.registeredAt) ? { time: data.registeredAt } : isTime(event.timestamp) ? { time: event.timestamp } : {}),
            properties: compact({ RegistrationId: data.registrationId, SessionId: data.sessionId }),
          });
          ctx.log.info('Registered recorded', { eventId: event.id });
        },

        /** An "Attended" event on the participant's profile. @param {KlaviyoContext} ctx */
        async 'participant.joined'(ctx, event) {
          const data = event.data ?? {};
          if (!isEmail(data.email)) {
            ctx.log.warn('participant without an email: nothing recorded', { eventId: event.id });
            return;
          }
          await createEvent(ctx, {
            metric: 'Attended',
            email: data.email,
            profile: names(data.name),
            uniqueId: `${data.sessionId ?? ''}:${data.participantId ?? event.id}`,
            ...(isTime(data.joinedAt) ? { time: data.joinedAt } : isTime(event.timestamp) ? { time: event.timestamp } : {}),
            properties: compact({ SessionId: data.sessionId, RoomId: data.roomId, ParticipantId: data.participantId }),
          });
          ctx.log.info('Attended recorded', { eventId: event.id });
        },

        'order.created': placedOrder,
        'order.paid': placedOrder,
      },
    },
  ],
});
