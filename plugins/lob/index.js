// Lob provider for Plugboard, written against the Lob API reference (https://docs.lob.com, OpenAPI github.com/lob/lob-openapi v1.22: Letters, Postcards, US Verifications, Addresses, Events, Rate Limiting, Idempotent Requests) and Lob's webhooks guide (https://help.lob.com/print-and-mail/getting-data-and-results/using-webhooks).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string, webhookSecret?: string }} LobCredentials
 * @typedef {{
 *   fromAddressId?: string,
 *   useType?: 'marketing' | 'operational',
 *   processedForDeliveryCounts?: boolean,
 *   syncDays?: number,
 * }} LobSettings
 * @typedef {import('plugboard/sdk').PluginContext<LobCredentials, LobSettings>} LobContext
 * @typedef {{ name?: string, company?: string, addressLine1: string, addressLine2?: string, city: string, state: string, zip: string }} UsAddress
 *
 * Lob's error body: `{ error: { message, status_code, code } }`.
 * @typedef {{ error?: { message?: string, status_code?: number, code?: string } }} LobError
 */

const BASE_URL = 'https://api.lob.com/v1';
const ADDRESS_ID = '^adr_[a-zA-Z0-9]+$';
const TEMPLATE_ID = '^tmpl_[a-zA-Z0-9]+$';
/** Secret API keys: `test_…` or `live_…`; publishable keys (`test_pub_…`, `live_pub_…`) cannot send mail. */
const API_KEY = '^(test|live)_(?!pub_)[A-Za-z0-9]{16,128}$';

/** Lob's idempotency keys: at most 256 characters, kept 24 hours, per mode and resource. */
const IDEMPOTENCY_KEY_MAX = 256;
/** Webhook timestamps further from now than this are refused (replays). */
const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

/** Mail piece sync: Lob's largest page, a bound on pages per model, how far back by default. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
const DEFAULT_SYNC_DAYS = 30;

/**
 * Tracking events that mean a mail piece reached (or is about to reach) its recipient. `Delivered`
 * is the carrier's final scan; `Processed for Delivery` means the piece "should reach the mailbox
 * within 1 business day" (Lob's tracking events), which is as close to delivery as most pieces get,
 * so it counts unless the setting says otherwise. In Local Area and the rest are ignored.
 */
const DELIVERY_EVENT = /^(letter|postcard|self_mailer|check)\.(?:certified\.)?(delivered|processed_for_delivery)$/;

const nonEmpty = (value) => typeof value === 'string' && value.trim() !== '';

/** Lob's error codes a person can act on better with a sentence of ours. */
const ERROR_HINTS = {
  unauthorized: 'check the API key (Lob Dashboard → Settings → API Keys): a secret key, test_… or live_…',
  invalid_api_key: 'check the API key (Lob Dashboard → Settings → API Keys): a secret key, test_… or live_…',
  publishable_key_not_allowed: 'use a secret API key, not a publishable one',
  payment_method_unverified: 'add a verified payment method to the Lob account before sending live mail',
  email_required: 'verify the Lob account’s email address before creating live mail',
  billing_address_required: 'add a billing address to the Lob account before creating live mail',
  failed_deliverability_strictness:
    'the recipient address does not meet the account’s US Mail strictness setting; check it with verifyAddress, or relax strictness in Lob’s account settings',
  address_length_exceeds_limit: 'shorten the address: address_line1 and address_line2 together may have at most 50 characters',
  foreign_return_address: 'the sender (from) must be a US address',
};

/**
 * Lob's error body as a message a person can act on (422 address errors name the field, e.g.
 * "to.address_zip must be …"). The API key is never part of it.
 * @param {LobError | undefined} body
 */
function lobMessage(body) {
  const error = body?.error;
  if (!error || typeof error !== 'object') return undefined;
  const code = nonEmpty(error.code) ? error.code.toLowerCase() : undefined;
  const message = nonEmpty(error.message) ? error.message.trim() : undefined;
  if (!message && !code) return undefined;
  const hint = code ? ERROR_HINTS[code] : undefined;
  const said = message ?? code;
  return hint ? `Lob: ${said} (${code}): ${hint}.` : `Lob: ${said}${code ? ` (${code})` : ''}`;
}

