// Fairing provider for Plugboard, written against Fairing's REST API reference (https://docs.fairing.co/reference: authentication, questions, responses).
import { timingSafeEqual, createHash } from 'node:crypto';
import { definePlugin, readJson } from 'plugboard/sdk';

/**
 * @typedef {import('plugboard/sdk').PluginContext<{ apiKey: string, webhookToken?: string }, Record<string, never>>} FairingContext
 */

const BASE = 'https://app.fairing.co/api';
/** Responses list at most 100 a page. */
const MAX_LIMIT = 100;
/** A sync or a `since` listing reads at most this many pages per call. */
const MAX_PAGES = 200;

/** Fairing answers refusals as `{ "error": "…" }` (or `{ "errors": … }` / `{ "message": … }`). */
const errors = {
  message: (body) => {
    if (typeof body?.error === 'string' && body.error) return body.error;
    if (typeof body?.error?.message === 'string' && body.error.message) return body.error.message;
    if (typeof body?.message === 'string' && body.message) return body.message;
    if (Array.isArray(body?.errors)) return body.errors.map((entry) => (typeof entry === 'string' ? entry : entry?.message ?? entry?.detail)).filter(Boolean).join('; ') || undefined;
    if (body?.errors && typeof body.errors === 'object') return typeof body.errors.detail === 'string' ? body.errors.detail : undefined;
    return undefined;
  },
};

/** @param {FairingContext} ctx */
async function fairing(ctx, path) {
  const response = await ctx.http(path, { headers: { accept: 'application/json' } });
  return readJson(response, ctx, errors);
}

const text = (value) => (typeof value === 'string' ? value : value === null || value === undefined ? null : String(value));

function responseRecord(response) {
  return {
    id: String(response.id),
    questionId: response.question_id === null || response.question_id === undefined ? null : String(response.question_id),
    question: text(response.question),
    questionType: text(response.question_type),
    answer: text(response.other_response) ?? text(response.response),
    other: response.other === true,
    orderId: text(response.order_id),
    orderNumber: text(response.order_number),
    orderTotal: text(response.order_total),
    orderCurrency: text(response.order_currency_code),
    customerId: text(response.customer_id),
    email: text(response.email),
    utmSource: text(response.utm_source),
    utmMedium: text(response.utm_medium),
    utmCampaign: text(response.utm_campaign),
    respondedAt: text(response.response_provided_at) ?? text(response.inserted_at),
    insertedAt: text(response.inserted_at),
    updatedAt: text(response.updated_at),
  };
}

/**
 * Responses, newest first, page after page by the answer's `next` URL, until one was inserted before
 * `since` (exclusive when `exclusive`), `maxItems`, or the last page.
 * @param {FairingContext} ctx
 */
async function readResponses(ctx, { since, limit = MAX_LIMIT, maxItems = Infinity, exclusive = false, questionId }) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (questionId !== undefined) query.set('question_id', String(questionId));
  let url = `/responses?${query}`;
  const items = [];
  let next = null;
  for (let page = 0; page < MAX_PAGES && url; page += 1) {
    const body = await fairing(ctx, url);
    if (!Array.isArray(body?.data)) throw new Error('Fairing answered the responses list without a data array');
    for (const item of body.data) {
      const at = item.inserted_at ?? item.response_provided_at;
      if (since && typeof at === 'string' && (exclusive ? Date.parse(at) <= Date.parse(since) : Date.parse(at) < Date.parse(since))) return { items, next: null };
      items.push(item);
      if (items.length >= maxItems) return { items, next: typeof body.next === 'string' && body.next ? body.next : null };
    }
    next = typeof body.next === 'string' && body.next && body.data.length > 0 ? body.next : null;
    url = next;
  }
  return { items, next };
}

const responseSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    questionId: { type: ['string', 'null'] },
    question: { type: ['string', 'null'] },
    questionType: { type: ['string', 'null'], description: 'single_response, multi_response or open_ended' },
    answer: { type: ['string', 'null'], description: 'The chosen answer, or the free text of an “other” answer' },
    other: { type: 'boolean' },
    orderId: { type: ['string', 'null'] },
    orderNumber: { type: ['string', 'null'] },
    orderTotal: { type: ['string', 'null'], description: 'As Fairing gives it, in the order’s currency' },
    orderCurrency: { type: ['string', 'null'] },
    customerId: { type: ['string', 'null'] },
    email: { type: ['string', 'null'] },
    utmSource: { type: ['string', 'null'] },
    utmMedium: { type: ['string', 'null'] },
    utmCampaign: { type: ['string', 'null'] },
    respondedAt: { type: ['string', 'null'], format: 'date-time' },
    insertedAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'questionId', 'answer'],
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const sha = (value) => createHash('sha256').update(String(value)).digest();

