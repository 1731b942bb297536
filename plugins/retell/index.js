// Retell AI provider for Plugboard, written against the Retell API reference (https://docs.retellai.com/api-references, as of retell-sdk 5.x) and its webhook guides (https://docs.retellai.com/features/webhook-overview, https://docs.retellai.com/features/secure-webhook).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string, webhookApiKey?: string }} RetellCredentials
 * @typedef {{ includeTranscript?: boolean }} RetellSettings
 * @typedef {import('plugboard/sdk').PluginContext<RetellCredentials, RetellSettings>} RetellContext
 * @typedef {{ method: string, headers: Record<string, string>, query: Record<string, string>, rawBody: string, body?: unknown }} InboundRequest
 *
 * Retell's error body: `{ status: "error", message }`.
 * @typedef {{ status?: string, message?: string }} RetellError
 */

const E164 = '^\\+[1-9]\\d{1,14}$';
const E164_PATTERN = new RegExp(E164);
/** Agent IDs: `agent_` and hex today, 32 letters and digits for older agents. */
const AGENT_ID = '^[A-Za-z0-9_-]{1,128}$';
/** Retell signs `x-retell-signature` as `v=<unix ms>,d=<hex HMAC-SHA256>` and its SDKs accept five minutes either way. */
const SIGNATURE = /^v=(\d{1,16}),d=([0-9a-f]{64})$/i;
const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;
/** Transcripts longer than this stay out of call.ended (the event would be too large); fetch them from Retell instead. */
const MAX_TRANSCRIPT = 50_000;
const MAX_REASON = 200;

/**
 * Retell's error body as a message a person can act on.
 * @param {RetellError | undefined} body
 * @param {number} [status]
 * @param {string} [hint] what to check when Retell cannot find something (422)
 */
function describeError(body, status, hint) {
  const said = typeof body?.message === 'string' ? body.message.trim() : '';
  if (!said && status === undefined) return undefined;
  const message = said || `HTTP ${status}`;
  switch (status) {
    case 401:
      return `Retell refused the API key: ${message} Check the key in the Retell dashboard (Settings → API Keys).`;
    case 402:
      return `Retell: ${message} (402 Payment Required). Add a payment method or credits to the Retell workspace.`;
    case 422:
      return hint ? `Retell: ${message} ${hint}` : `Retell: ${message}`;
    case 429:
      return `Retell is rate limiting this workspace: ${message}`;
    default:
      return `Retell: ${message}`;
  }
}

/** How Retell's errors read, for the host's declared requests. */
const errors = { message: (body) => describeError(body) };

/**
 * Calls the API (the host adds `Authorization: Bearer <api key>`): the JSON answer, or what a refusal means.
 * @param {RetellContext} ctx
 * @param {string} path relative to https://api.retellai.com
 * @param {{ method?: string, body?: Record<string, unknown> }} [init]
 * @param {string} [hint]
 */
async function retell(ctx, path, init = {}, hint) {
  const response = await ctx.http(path, { method: init.method ?? 'GET', headers: { accept: 'application/json' }, ...(init.body ? { body: init.body } : {}) });
  return readJson(response, ctx, { message: (body) => describeError(body, response.status, hint) });
}

/** The fields Retell takes for a call or chat placed from one of the workspace's numbers. */
function conversationBody(input) {
  return {
    from_number: input.fromNumber,
    to_number: input.toNumber,
    ...(input.agentId ? { override_agent_id: input.agentId } : {}),
    ...(input.agentVersion === undefined ? {} : { override_agent_version: input.agentVersion }),
    ...(input.metadata ? { metadata: input.metadata } : {}),
    ...(input.dynamicVariables && Object.keys(input.dynamicVariables).length ? { retell_llm_dynamic_variables: input.dynamicVariables } : {}),
  };
}

const NOT_FOUND_HINT = 'Check that the from number is a phone number of this Retell workspace (purchased or imported) and that the agent ID exists.';

/** POST /v2/create-phone-call. @param {RetellContext} ctx */
async function createPhoneCall(ctx, input) {
  const call = await retell(ctx, '/v2/create-phone-call', { method: 'POST', body: conversationBody(input) }, NOT_FOUND_HINT);
  if (typeof call?.call_id !== 'string') throw new Error('Retell answered the call creation without a call_id');
  ctx.log.info('Retell call registered', { callId: call.call_id, agentId: call.agent_id ?? null });
  return {
    callId: call.call_id,
    callStatus: call.call_status ?? null,
    agentId: call.agent_id ?? null,
    agentVersion: Number.isInteger(call.agent_version) ? call.agent_version : null,
    direction: call.direction ?? 'outbound',
    fromNumber: call.from_number ?? input.fromNumber,
    toNumber: call.to_number ?? input.toNumber,
  };
}