/** How Lob's errors read, for the host (`readJson`, declared requests). */
const errors = { message: lobMessage };

/**
 * Calls the Lob API; the host sends the API key as the Basic username with an empty password.
 * @param {LobContext} ctx
 * @param {string} path relative to https://api.lob.com/v1, or a full URL under it (a list's next_url)
 */
async function lob(ctx, path, init = {}) {
  const response = await ctx.http(path, { method: init.method ?? 'GET', headers: { accept: 'application/json', ...init.headers }, ...(init.body ? { body: init.body } : {}) });
  return readJson(response, ctx, errors);
}

/** test or live, from the key's prefix (Lob's keys are `test_…` and `live_…`). @param {LobContext} ctx */
function modeOf(ctx) {
  return String(ctx.credentials?.apiKey ?? '').startsWith('live_') ? 'live' : 'test';
}

/**
 * A US address in Lob's shape, or an address id (`adr_…`) as it is.
 * @param {string | UsAddress} value
 */
function lobAddress(value) {
  if (typeof value === 'string') return value;
  return {
    ...(value.name ? { name: value.name } : {}),
    ...(value.company ? { company: value.company } : {}),
    address_line1: value.addressLine1,
    ...(value.addressLine2 ? { address_line2: value.addressLine2 } : {}),
    address_city: value.city,
    address_state: value.state.toUpperCase(),
    address_zip: value.zip,
    address_country: 'US',
  };
}

/** The sender: the input's, else the configured return address. @param {LobContext} ctx */
function senderOf(ctx, input, required) {
  const from = input.from ?? ctx.settings?.fromAddressId;
  if (!from && required) {
    throw new ProviderRejectedError('No sender: give "from" (an address or a Lob address id), or set a return address id (adr_…) in the Lob settings.');
  }
  return from ? lobAddress(from) : undefined;
}

/** @param {LobContext} ctx */
function useTypeOf(ctx, input) {
  const useType = input.useType ?? ctx.settings?.useType;
  if (!useType) {
    throw new ProviderRejectedError('No use type: Lob needs to know whether the mail is marketing or operational; give "useType" or set it in the Lob settings.');
  }
  return useType;
}

/** Idempotency-Key: the caller's (so a retried call answers with the first mail piece), else a fresh one. */
function idempotencyKeyOf(input) {
  return input.idempotencyKey ?? randomUUID();
}

/** The newest tracking event of a mail piece, if any. */
function latestTracking(piece) {
  const events = Array.isArray(piece?.tracking_events) ? piece.tracking_events : [];
  // Lob lists them oldest first; on equal times the later one in the list wins.
  return events.reduce((latest, event) => (!latest || String(event?.time ?? '') >= String(latest?.time ?? '') ? event : latest), undefined);
}

function mailPieceSummary(piece, key) {
  return {
    id: piece.id,
    description: piece.description ?? null,
    toAddressId: typeof piece.to === 'object' ? (piece.to?.id ?? null) : (piece.to ?? null),
    fromAddressId: typeof piece.from === 'object' ? (piece.from?.id ?? null) : (piece.from ?? null),
    expectedDeliveryDate: piece.expected_delivery_date ?? null,
    sendDate: piece.send_date ?? null,
    dateCreated: piece.date_created ?? null,
    mailType: piece.mail_type ?? null,
    carrier: piece.carrier ?? null,
    trackingNumber: piece.tracking_number ?? null,
    url: piece.url ?? null,
    idempotencyKey: key,
  };
}

/** A header of an inbound request, whatever its case. */
function header(req, name) {
  for (const [key, value] of Object.entries(req?.headers ?? {})) if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(',') : value;
  return undefined;
}

