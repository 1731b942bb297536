// Google Analytics 4 provider for Plugboard, written against the GA4 Measurement Protocol reference (https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference).
import { createHash } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiSecret: string }} Ga4Credentials
 * @typedef {import('plugboard/sdk').PluginContext<Ga4Credentials, Record<string, unknown>>} Ga4Context
 */

/**
 * GA4's documented limits for a Measurement Protocol request (Measurement Protocol reference →
 * "Limitations", and GA4's event collection limits): the collect endpoint answers 204 even when it
 * drops what breaks them, so they are checked here before sending.
 */
export const LIMITS = { events: 25, params: 25, nameLength: 40, paramValueLength: 100, userProperties: 25, userPropertyName: 24, userPropertyValue: 36 };
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const RESERVED_EVENTS = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_background',
  'app_clear_data',
  'app_exception',
  'app_remove',
  'app_store_refund',
  'app_store_subscription_cancel',
  'app_store_subscription_convert',
  'app_store_subscription_renew',
  'app_update',
  'app_upgrade',
  'dynamic_link_app_open',
  'dynamic_link_app_update',
  'dynamic_link_first_open',
  'error',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'os_update',
  'session_start',
  'session_start_with_rollout',
  'user_engagement',
]);
const RESERVED_PREFIXES = ['_', 'ga_', 'google_', 'firebase_'];
const RESERVED_PARAMS = new Set(['firebase_conversion']);
const RESERVED_USER_PROPERTIES = new Set(['first_open_time', 'first_visit_time', 'last_deep_link_referrer', 'user_id', 'first_open_after_install']);
/** Events older than this are not processed (Measurement Protocol `timestamp_micros`). */
const BACKDATE_LIMIT_MS = 72 * 60 * 60 * 1000;

/** Currencies whose minor unit is not the cent (ISO 4217 exponents). */
const EXPONENTS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };
export function toMajorUnits(amount, currency) {
  const exponent = EXPONENTS[String(currency).toUpperCase()] ?? 2;
  return Number((amount / 10 ** exponent).toFixed(exponent));
}

/** A Measurement Protocol path with the connection's `measurement_id` (the host adds `api_secret`). @param {Ga4Context} ctx */
function endpoint(ctx, path) {
  const id = ctx.integration.metadata?.measurementId;
  if (typeof id !== 'string' || !id) throw new ProviderRejectedError('No measurement ID: connect Google Analytics 4 again with the stream’s measurement ID (G-XXXXXXX).');
  return `${path}?measurement_id=${encodeURIComponent(id)}`;
}

const reservedPrefix = (name) => RESERVED_PREFIXES.some((prefix) => name.toLowerCase().startsWith(prefix));

/** What breaks GA4's documented limits and name rules in a request body; empty when nothing does. */
export function problems(body) {
  const found = [];
  const events = Array.isArray(body.events) ? body.events : [];
  if (events.length === 0) found.push('at least one event is required');
  if (events.length > LIMITS.events) found.push(`a request carries at most ${LIMITS.events} events (${events.length} given)`);
  events.forEach((event, index) => {
    const name = String(event?.name ?? '');
    if (!NAME.test(name)) found.push(`event ${index} name "${name}" must start with a letter and use only letters, digits and underscores`);
    if (name.length > LIMITS.nameLength) found.push(`event ${index} name is longer than ${LIMITS.nameLength} characters`);
    if (RESERVED_EVENTS.has(name) || reservedPrefix(name)) found.push(`event ${index} name "${name}" is reserved by Google Analytics`);
    const params = event?.params ?? {};
    const names = Object.keys(params);
    if (names.length > LIMITS.params) found.push(`event ${index} has more than ${LIMITS.params} parameters`);
    for (const param of names) {
      if (param === 'items') continue;
      if (!NAME.test(param) || param.length > LIMITS.nameLength) found.push(`event ${index} parameter "${param}" must be a name of up to ${LIMITS.nameLength} letters, digits and underscores`);
      if (RESERVED_PARAMS.has(param) || reservedPrefix(param)) found.push(`event ${index} parameter "${param}" is reserved by Google Analytics`);
      const value = params[param];
      if (typeof value === 'string' && value.length > LIMITS.paramValueLength) found.push(`event ${index} parameter "${param}" is longer than ${LIMITS.paramValueLength} characters`);
    }
  });
  const userProperties = Object.entries(body.user_properties ?? {});
  if (userProperties.length > LIMITS.userProperties) found.push(`at most ${LIMITS.userProperties} user properties`);
  for (const [name, property] of userProperties) {
    if (!NAME.test(name) || name.length > LIMITS.userPropertyName) found.push(`user property "${name}" must be a name of up to ${LIMITS.userPropertyName} letters, digits and underscores`);
    if (RESERVED_USER_PROPERTIES.has(name) || reservedPrefix(name)) found.push(`user property "${name}" is reserved by Google Analytics`);
    const value = property?.value;
    if (typeof value === 'string' && value.length > LIMITS.userPropertyValue) found.push(`user property "${name}" is longer than ${LIMITS.userPropertyValue} characters`);
  }
  return found;
}