/** POST /create-sms-chat: the agent (a chat agent) writes the first message itself. @param {RetellContext} ctx */
async function createSmsChat(ctx, input) {
  const chat = await retell(
    ctx,
    '/create-sms-chat',
    { method: 'POST', body: conversationBody(input) },
    'Check that the from number is an SMS-capable number of this Retell workspace and that the agent ID is a chat agent.',
  );
  if (typeof chat?.chat_id !== 'string') throw new Error('Retell answered the SMS chat creation without a chat_id');
  return { chatId: chat.chat_id, chatStatus: chat.chat_status ?? null, agentId: chat.agent_id ?? null, chatType: chat.chat_type ?? 'sms_chat' };
}

/** One page of POST /v2/list-agents (paging in the query, filters in the body). @param {RetellContext} ctx */
async function listAgents(ctx, input = {}) {
  const query = new URLSearchParams({ limit: String(input.limit ?? 50), sort_order: input.sortOrder ?? 'descending' });
  if (input.paginationKey) query.set('pagination_key', input.paginationKey);
  const criteria = {
    ...(input.query ? { query: input.query } : {}),
    ...(input.channel ? { channel: { type: 'string', op: 'eq', value: input.channel } } : {}),
  };
  const page = await retell(ctx, `/v2/list-agents?${query}`, { method: 'POST', body: Object.keys(criteria).length ? { filter_criteria: criteria } : {} });
  const items = Array.isArray(page?.items) ? page.items : [];
  return {
    agents: items
      .filter((agent) => typeof agent?.agent_id === 'string')
      .map((agent) => ({
        agentId: agent.agent_id,
        agentName: agent.agent_name ?? null,
        channel: agent.channel ?? null,
        modifiedAt: Number.isFinite(agent.user_modified_timestamp) ? new Date(agent.user_modified_timestamp).toISOString() : null,
      })),
    hasMore: page?.has_more === true,
    paginationKey: page?.has_more === true && typeof page?.pagination_key === 'string' ? page.pagination_key : null,
  };
}