export default definePlugin({
  providers: [
    {
      id: 'fairing',
      name: 'Fairing',
      category: 'surveys',
      description: 'Read and sync your Fairing post-purchase survey responses and questions, and receive new responses as events.',
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
              description: 'The secret key from Fairing → Account → API keys',
              minLength: 8,
              maxLength: 200,
              pattern: '^\\S+$',
              secret: true,
            },
            webhookToken: {
              type: 'string',
              title: 'Webhook token',
              description:
                'Only for the response webhook: a random value of your choice (32+ characters) added to the webhook URL you give Fairing as ?token=…; requests without it are refused',
              minLength: 32,
              maxLength: 200,
              pattern: '^[A-Za-z0-9_-]+$',
              secret: true,
            },
          },
        },
        // Fairing reads the key as it is from the Authorization header (no scheme).
        apply: { headers: { Authorization: '{apiKey}' } },
      },
      baseUrl: BASE,
      errors,

      verify: {
        request: { path: '/questions' },
        displayName: () => 'Fairing',
        metadata: (body) => ({ questionCount: Array.isArray(body?.data) ? body.data.length : 0 }),
      },
      healthCheck: { request: { path: '/questions' } },

      actions: {
        listQuestions: {
          description: 'Every question of the Question Stream, with its answer options.',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          outputSchema: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: ['integer', 'string'] },
                prompt: { type: 'string' },
                type: { type: 'string' },
                customer_type: { type: ['string', 'null'] },
                frequency_type: { type: ['string', 'null'] },
                published_at: { type: ['string', 'null'] },
                responses: { type: 'array', items: { type: 'object' } },
              },
              required: ['id', 'prompt'],
            },
          },
          request: { path: '/questions' },
          result: '/data',
        },
        listResponses: {
          description: 'Survey responses, newest first: those inserted since a time (all pages), or one page continued from `next`.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              since: { type: 'string', format: 'date-time', description: 'Only responses inserted at or after this time' },
              questionId: { type: 'integer', minimum: 1, maximum: 9007199254740991, description: 'Only responses to this question' },
              limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: MAX_LIMIT, description: 'Responses a page (and, without since, returned)' },
              next: { type: 'string', minLength: 1, maxLength: 2000, pattern: '^https://app\\.fairing\\.co/api/responses\\?', description: 'The `next` of a previous call' },
            },
          },
          outputSchema: {
            type: 'object',
            properties: { responses: { type: 'array', items: responseSchema }, next: { type: ['string', 'null'] } },
            required: ['responses', 'next'],
          },
          /** @param {FairingContext} ctx */
          async run(ctx, input = {}) {
            if (input.next) {
              const body = await fairing(ctx, input.next);
              if (!Array.isArray(body?.data)) throw new Error('Fairing answered the responses list without a data array');
              return { responses: body.data.map(responseRecord), next: body.data.length && typeof body.next === 'string' && body.next ? body.next : null };
            }
            const limit = input.limit ?? MAX_LIMIT;
            const { items, next } = await readResponses(ctx, { since: input.since, limit, questionId: input.questionId, maxItems: input.since ? Infinity : limit });
            return { responses: items.map(responseRecord), next };
          },
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * Responses newer than the last run's highest `inserted_at` (Fairing lists newest first, so reading stops
         * at the first one already seen).
         * @param {FairingContext} ctx
         */
        async run(ctx, input = {}) {
          const since = input.highWaterMarks?.responses;
          const { items } = await readResponses(ctx, { since, exclusive: true });
          const records = items.map(responseRecord);
          let mark = since;
          for (const record of records) if (record.insertedAt && (!mark || Date.parse(record.insertedAt) > Date.parse(mark))) mark = record.insertedAt;
          return { records: { responses: records }, ...(mark ? { highWaterMarks: { responses: mark } } : {}) };
        },
      },

      /**
       * Fairing's response webhook is not signed (no signature scheme documented), so the URL given to Fairing
       * carries a secret `token` query parameter, compared in constant time. Anyone who learns the URL can post.
       */
      webhook: {
        verify(ctx, req) {
          const expected = ctx.credentials.webhookToken;
          const given = req.query.token;
          if (typeof expected !== 'string' || expected.length < 32 || typeof given !== 'string' || !given) return false;
          return timingSafeEqual(sha(given), sha(expected));
        },
        toEvents(_ctx, req) {
          let body = req.body;
          if (body === undefined && req.rawBody) {
            try {
              body = JSON.parse(req.rawBody);
            } catch {
              return [];
            }
          }
          const list = Array.isArray(body) ? body : Array.isArray(body?.data) ? body.data : body?.data && typeof body.data === 'object' ? [body.data] : [body];
          return list
            .filter((item) => item && typeof item === 'object' && item.id !== undefined && item.id !== null)
            .map((item) => {
              const record = responseRecord(item);
              const respondedAt = record.respondedAt && !Number.isNaN(Date.parse(record.respondedAt)) ? new Date(record.respondedAt).toISOString() : undefined;
              return {
                event: 'survey.response.received',
                data: {
                  responseId: record.id,
                  provider: 'fairing',
                  ...(record.questionId ? { questionId: record.questionId } : {}),
                  ...(record.question ? { question: record.question.slice(0, 2000) } : {}),
                  ...(record.answer ? { answer: record.answer.slice(0, 10_000) } : {}),
                  ...(record.orderId ? { orderId: record.orderId } : {}),
                  ...(record.email && EMAIL.test(record.email) ? { email: record.email } : {}),
                  ...(respondedAt ? { respondedAt } : {}),
                },
              };
            });
        },
      },
    },
  ],
});