/** The validation server's messages as one readable sentence. */
const describe = (messages) => messages.map((message) => [message.fieldPath, message.description].filter(Boolean).join(': ') + (message.validationCode ? ` (${message.validationCode})` : '')).join('; ');

/**
 * Sends to the validation server (`/debug/mp/collect`): the same request, answered with
 * `{ validationMessages: [{ fieldPath, description, validationCode }] }`, never reported.
 * @param {Ga4Context} ctx
 */
async function validate(ctx, body) {
  const answer = await readJson(await ctx.http(endpoint(ctx, '/debug/mp/collect'), { method: 'POST', body: { ...body, validation_behavior: 'ENFORCE_RECOMMENDATIONS' } }), ctx);
  return Array.isArray(answer?.validationMessages) ? answer.validationMessages : [];
}

/**
 * Sends a request to `/mp/collect`. GA4 answers 2xx (204) for every request it receives, valid or not,
 * so the limits are checked first and anything else than 2xx is an outage.
 * @param {Ga4Context} ctx
 */
async function collect(ctx, body) {
  const found = problems(body);
  if (found.length) throw new ProviderRejectedError(`Not sent, Google Analytics would drop it: ${found.join('; ')}.`);
  const response = await ctx.http(endpoint(ctx, '/mp/collect'), { method: 'POST', body });
  await response.text();
  if (response.status === 429) await readJson(response, ctx);
  if (!response.ok) throw new Error(`Google Analytics answered ${response.status}`);
}

/** A stable, pseudonymous client id for a person known only by email (GA4 forbids sending emails). */
export function clientIdFor(key) {
  const digest = createHash('sha256').update(String(key).trim().toLowerCase()).digest();
  return `${digest.readUInt32BE(0)}.${digest.readUInt32BE(4)}`;
}

/** `timestamp_micros` for a time within GA4's 72-hour backdating window, else undefined (now). */
function timestampMicros(value) {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(time) || Date.now() - time > BACKDATE_LIMIT_MS || time > Date.now()) return undefined;
  return time * 1000;
}

const clip = (value) => (typeof value === 'string' ? value.slice(0, LIMITS.paramValueLength) : value);
const compact = (values) => Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== null && value !== ''));

const paramValue = { type: ['string', 'number', 'boolean'] };