/** Constant-time check of `x-retell-signature` over the raw body, as Retell's SDKs verify it. */
function signatureMatches(key, rawBody, header, now = Date.now()) {
  const match = SIGNATURE.exec(typeof header === 'string' ? header.trim() : '');
  if (!match || typeof key !== 'string' || !key || typeof rawBody !== 'string') return false;
  const timestamp = Number(match[1]);
  if (!Number.isSafeInteger(timestamp) || Math.abs(now - timestamp) > SIGNATURE_TOLERANCE_MS) return false;
  const expected = createHmac('sha256', key).update(`${rawBody}${timestamp}`, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

/** Unix ms as ISO 8601; undefined when absent. */
const isoFromMs = (value) => (Number.isFinite(value) && value > 0 ? new Date(value).toISOString() : undefined);

/**
 * A `call_ended` webhook's call as a `call.ended` event: only the values the event's schema can carry
 * (E.164 numbers, a bounded reason); the transcript when the settings allow it and it is not too long.
 * @param {RetellContext} ctx
 */
function callEnded(ctx, call) {
  const durationMs = Number.isFinite(call.duration_ms)
    ? call.duration_ms
    : Number.isFinite(call.end_timestamp) && Number.isFinite(call.start_timestamp)
      ? call.end_timestamp - call.start_timestamp
      : undefined;
  const data = { callId: call.call_id, provider: 'retell' };
  if (typeof call.agent_id === 'string' && call.agent_id) data.agentId = call.agent_id.slice(0, 200);
  if (typeof call.from_number === 'string' && E164_PATTERN.test(call.from_number)) data.fromNumber = call.from_number;
  if (typeof call.to_number === 'string' && E164_PATTERN.test(call.to_number)) data.toNumber = call.to_number;
  if (durationMs !== undefined && durationMs >= 0) data.durationSeconds = Math.round(durationMs) / 1000;
  if (typeof call.disconnection_reason === 'string' && call.disconnection_reason) data.disconnectionReason = call.disconnection_reason.slice(0, MAX_REASON);
  const transcript = typeof call.transcript === 'string' ? call.transcript : '';
  if (transcript && ctx.settings?.includeTranscript !== false) {
    if (transcript.length <= MAX_TRANSCRIPT) data.transcript = transcript;
    else ctx.log.info('call transcript too long for the event: left out', { callId: call.call_id, characters: transcript.length });
  }
  if (call.call_type === 'phone_call' || call.call_type === 'web_call') data.callType = call.call_type;
  if (call.direction === 'inbound' || call.direction === 'outbound') data.direction = call.direction;
  if (typeof call.call_status === 'string') data.callStatus = call.call_status;
  const startedAt = isoFromMs(call.start_timestamp);
  const endedAt = isoFromMs(call.end_timestamp);
  if (startedAt) data.startedAt = startedAt;
  if (endedAt) data.endedAt = endedAt;
  if (call.metadata && typeof call.metadata === 'object' && !Array.isArray(call.metadata)) data.metadata = call.metadata;
  return data;
}

function parseBody(req) {
  if (req?.body && typeof req.body === 'object') return req.body;
  try {
    return JSON.parse(req?.rawBody ?? '');
  } catch {
    return undefined;
  }
}

const e164 = { type: 'string', pattern: E164 };
const conversationProperties = {
  fromNumber: { ...e164, description: 'A number of this Retell workspace (purchased from Retell or imported), in E.164 (+14155550100)' },
  toNumber: { ...e164, description: 'Who to reach, in E.164; numbers bought from Retell can only reach US numbers' },
  agentId: {
    type: 'string',
    pattern: AGENT_ID,
    description: 'Use this agent instead of the one bound to the from number (override_agent_id), for this conversation only',
  },
  agentVersion: { type: 'integer', minimum: 0, description: 'The version of that agent (override_agent_version); latest by default' },
  metadata: {
    type: 'object',
    maxProperties: 50,
    description: 'Stored with the call or chat for your own reference (e.g. a session or contact ID); Retell does not use it',
  },
  dynamicVariables: {
    type: 'object',
    maxProperties: 100,
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
    additionalProperties: { type: 'string', maxLength: 5_000 },
    description: 'Values for the {{variables}} of the agent’s prompt (retell_llm_dynamic_variables), e.g. { "first_name": "Ana" }',
  },
};

export default definePlugin({
  providers: [
    {
      id: 'retell',
      name: 'Retell AI',
      category: 'voice_ai',
      description:
        'Place outbound calls and SMS conversations with your Retell AI voice agents, and receive finished calls (with their transcript) as call.ended events.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: {
            apiKey: {
              type: 'string',
              title: 'API key',
              description: 'A Retell API key (Retell dashboard → Settings → API Keys), sent as a Bearer token',
              pattern: '^[A-Za-z0-9_-]{16,128}$',
              secret: true,
            },
            webhookApiKey: {
              type: 'string',
              title: 'Webhook API key',
              description:
                'The API key that has the “webhook” badge in the Retell dashboard, when it is not the key above: Retell signs its webhooks with that key only',
              pattern: '^[A-Za-z0-9_-]{16,128}$',
              secret: true,
            },
          },
        },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          includeTranscript: {
            type: 'boolean',
            default: true,
            title: 'Include transcripts',
            description: 'Put the call’s transcript in call.ended events (up to 50,000 characters); off keeps conversations out of Plugboard’s events',
          },
        },
      },
      baseUrl: 'https://api.retellai.com',
      errors,
      // Retell documents no request budget: what it limits is concurrency, the calls in progress at once
      // (the workspace's concurrency_limit, which GET /get-concurrency reports and verify keeps).
      // Requests past its own throttle answer 429 "Account rate limited, please throttle your requests.",
      // which the host retries after Retry-After when it can and otherwise reports as provider_rate_limited.
      rateLimits: [],

      /**
       * The workspace's phone numbers (GET /v2/list-phone-numbers) and call concurrency (GET /get-concurrency):
       * Retell has no "who am I", so the numbers name the connection.
       * @param {RetellContext} ctx
       */
      async verify(ctx) {
        const numbers = await retell(ctx, `/v2/list-phone-numbers?${new URLSearchParams({ limit: '20', sort_order: 'ascending' })}`);
        const concurrency = await retell(ctx, '/get-concurrency');
        const phoneNumbers = (Array.isArray(numbers?.items) ? numbers.items : [])
          .map((number) => number?.phone_number)
          .filter((number) => typeof number === 'string' && E164_PATTERN.test(number));
        const more = numbers?.has_more === true;
        const displayName =
          phoneNumbers.length === 1 && !more
            ? `Retell AI (${phoneNumbers[0]})`
            : `Retell AI (${phoneNumbers.length === 0 ? 'no' : phoneNumbers.length}${more ? '+' : ''} phone number${phoneNumbers.length === 1 && !more ? '' : 's'})`;
        return {
          displayName,
          metadata: {
            phoneNumbers,
            concurrencyLimit: Number.isFinite(concurrency?.concurrency_limit) ? concurrency.concurrency_limit : null,
          },
        };
      },

      /** The cheapest authenticated call. @param {RetellContext} ctx */
      async healthCheck(ctx) {
        await retell(ctx, '/get-concurrency');
      },

      actions: {
        createPhoneCall: {
          description:
            'Starts an outbound phone call from a number of the Retell workspace, handled by its outbound agent or the given one. Answers once Retell registered the call; call.ended follows when it is over.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['fromNumber', 'toNumber'],
            properties: conversationProperties,
          },
          outputSchema: {
            type: 'object',
            required: ['callId'],
            properties: {
              callId: { type: 'string' },
              callStatus: { type: ['string', 'null'], description: 'registered, ongoing, ended, not_connected or error' },
              agentId: { type: ['string', 'null'] },
              agentVersion: { type: ['integer', 'null'] },
              direction: { type: 'string' },
              fromNumber: { type: 'string' },
              toNumber: { type: 'string' },
            },
          },
          /** @param {RetellContext} ctx */
          run: (ctx, input) => createPhoneCall(ctx, input),
        },

        createSmsChat: {
          description: 'Starts an SMS conversation from an SMS-capable number of the workspace: the chat agent writes and sends the first message itself.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['fromNumber', 'toNumber'],
            properties: conversationProperties,
          },
          outputSchema: {
            type: 'object',
            required: ['chatId'],
            properties: {
              chatId: { type: 'string' },
              chatStatus: { type: ['string', 'null'], description: 'ongoing, ended or error' },
              agentId: { type: ['string', 'null'] },
              chatType: { type: 'string' },
            },
          },
          /** @param {RetellContext} ctx */
          run: (ctx, input) => createSmsChat(ctx, input),
        },

        listAgents: {
          description: 'Lists the workspace’s agents (voice and chat), a page at a time, newest change first.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              query: { type: 'string', minLength: 1, maxLength: 200, description: 'Part of an agent’s name or ID' },
              channel: { type: 'string', enum: ['voice', 'chat'] },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
              sortOrder: { type: 'string', enum: ['ascending', 'descending'], default: 'descending' },
              paginationKey: { type: 'string', minLength: 1, maxLength: 500, description: 'paginationKey of the previous page' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['agents', 'hasMore', 'paginationKey'],
            properties: {
              agents: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['agentId'],
                  properties: {
                    agentId: { type: 'string' },
                    agentName: { type: ['string', 'null'] },
                    channel: { type: ['string', 'null'], enum: ['voice', 'chat', null] },
                    modifiedAt: { type: ['string', 'null'], format: 'date-time' },
                  },
                },
              },
              hasMore: { type: 'boolean' },
              paginationKey: { type: ['string', 'null'] },
            },
          },
          /** @param {RetellContext} ctx */
          run: (ctx, input) => listAgents(ctx, input),
        },
      },

      webhook: {
        /**
         * `x-retell-signature: v=<unix ms>,d=<hex>`: HMAC-SHA256 of the raw body followed by that timestamp,
         * keyed with the workspace's webhook API key, within five minutes of now; compared in constant time.
         * @param {RetellContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const key = ctx.credentials?.webhookApiKey || ctx.credentials?.apiKey;
          return signatureMatches(key, req?.rawBody, req?.headers?.['x-retell-signature']);
        },

        /**
         * `call_ended` becomes `call.ended`. `call_started` says nothing a finished call will not, and
         * `call_analyzed`, `transcript_updated`, transfer and chat events have no host event type: they
         * are acknowledged and dropped.
         * @param {RetellContext} ctx
         * @param {InboundRequest} req
         */
        toEvents(ctx, req) {
          const body = parseBody(req);
          const event = typeof body?.event === 'string' ? body.event : undefined;
          const call = body?.call;
          if (event !== 'call_ended') {
            ctx.log.debug('Retell webhook without a host event', { event: event ?? null, callId: typeof call?.call_id === 'string' ? call.call_id : null });
            return [];
          }
          if (!call || typeof call.call_id !== 'string' || !call.call_id) {
            ctx.log.warn('Retell call_ended webhook without a call_id: dropped');
            return [];
          }
          return [{ event: 'call.ended', data: callEnded(ctx, call) }];
        },
      },
    },
  ],
});