/** Constant-time equality of two strings (false when their lengths differ). */
function sameText(a, b) {
  const left = Buffer.from(String(a), 'utf8');
  const right = Buffer.from(String(b), 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Lob-Signature-Timestamp as epoch milliseconds. Lob sends epoch milliseconds; a value of ten digits
 * is read as seconds, so a sender in either unit is judged by the same window.
 */
function timestampMs(value) {
  if (!/^\d{10,13}$/.test(value)) return undefined;
  return value.length >= 13 ? Number(value) : Number(value) * 1000;
}

function eventOf(req) {
  if (req?.body && typeof req.body === 'object' && !Array.isArray(req.body)) return req.body;
  try {
    const parsed = JSON.parse(req?.rawBody ?? '');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const isoOrNull = (value) => (nonEmpty(value) && !Number.isNaN(Date.parse(value)) ? new Date(Date.parse(value)).toISOString() : null);

/**
 * Every mail piece of one kind created in the sync window, newest first, page by page through
 * `next_url` (only ever a URL of the same list: credentials never follow a link elsewhere).
 * @param {LobContext} ctx
 * @param {'letters' | 'postcards'} resource
 */
async function listMailPieces(ctx, resource, since) {
  const list = `${BASE_URL}/${resource}?`;
  let next = `/${resource}?${new URLSearchParams({ limit: String(PAGE_SIZE), 'date_created[gte]': since })}`;
  const pieces = [];
  for (let page = 0; next; page += 1) {
    if (page === MAX_PAGES) {
      ctx.log.warn(`Lob ${resource} sync stopped after the page limit; older mail pieces of the window were not read`, { pages: MAX_PAGES });
      break;
    }
    const body = await lob(ctx, next);
    pieces.push(...(Array.isArray(body?.data) ? body.data : []));
    const url = body?.next_url;
    next = nonEmpty(url) && url.startsWith(list) ? url : undefined;
  }
  return pieces;
}

function mailPieceRecord(piece, kind) {
  const latest = latestTracking(piece);
  return {
    id: piece.id,
    kind,
    description: piece.description ?? null,
    mailType: piece.mail_type ?? null,
    useType: piece.use_type ?? null,
    sendDate: piece.send_date ?? null,
    expectedDeliveryDate: piece.expected_delivery_date ?? null,
    carrier: piece.carrier ?? null,
    trackingNumber: piece.tracking_number ?? null,
    latestTrackingEvent: latest?.name ?? null,
    latestTrackingEventAt: latest?.time ?? null,
    metadata: piece.metadata && typeof piece.metadata === 'object' ? piece.metadata : {},
    dateCreated: piece.date_created ?? null,
    dateModified: piece.date_modified ?? null,
  };
}

const metadata = {
  type: 'object',
  maxProperties: 20,
  propertyNames: { minLength: 1, maxLength: 40, pattern: '^[^"\\\\]+$' },
  additionalProperties: { type: 'string', maxLength: 500, pattern: '^[^"\\\\]*$' },
  description: 'Your labels, kept by Lob and sent back in its events (at most 20; keys ≤ 40 characters, values ≤ 500; no " or \\)',
};
const usAddress = {
  type: 'object',
  additionalProperties: false,
  required: ['addressLine1', 'city', 'state', 'zip'],
  anyOf: [{ required: ['name'] }, { required: ['company'] }],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 40, description: 'Either name or company (or both)' },
    company: { type: 'string', minLength: 1, maxLength: 40 },
    addressLine1: { type: 'string', minLength: 1, maxLength: 64, description: 'Number, street and direction' },
    addressLine2: { type: 'string', minLength: 1, maxLength: 64, description: 'Suite, unit, …' },
    city: { type: 'string', minLength: 1, maxLength: 200 },
    state: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'Two-letter state code' },
    zip: { type: 'string', pattern: '^\\d{5}(-\\d{4})?$', description: '12345 or 12345-6789' },
  },
};
const address = (description) => ({ description, anyOf: [{ type: 'string', pattern: ADDRESS_ID, description: 'A saved Lob address id' }, usAddress] });
const content = (description, extensions) => ({
  description,
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 10_000, pattern: '<', description: 'HTML, under 10,000 characters' },
    { type: 'string', maxLength: 2048, pattern: `^https://[-a-zA-Z0-9@:%._+~#=/]{1,256}\\.(${extensions})$`, description: 'An https URL Lob downloads (≤ 5 MB)' },
    { type: 'string', pattern: TEMPLATE_ID, description: 'A Lob template id' },
  ],
});
const useType = { type: 'string', enum: ['marketing', 'operational'], description: 'What the mail is for, as Lob must declare it; defaults to the setting' };
const idempotencyKey = {
  type: 'string',
  minLength: 1,
  maxLength: IDEMPOTENCY_KEY_MAX,
  description: 'Sent as Idempotency-Key: the same key within 24 hours answers with the mail piece already created instead of sending another',
};
const mailType = { type: 'string', enum: ['usps_first_class', 'usps_standard'], description: 'USPS class (Lob’s default: first class)' };
const sendDate = { type: 'string', format: 'date-time', description: 'Schedule the mail piece for this time (up to 180 days ahead)' };
const mailPieceOutput = {
  type: 'object',
  required: ['id', 'idempotencyKey'],
  properties: {
    id: { type: 'string', description: 'ltr_… or psc_…' },
    description: { type: ['string', 'null'] },
    toAddressId: { type: ['string', 'null'] },
    fromAddressId: { type: ['string', 'null'] },
    expectedDeliveryDate: { type: ['string', 'null'], format: 'date' },
    sendDate: { type: ['string', 'null'] },
    dateCreated: { type: ['string', 'null'] },
    mailType: { type: ['string', 'null'] },
    carrier: { type: ['string', 'null'] },
    trackingNumber: { type: ['string', 'null'] },
    url: { type: ['string', 'null'], description: 'A signed link to the rendered PDF (expires after 30 days)' },
    idempotencyKey: { type: 'string', description: 'The Idempotency-Key sent: repeat it to retry safely' },
    mode: { type: 'string', enum: ['test', 'live'], description: 'test: nothing is printed or mailed' },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'lob',
      name: 'Lob',
      category: 'communication',
      description: 'Send letters and postcards by post through Lob Print & Mail, verify US addresses, and hear when mail is delivered.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: {
            apiKey: {
              type: 'string',
              title: 'Secret API key',
              description: 'Lob Dashboard → Settings → API Keys: test_… (nothing is printed or mailed) or live_… (real, billed mail). Publishable keys cannot send mail',
              pattern: API_KEY,
              secret: true,
            },
            webhookSecret: {
              type: 'string',
              title: 'Webhook secret',
              description: 'Lob Dashboard → Webhooks: the secret of the webhook that posts tracking events to this connection’s hook URL (of the same mode as the key)',
              minLength: 8,
              maxLength: 256,
              pattern: '^\\S+$',
              secret: true,
            },
          },
        },
        // Lob: "use your API key as the username while leaving the password blank". The SDK fills
        // templates without placeholders as they are, so '' is an empty password (`Basic base64(key:)`).
        apply: { basic: { username: '{apiKey}', password: '' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          fromAddressId: {
            type: 'string',
            pattern: ADDRESS_ID,
            title: 'Return address id',
            description: 'A saved Lob address (adr_…, a US address) used as the sender when an action gives none; checked when connecting',
          },
          useType: { ...useType, title: 'Use type', description: 'marketing or operational: Lob requires one for every letter and postcard' },
          processedForDeliveryCounts: {
            type: 'boolean',
            default: true,
            title: 'Count "Processed for Delivery" as delivered',
            description: 'Report mail_piece.delivered at Processed for Delivery (in the mailbox within a business day) as well as at the carrier’s Delivered scan',
          },
          syncDays: { type: 'integer', minimum: 1, maximum: 180, default: DEFAULT_SYNC_DAYS, title: 'Sync window (days)', description: 'Letters and postcards created this many days back are synced' },
        },
      },
      baseUrl: BASE_URL,
      errors,
      // Lob's Rate Limiting: 150 requests per 5 seconds per API key and endpoint, 300 for
      // POST /v1/us_verifications; a connection is one API key. 429 bodies say when to retry.
      rateLimits: [
        ...['POST /letters', 'GET /letters', 'POST /postcards', 'GET /postcards', 'GET /addresses'].map((endpoint) => ({
          requests: 150,
          windowMs: 5_000,
          scope: 'connection',
          match: [endpoint],
        })),
        { requests: 300, windowMs: 5_000, scope: 'connection', match: ['POST /us_verifications'] },
      ],

      /**
       * Checks the key with the cheapest list (one address), records whether it is a test or live key,
       * and checks the configured return address exists in that mode.
       * @param {LobContext} ctx
       */
      async verify(ctx) {
        await lob(ctx, '/addresses?limit=1');
        const mode = modeOf(ctx);
        const fromAddressId = ctx.settings?.fromAddressId;
        let from;
        if (fromAddressId) {
          try {
            from = await lob(ctx, `/addresses/${encodeURIComponent(fromAddressId)}`);
          } catch (error) {
            if (error?.code === 'provider_rejected') {
              throw new ProviderRejectedError(`The return address ${fromAddressId} is not a saved address of this Lob account in ${mode} mode (${error.message}).`);
            }
            throw error;
          }
        }
        return {
          displayName: mode === 'live' ? 'Lob (live)' : 'Lob (test mode: nothing is mailed)',
          metadata: { mode, livemode: mode === 'live', fromAddressId: from?.id ?? null },
        };
      },

      /** One address: the cheapest authenticated call. */
      healthCheck: { request: { path: '/addresses', query: { limit: '1' } } },

      actions: {
        sendLetter: {
          description:
            'Prints and mails a letter (8.5"×11", in a window envelope) to a US address: the content is HTML, a PDF at an https URL, or a Lob template. Idempotent through Idempotency-Key.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['to', 'file'],
            properties: {
              to: address('The recipient: a US address, or a saved Lob address id (adr_…)'),
              from: address('The sender (a US address or adr_…); defaults to the configured return address'),
              file: content('The letter', 'pdf|html?'),
              color: { type: 'boolean', default: false, description: 'Print in color (default black and white)' },
              doubleSided: { type: 'boolean', description: 'Print on both sides (Lob’s default: true)' },
              description: { type: 'string', minLength: 1, maxLength: 255, description: 'Your internal description' },
              useType,
              mailType,
              sendDate,
              metadata,
              idempotencyKey,
            },
          },
          outputSchema: mailPieceOutput,
          /** @param {LobContext} ctx */
          async run(ctx, input) {
            const from = senderOf(ctx, input, true);
            const key = idempotencyKeyOf(input);
            const letter = await lob(ctx, '/letters', {
              method: 'POST',
              headers: { 'Idempotency-Key': key },
              body: {
                to: lobAddress(input.to),
                from,
                file: input.file,
                color: input.color ?? false,
                use_type: useTypeOf(ctx, input),
                ...(input.doubleSided === undefined ? {} : { double_sided: input.doubleSided }),
                ...(input.description ? { description: input.description } : {}),
                ...(input.mailType ? { mail_type: input.mailType } : {}),
                ...(input.sendDate ? { send_date: input.sendDate } : {}),
                ...(input.metadata ? { metadata: input.metadata } : {}),
              },
            });
            if (!nonEmpty(letter?.id)) throw new Error('Lob answered the letter without an id');
            return { ...mailPieceSummary(letter, key), mode: modeOf(ctx) };
          },
        },

        sendPostcard: {
          description: 'Prints and mails a postcard to a US address: front and back are HTML, an https file URL, or a Lob template. Idempotent through Idempotency-Key.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['to', 'front', 'back'],
            properties: {
              to: address('The recipient: a US address, or a saved Lob address id (adr_…)'),
              from: address('The sender (optional on postcards); defaults to the configured return address'),
              front: content('The front', 'pdf|html?|png|jpg'),
              back: content('The back (Lob prints the address block on it)', 'pdf|html?|png|jpg'),
              size: { type: 'string', enum: ['4x6', '6x9', '6x11'], description: 'Inches (default 4x6)' },
              description: { type: 'string', minLength: 1, maxLength: 255 },
              useType,
              mailType,
              sendDate,
              metadata,
              idempotencyKey,
            },
          },
          outputSchema: mailPieceOutput,
          /** @param {LobContext} ctx */
          async run(ctx, input) {
            const from = senderOf(ctx, input, false);
            const key = idempotencyKeyOf(input);
            const postcard = await lob(ctx, '/postcards', {
              method: 'POST',
              headers: { 'Idempotency-Key': key },
              body: {
                to: lobAddress(input.to),
                ...(from ? { from } : {}),
                front: input.front,
                back: input.back,
                use_type: useTypeOf(ctx, input),
                ...(input.size ? { size: input.size } : {}),
                ...(input.description ? { description: input.description } : {}),
                ...(input.mailType ? { mail_type: input.mailType } : {}),
                ...(input.sendDate ? { send_date: input.sendDate } : {}),
                ...(input.metadata ? { metadata: input.metadata } : {}),
              },
            });
            if (!nonEmpty(postcard?.id)) throw new Error('Lob answered the postcard without an id');
            return { ...mailPieceSummary(postcard, key), mode: modeOf(ctx) };
          },
        },

        verifyAddress: {
          description:
            'Checks a US address against USPS data: its deliverability and the standardized address. With a test key Lob verifies nothing and answers only for its documented test values of primaryLine (e.g. "deliverable", "missing unit").',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['primaryLine'],
            anyOf: [{ required: ['zipCode'] }, { required: ['city', 'state'] }],
            properties: {
              primaryLine: { type: 'string', minLength: 1, maxLength: 500, description: 'Number, street and direction (210 King Street)' },
              secondaryLine: { type: 'string', minLength: 1, maxLength: 500, description: 'Unit, suite, …' },
              city: { type: 'string', minLength: 1, maxLength: 200 },
              state: { type: 'string', minLength: 2, maxLength: 50, description: 'Two-letter code or name' },
              zipCode: { type: 'string', pattern: '^\\d{5}(-?\\d{4})?$', description: 'ZIP or ZIP+4; or give city and state' },
              recipient: { type: 'string', minLength: 1, maxLength: 500 },
              urbanization: { type: 'string', minLength: 1, maxLength: 500, description: 'Puerto Rico only' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['deliverability', 'deliverable'],
            properties: {
              verificationId: { type: ['string', 'null'] },
              deliverability: {
                type: ['string', 'null'],
                enum: ['deliverable', 'deliverable_unnecessary_unit', 'deliverable_incorrect_unit', 'deliverable_missing_unit', 'undeliverable', null],
              },
              deliverable: { type: 'boolean', description: 'USPS delivers there (the unit may still be missing or wrong: see deliverability)' },
              primaryLine: { type: ['string', 'null'] },
              secondaryLine: { type: ['string', 'null'] },
              urbanization: { type: ['string', 'null'] },
              lastLine: { type: ['string', 'null'] },
              city: { type: ['string', 'null'] },
              state: { type: ['string', 'null'] },
              zipCode: { type: ['string', 'null'] },
              zipCodePlus4: { type: ['string', 'null'] },
              validAddress: { type: ['boolean', 'null'] },
              confidenceScore: { type: ['number', 'null'] },
              confidenceLevel: { type: ['string', 'null'] },
              mode: { type: 'string', enum: ['test', 'live'] },
            },
          },
          /** @param {LobContext} ctx */
          async run(ctx, input) {
            const answer = await lob(ctx, '/us_verifications', {
              method: 'POST',
              body: {
                primary_line: input.primaryLine,
                ...(input.secondaryLine ? { secondary_line: input.secondaryLine } : {}),
                ...(input.city ? { city: input.city } : {}),
                ...(input.state ? { state: input.state } : {}),
                ...(input.zipCode ? { zip_code: input.zipCode } : {}),
                ...(input.recipient ? { recipient: input.recipient } : {}),
                ...(input.urbanization ? { urbanization: input.urbanization } : {}),
              },
            });
            const components = answer?.components ?? {};
            const deliverability = nonEmpty(answer?.deliverability) ? answer.deliverability : null;
            return {
              verificationId: answer?.id ?? null,
              deliverability,
              deliverable: deliverability !== null && deliverability !== 'undeliverable',
              primaryLine: answer?.primary_line || null,
              secondaryLine: answer?.secondary_line || null,
              urbanization: answer?.urbanization || null,
              lastLine: answer?.last_line || null,
              city: components.city || null,
              state: components.state || null,
              zipCode: components.zip_code || null,
              zipCodePlus4: components.zip_code_plus_4 || null,
              validAddress: typeof answer?.valid_address === 'boolean' ? answer.valid_address : null,
              confidenceScore: typeof answer?.lob_confidence_score?.score === 'number' ? answer.lob_confidence_score.score : null,
              confidenceLevel: answer?.lob_confidence_score?.level || null,
              mode: modeOf(ctx),
            };
          },
        },
      },

      sync: {
        defaultFrequency: '6h',
        /**
         * Letters and postcards created in the sync window (newest first, `next_url` paging), each with
         * its latest tracking event; cancelled ones (`deleted: true`) are reported deleted.
         * @param {LobContext} ctx
         */
        async run(ctx) {
          const days = Number.isInteger(ctx.settings?.syncDays) ? ctx.settings.syncDays : DEFAULT_SYNC_DAYS;
          const since = new Date(Date.now() - days * 86_400_000).toISOString();
          const records = {};
          const deleted = {};
          for (const [model, kind] of [
            ['letters', 'letter'],
            ['postcards', 'postcard'],
          ]) {
            const pieces = await listMailPieces(ctx, model, since);
            records[model] = pieces.filter((piece) => nonEmpty(piece?.id) && piece.deleted !== true).map((piece) => mailPieceRecord(piece, kind));
            const gone = pieces.filter((piece) => nonEmpty(piece?.id) && piece.deleted === true).map((piece) => piece.id);
            if (gone.length > 0) deleted[model] = gone;
          }
          return Object.keys(deleted).length > 0 ? { records, deleted } : { records };
        },
      },

      webhook: {
        /**
         * Lob-Signature: hex HMAC-SHA256, keyed with the webhook's secret, of
         * `{Lob-Signature-Timestamp}.{raw body}`; compared in constant time, with the timestamp within
         * five minutes of now.
         * @param {LobContext} ctx
         */
        verify(ctx, req) {
          const secret = ctx.credentials?.webhookSecret;
          if (!nonEmpty(secret)) {
            ctx.log.warn('a Lob webhook arrived but no webhook secret is configured: it cannot be verified');
            return false;
          }
          const signature = header(req, 'lob-signature');
          const timestamp = header(req, 'lob-signature-timestamp');
          if (!nonEmpty(signature) || !nonEmpty(timestamp) || typeof req?.rawBody !== 'string') return false;
          const sentAt = timestampMs(timestamp.trim());
          if (sentAt === undefined || Math.abs(Date.now() - sentAt) > SIGNATURE_TOLERANCE_MS) return false;
          const expected = createHmac('sha256', secret).update(`${timestamp.trim()}.${req.rawBody}`, 'utf8').digest('hex');
          return sameText(signature.trim().toLowerCase(), expected);
        },

        /**
         * letter/postcard/self_mailer/check `.delivered` (and `.certified.delivered`) → mail_piece.delivered;
         * `.processed_for_delivery` too unless the setting turns it off. Everything else is dropped.
         * @param {LobContext} ctx
         */
        toEvents(ctx, req) {
          const event = eventOf(req);
          const type = event?.event_type?.id;
          const match = nonEmpty(type) ? DELIVERY_EVENT.exec(type) : null;
          if (!match) return [];
          if (match[2] === 'processed_for_delivery' && ctx.settings?.processedForDeliveryCounts === false) return [];
          const piece = event.body && typeof event.body === 'object' ? event.body : {};
          const mailPieceId = nonEmpty(piece.id) ? piece.id : event.reference_id;
          if (!nonEmpty(mailPieceId)) return [];
          const wanted = match[2] === 'delivered' ? 'Delivered' : 'Processed for Delivery';
          const scan = (Array.isArray(piece.tracking_events) ? piece.tracking_events : [])
            .filter((tracking) => String(tracking?.name ?? '').toLowerCase() === wanted.toLowerCase())
            .reduce((latest, tracking) => (!latest || String(tracking?.time ?? '') >= String(latest.time ?? '') ? tracking : latest), undefined);
          const deliveredAt = isoOrNull(scan?.time) ?? isoOrNull(event.date_created) ?? new Date().toISOString();
          return [
            {
              event: 'mail_piece.delivered',
              data: {
                mailPieceId,
                provider: 'lob',
                kind: match[1],
                trackingEvent: type,
                deliveredAt,
                ...(nonEmpty(event.id) ? { lobEventId: event.id } : {}),
                ...(nonEmpty(piece.description) ? { description: piece.description } : {}),
                ...(piece.metadata && typeof piece.metadata === 'object' && Object.keys(piece.metadata).length > 0 ? { metadata: piece.metadata } : {}),
              },
            },
          ];
        },
      },
    },
  ],
});
