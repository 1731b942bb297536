// Yotpo provider for Plugboard, written against Yotpo's Core API reference (https://core-api.yotpo.com/reference: authentication, v1 Retrieve all reviews, v3 products, guidelines & conventions).
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {import('plugboard/sdk').PluginContext<{ secret: string }, Record<string, never>>} YotpoContext
 * @typedef {{ id: number, title?: string, content?: string, score?: number, votes_up?: number, votes_down?: number,
 *   created_at?: string, updated_at?: string, sentiment?: number, sku?: string, name?: string, email?: string,
 *   reviewer_type?: string, deleted?: boolean, archived?: boolean, escalated?: boolean }} YotpoReview
 */

/** Retrieve all reviews: `count` is 10 by default and 100 at most. */
const MAX_COUNT = 100;
/** A sync reads at most this many pages (100 reviews each) per run; the next run continues from the mark. */
const MAX_SYNC_PAGES = 200;

/**
 * Yotpo's refusals read differently per API generation: v1 answers `{ status: { code, message, error_type } }`,
 * the OAuth-style token endpoints `{ error: "invalid_client" }`, v3 `{ errors: [...] }` or `{ message }`.
 */
const errors = {
  message: (body) => {
    if (typeof body?.status?.message === 'string' && body.status.message) return body.status.message;
    if (Array.isArray(body?.errors)) {
      const list = body.errors
        .map((entry) => (typeof entry === 'string' ? entry : typeof entry?.message === 'string' ? entry.message : undefined))
        .filter(Boolean);
      if (list.length) return list.join('; ');
    }
    if (typeof body?.message === 'string' && body.message) return body.message;
    if (typeof body?.error_description === 'string' && body.error_description) return body.error_description;
    if (typeof body?.error === 'string' && body.error) return body.error;
    return undefined;
  },
  // v1 sometimes answers HTTP 200 with a failing `status.code` in the body.
  classify: (body, status) => {
    const code = body?.status?.code;
    if (status >= 200 && status < 300 && typeof code === 'number' && code >= 400) return code === 429 ? 'rate_limited' : code >= 500 ? 'outage' : 'rejected';
    return undefined;
  },
};

/** @param {YotpoContext} ctx */
function storeId(ctx) {
  const id = ctx.integration.metadata.storeId;
  if (typeof id !== 'string' || !id) throw new ProviderRejectedError('This Yotpo connection has no store ID (app key): connect it again.');
  return id;
}

/** @param {YotpoContext} ctx */
async function yotpo(ctx, path, init = {}) {
  const response = await ctx.http(path, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  return readJson(response, ctx, errors);
}

/** @param {YotpoReview} review */
function reviewRecord(review) {
  return {
    id: String(review.id),
    score: review.score ?? null,
    title: review.title ?? null,
    content: review.content ?? null,
    productId: review.sku ?? null,
    name: review.name ?? null,
    email: review.email ?? null,
    reviewerType: review.reviewer_type ?? null,
    votesUp: review.votes_up ?? 0,
    votesDown: review.votes_down ?? 0,
    sentiment: review.sentiment ?? null,
    deleted: review.deleted === true,
    createdAt: review.created_at ?? null,
    updatedAt: review.updated_at ?? review.created_at ?? null,
  };
}

/**
 * One page of `GET /v1/apps/{app_key}/reviews` (the host adds the token, as `utoken`).
 * @param {YotpoContext} ctx
 */
async function reviewsPage(ctx, { page = 1, count = MAX_COUNT, since, updatedSince, deleted }) {
  const query = new URLSearchParams({ count: String(count), page: String(page) });
  if (since) query.set('since_date', since);
  if (updatedSince) query.set('since_updated_at', updatedSince);
  if (deleted) query.set('deleted', 'true');
  const body = await yotpo(ctx, `/v1/apps/${encodeURIComponent(storeId(ctx))}/reviews?${query}`);
  const reviews = Array.isArray(body?.reviews) ? body.reviews : Array.isArray(body?.response?.reviews) ? body.response.reviews : undefined;
  if (!reviews) throw new Error('Yotpo answered the reviews list without a reviews array');
  return /** @type {YotpoReview[]} */ (reviews);
}

const products = (ctx) => `/core/v3/stores/${encodeURIComponent(storeId(ctx))}/products`;

const reviewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    score: { type: ['integer', 'null'], minimum: 1, maximum: 5 },
    title: { type: ['string', 'null'] },
    content: { type: ['string', 'null'] },
    productId: { type: ['string', 'null'], description: 'The product’s external id (Yotpo’s `sku`)' },
    name: { type: ['string', 'null'] },
    email: { type: ['string', 'null'] },
    reviewerType: { type: ['string', 'null'] },
    votesUp: { type: 'integer' },
    votesDown: { type: 'integer' },
    sentiment: { type: ['number', 'null'] },
    deleted: { type: 'boolean' },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'score', 'deleted', 'createdAt'],
};