export default definePlugin({
  providers: [
    {
      id: 'ga4',
      name: 'Google Analytics 4',
      category: 'analytics',
      description: 'Send server-side events to a Google Analytics 4 web stream with the Measurement Protocol: purchases when orders are paid, sign-ups when people register, and any events of your own.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          additionalProperties: false,
          required: ['apiSecret'],
          properties: {
            apiSecret: {
              type: 'string',
              secret: true,
              minLength: 10,
              maxLength: 100,
              title: 'Measurement Protocol API secret',
              description: 'Admin → Data streams → your stream → Measurement Protocol API secrets → Create',
            },
          },
        },
        apply: { query: { api_secret: '{apiSecret}' } },
      },
      // The measurement ID identifies the stream and is no secret: entered with the connection, kept in its
      // metadata, and added to each request's query next to the API secret.
      connectionInputs: {
        type: 'object',
        additionalProperties: false,
        required: ['measurementId'],
        properties: {
          measurementId: {
            type: 'string',
            pattern: '^G-[A-Z0-9]{4,20}$',
            title: 'Measurement ID',
            description: 'The web stream’s measurement ID (G-XXXXXXX): Admin → Data streams → your stream',
          },
        },
      },
      baseUrl: 'https://www.google-analytics.com',
      // No rateLimits: Google documents no request quota for the Measurement Protocol, only per-request
      // limits (25 events, 25 parameters per event, 130 kB), the 72-hour backdating window and GA4's
      // collection limits per property, which `problems` checks before each request.

      /**
       * Sends a sample event to the validation server. It does not check the API secret (Google says so):
       * the credentials are refused only when it reports a problem, e.g. with the measurement ID.
       * @param {Ga4Context} ctx
       */
      async verify(ctx) {
        const messages = await validate(ctx, { client_id: 'plugboard.verify', events: [{ name: 'plugboard_connection_test', params: {} }] });
        if (messages.length) throw new ProviderRejectedError(`Google Analytics refused the test event: ${describe(messages)}`);
        const measurementId = ctx.integration.metadata.measurementId;
        return { displayName: `Google Analytics 4 (${measurementId})`, metadata: { measurementId, apiSecretChecked: false } };
      },

      /** @param {Ga4Context} ctx */
      async healthCheck(ctx) {
        const messages = await validate(ctx, { client_id: 'plugboard.health', events: [{ name: 'plugboard_health_check', params: {} }] });
        if (messages.length) throw new ProviderRejectedError(`Google Analytics refused the test event: ${describe(messages)}`);
      },

      actions: {
        sendEvent: {
          description:
            'Sends up to 25 events for one client (browser) to Google Analytics 4. With validateOnly, the validation server checks them instead and answers its messages (nothing is reported).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['clientId', 'events'],
            properties: {
              clientId: { type: 'string', minLength: 1, maxLength: 256, description: 'The client id of the browser (the _ga cookie’s, e.g. 1234567890.1700000000)' },
              userId: { type: 'string', minLength: 1, maxLength: 256, description: 'Your own id of the signed-in user (never an email)' },
              timestampMicros: { type: 'integer', minimum: 0, description: 'When the events happened, in microseconds since the epoch (at most 72 hours ago)' },
              userProperties: {
                type: 'object',
                maxProperties: LIMITS.userProperties,
                propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,23}$' },
                additionalProperties: { type: ['string', 'number'] },
              },
              events: {
                type: 'array',
                minItems: 1,
                maxItems: LIMITS.events,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['name'],
                  properties: {
                    name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,39}$', description: 'Letters, digits and underscores, starting with a letter, up to 40' },
                    params: {
                      type: 'object',
                      maxProperties: LIMITS.params,
                      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,39}$' },
                      additionalProperties: { anyOf: [{ type: 'string', maxLength: LIMITS.paramValueLength }, { type: ['number', 'boolean'] }, { type: 'array', maxItems: 200, items: { type: 'object' } }] },
                    },
                  },
                },
              },
              validateOnly: { type: 'boolean', default: false },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['sent', 'eventCount'],
            properties: {
              sent: { type: 'boolean' },
              eventCount: { type: 'integer' },
              validationMessages: { type: 'array', items: { type: 'object', properties: { fieldPath: { type: 'string' }, description: { type: 'string' }, validationCode: { type: 'string' } } } },
            },
          },
          /** @param {Ga4Context} ctx */
          async run(ctx, input) {
            const body = compact({
              client_id: input.clientId,
              user_id: input.userId,
              timestamp_micros: input.timestampMicros,
              user_properties: input.userProperties ? Object.fromEntries(Object.entries(input.userProperties).map(([name, value]) => [name, { value }])) : undefined,
              events: input.events.map((event) => ({ name: event.name, params: event.params ?? {} })),
            });
            if (input.validateOnly) {
              const validationMessages = await validate(ctx, body);
              return { sent: false, eventCount: body.events.length, validationMessages };
            }
            await collect(ctx, body);
            return { sent: true, eventCount: body.events.length };
          },
        },
      },

      onEvent: {
        /**
         * A `purchase` for a paid order: value in major units with its currency, the order id as
         * `transaction_id` (GA4 de-duplicates purchases by it), the line items as items.
         * @param {Ga4Context} ctx
         */
        async 'order.paid'(ctx, event) {
          const data = event.data ?? {};
          if (!Number.isInteger(data.totalAmount) || typeof data.currency !== 'string' || !/^[A-Z]{3}$/.test(data.currency)) {
            ctx.log.warn('paid order without an amount and currency: no purchase sent', { eventId: event.id });
            return;
          }
          const items = (Array.isArray(data.lineItems) ? data.lineItems : [])
            .slice(0, 200)
            .map((item, index) => compact({ item_id: clip(item?.productId ?? `line_${index + 1}`), item_name: clip(item?.title), quantity: item?.quantity }));
          await collect(
            ctx,
            compact({
              client_id: clientIdFor(data.email ?? data.orderId ?? event.id),
              timestamp_micros: timestampMicros(data.createdAt) ?? timestampMicros(event.timestamp),
              events: [
                {
                  name: 'purchase',
                  params: compact({
                    transaction_id: clip(String(data.orderId)),
                    value: toMajorUnits(data.totalAmount, data.currency),
                    currency: data.currency,
                    affiliation: clip(data.provider),
                    items: items.length ? items : undefined,
                  }),
                },
              ],
            }),
          );
          ctx.log.info('purchase sent', { eventId: event.id });
        },

        /** A `sign_up` for a registration. @param {Ga4Context} ctx */
        async 'registration.received'(ctx, event) {
          const data = event.data ?? {};
          await collect(
            ctx,
            compact({
              client_id: clientIdFor(data.email ?? data.registrationId ?? event.id),
              timestamp_micros: timestampMicros(data.registeredAt) ?? timestampMicros(event.timestamp),
              events: [{ name: 'sign_up', params: compact({ method: 'registration', registration_id: clip(data.registrationId), event_session_id: clip(data.sessionId) }) }],
            }),
          );
          ctx.log.info('sign_up sent', { eventId: event.id });
        },
      },
    },
  ],
});