const productSchema = {
  type: 'object',
  properties: {
    yotpoId: { type: ['integer', 'string'] },
    externalId: { type: 'string' },
    name: { type: ['string', 'null'] },
    url: { type: ['string', 'null'] },
    imageUrl: { type: ['string', 'null'] },
    created: { type: 'boolean', description: 'True when the product was new to Yotpo, false when it was updated' },
  },
  required: ['yotpoId', 'externalId', 'created'],
};

const productRecord = (product, created, input) => ({
  yotpoId: product?.yotpo_id ?? product?.id,
  externalId: product?.external_id ?? input.externalId,
  name: product?.name ?? input.name ?? null,
  url: product?.url ?? input.url ?? null,
  imageUrl: product?.image_url ?? input.imageUrl ?? null,
  created,
});

export default definePlugin({
  providers: [
    {
      id: 'yotpo',
      name: 'Yotpo',
      category: 'reviews',
      description: 'Read and sync your Yotpo product reviews, and keep Yotpo’s product catalog up to date.',
      connectionInputs: {
        type: 'object',
        required: ['storeId'],
        additionalProperties: false,
        properties: {
          storeId: {
            type: 'string',
            title: 'Store ID (app key)',
            description: 'Your Yotpo store ID, also called app key: Yotpo → Settings → Store (General Settings)',
            minLength: 6,
            maxLength: 64,
            pattern: '^[A-Za-z0-9_-]+$',
          },
        },
      },
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['secret'],
          additionalProperties: false,
          properties: {
            secret: {
              type: 'string',
              title: 'API secret',
              description: 'The API secret of the store (Yotpo → Settings → Store → Get secret key); exchanged for an access token',
              minLength: 8,
              maxLength: 200,
              pattern: '^\\S+$',
              secret: true,
            },
          },
        },
        // Core API v3 "Generate access token": POST {secret} → { access_token } (tokens last 14 days).
        // Yotpo's tokens last 14 days and the answer names no lifetime: taken to last 13, so one is renewed in time.
        token: {
          url: 'https://api.yotpo.com/core/v3/stores/{storeId}/access_tokens',
          body: { secret: '{secret}' },
          accessToken: '/access_token',
          assumedLifetimeSeconds: 13 * 24 * 3600,
        },
        // v3 reads the token from X-Yotpo-Token; the v1 reviews endpoints read it as the `utoken` query parameter.
        apply: { headers: { 'X-Yotpo-Token': '{accessToken}' }, query: { utoken: '{accessToken}' } },
      },
      baseUrl: 'https://api.yotpo.com',
      // Documented: Core API 5 requests a second per store; Retrieve all reviews 5,000 requests a minute per app key.
      rateLimits: [
        { requests: 5, windowMs: 1_000, scope: 'account', accountKey: 'storeId', match: ['GET /core/', 'POST /core/', 'PATCH /core/'] },
        { requests: 5_000, windowMs: 60_000, scope: 'account', accountKey: 'storeId', match: ['GET /v1/apps/'] },
      ],
      errors,

      /** The token exchange proves the secret; one review read proves the token works for this store. @param {YotpoContext} ctx */
      async verify(ctx) {
        const id = storeId(ctx);
        await reviewsPage(ctx, { count: 1 });
        return { displayName: `Yotpo store ${id}`, metadata: { storeId: id } };
      },

      /** @param {YotpoContext} ctx */
      async healthCheck(ctx) {
        await reviewsPage(ctx, { count: 1 });
      },

      actions: {
        listReviews: {
          description: 'One page of the store’s reviews (Yotpo’s Retrieve all reviews), optionally only those created since a time.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              since: { type: 'string', format: 'date-time', description: 'Only reviews created at or after this time (Yotpo’s since_date)' },
              updatedSince: { type: 'string', format: 'date-time', description: 'Only reviews updated at or after this time (since_updated_at)' },
              page: { type: 'integer', minimum: 1, maximum: 100000, default: 1 },
              count: { type: 'integer', minimum: 1, maximum: MAX_COUNT, default: MAX_COUNT },
            },
          },
          outputSchema: {
            type: 'object',
            properties: {
              reviews: { type: 'array', items: reviewSchema },
              page: { type: 'integer' },
              nextPage: { type: ['integer', 'null'], description: 'The page to ask for next; null on the last page' },
            },
            required: ['reviews', 'page', 'nextPage'],
          },
          /** @param {YotpoContext} ctx */
          async run(ctx, input = {}) {
            const page = input.page ?? 1;
            const count = input.count ?? MAX_COUNT;
            const reviews = await reviewsPage(ctx, { page, count, since: input.since, updatedSince: input.updatedSince });
            return { reviews: reviews.map(reviewRecord), page, nextPage: reviews.length >= count ? page + 1 : null };
          },
        },

        upsertProduct: {
          description: 'Creates the product in Yotpo’s catalog, or updates it when a product with this external id exists (Core API v3 products).',
          inputSchema: {
            type: 'object',
            required: ['externalId', 'name', 'url'],
            additionalProperties: false,
            properties: {
              externalId: { type: 'string', minLength: 1, maxLength: 255, description: 'Your own id of the product (Yotpo’s external_id)' },
              name: { type: 'string', minLength: 1, maxLength: 255 },
              url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048, description: 'The product page' },
              imageUrl: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 },
            },
          },
          outputSchema: productSchema,
          /** @param {YotpoContext} ctx */
          async run(ctx, input) {
            const base = products(ctx);
            const fields = { name: input.name, url: input.url, ...(input.imageUrl ? { image_url: input.imageUrl } : {}) };
            const found = await yotpo(ctx, `${base}?${new URLSearchParams({ external_ids: input.externalId, limit: '1' })}`);
            const existing = Array.isArray(found?.products) ? found.products.find((product) => product?.external_id === input.externalId) : undefined;
            if (existing?.yotpo_id !== undefined) {
              const updated = await yotpo(ctx, `${base}/${encodeURIComponent(existing.yotpo_id)}`, { method: 'PATCH', body: { product: fields } });
              return productRecord({ ...existing, ...fields, ...(updated?.product ?? {}) }, false, input);
            }
            const created = await yotpo(ctx, base, { method: 'POST', body: { product: { external_id: input.externalId, ...fields } } });
            return productRecord(created?.product, true, input);
          },
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * Reviews by `since_updated_at` (the last run's highest `updated_at`), 100 a page; deleted reviews come
         * back as tombstones. Records only: a `review.created` event would need the host to publish events
         * from syncs.
         * @param {YotpoContext} ctx
         */
        async run(ctx, input = {}) {
          const since = input.highWaterMarks?.reviews;
          /** @type {Array<ReturnType<typeof reviewRecord>>} */
          const records = [];
          const deleted = [];
          let mark = since;
          for (let page = 1; page <= MAX_SYNC_PAGES; page += 1) {
            const reviews = await reviewsPage(ctx, { page, count: MAX_COUNT, updatedSince: since, deleted: Boolean(since) });
            for (const review of reviews) {
              const record = reviewRecord(review);
              if (record.deleted) deleted.push(record.id);
              else records.push(record);
              if (record.updatedAt && (mark === undefined || record.updatedAt > mark)) mark = record.updatedAt;
            }
            if (reviews.length < MAX_COUNT) break;
          }
          return {
            records: { reviews: records },
            ...(mark ? { highWaterMarks: { reviews: mark } } : {}),
            ...(deleted.length ? { deleted: { reviews: deleted } } : {}),
          };
        },
      },
    },
  ],
});
