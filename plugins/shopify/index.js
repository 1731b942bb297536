// Shopify provider for Plugboard, written against Shopify's GraphQL Admin API reference (https://shopify.dev/docs/api/admin-graphql), its OAuth authorization code grant (https://shopify.dev/docs/apps/build/authentication-authorization), rate limits (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits) and webhook HTTPS delivery and privacy compliance pages (https://shopify.dev/docs/apps/build/webhooks, https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials & { app?: { webhookSecret?: string } }, Record<string, never>>} ShopifyContext
 * @typedef {import('plugboard/sdk').InboundRequest} InboundRequest
 * @typedef {{ amount: string, currencyCode: string }} MoneyV2
 * @typedef {{ amount: number, currency: string }} Money
 */

/**
 * The Admin API version every call uses: the newest stable quarterly release (2026-10, released
 * October 1, 2026, supported for at least 12 months). A pinned version keeps the schema stable.
 */
export const API_VERSION = '2026-10';
/** Only a shop's own myshopify.com domain: never a custom domain or a free URL. */
const SHOP_DOMAIN = '^[a-z0-9][a-z0-9-]{0,59}\\.myshopify\\.com$';
/** Products and orders a page: a flat node costs about one point, so a page requests about 52. */
const PAGE_SIZE = 50;
/** A connection's `first` takes at most 250. */
const MAX_FIRST = 250;
/** Line items read with one order (one page: a larger order says so with `lineItemsTruncated`). */
const ORDER_LINE_ITEMS = 100;
const MAX_PAGES = 2000;
const GID = (type) => `^gid://shopify/${type}/[1-9][0-9]{0,19}$`;
const ORDER_ID = '^(gid://shopify/Order/)?[1-9][0-9]{0,19}$';

// --- money ---------------------------------------------------------------------------------------

/** ISO 4217 minor-unit exponents that are not 2. */
const EXPONENTS = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};
export const currencyExponent = (currency) => EXPONENTS[currency] ?? 2;

/**
 * A Shopify `Decimal` amount ("403.00", "1500", "12.345") as an integer in the currency's minor unit,
 * computed on the digits (no floating point); digits past the exponent round half up.
 */
export function toMinorUnits(amount, currency) {
  const match = /^(-?)(\d{1,15})(?:\.(\d{1,12}))?$/.exec(String(amount ?? '').trim());
  if (!match || !/^[A-Z]{3}$/.test(String(currency ?? ''))) throw new Error(`not a Shopify money amount: ${String(amount)} ${String(currency)}`);
  const exponent = currencyExponent(currency);
  const fraction = match[3] ?? '';
  let minor = BigInt(match[2] + fraction.padEnd(exponent, '0').slice(0, exponent));
  if (fraction.length > exponent && Number(fraction[exponent]) >= 5) minor += 1n;
  return Number(match[1] ? -minor : minor);
}

/** @param {{ shopMoney?: MoneyV2 } | null | undefined} set @returns {Money | null} */
function money(set) {
  const value = set?.shopMoney;
  return value ? { amount: toMinorUnits(value.amount, value.currencyCode), currency: value.currencyCode } : null;
}

// --- errors --------------------------------------------------------------------------------------

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const graphqlErrors = (body) => (isObject(body) && Array.isArray(body.errors) ? body.errors.filter(isObject) : []);
const codeOf = (error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : undefined);

/**
 * Shopify's errors come two ways: HTTP errors with `{ errors: "[API] Invalid API key or access token
 * (unrecognized login or wrong password)" }` (a string, or an object of field → messages), and GraphQL
 * errors with HTTP 200 and `{ errors: [{ message, extensions: { code } }] }`.
 */
function shopifyMessage(body) {
  if (!isObject(body)) return undefined;
  const { errors } = body;
  if (typeof errors === 'string' && errors) {
    return /Invalid API key or access token/.test(errors) ? `${errors}: connect the Shopify shop again` : errors;
  }
  const list = graphqlErrors(body);
  if (list.length) return [...new Set(list.map((error) => (codeOf(error) ? `${error.message} (${codeOf(error)})` : String(error.message ?? ''))))].join('; ');
  if (isObject(errors)) return Object.entries(errors).map(([field, messages]) => `${field} ${[messages].flat().join(', ')}`).join('; ');
  return typeof body.error_description === 'string' ? body.error_description : undefined;
}

const OUTAGE_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', 'TIMEOUT']);

/** GraphQL answers say what they mean in `errors[].extensions.code`, whatever the HTTP status (usually 200). */
const errors = {
  message: shopifyMessage,
  classify(body, status) {
    const list = graphqlErrors(body);
    if (!list.length) return undefined;
    const codes = list.map(codeOf);
    if (codes.includes('THROTTLED')) return 'rate_limited';
    if (codes.some((code) => OUTAGE_CODES.has(code)) || status >= 500) return 'outage';
    return 'rejected';
  },
};

/**
 * How long the cost bucket needs to hold a throttled query's requested cost:
 * `(requestedQueryCost - currentlyAvailable) / restoreRate` seconds, at least one.
 */
function throttleWait(body) {
  const cost = body?.extensions?.cost;
  const status = cost?.throttleStatus;
  const missing = Number(cost?.requestedQueryCost) - Number(status?.currentlyAvailable);
  const rate = Number(status?.restoreRate);
  if (!Number.isFinite(missing) || !Number.isFinite(rate) || rate <= 0) return 1;
  return Math.max(1, Math.ceil(missing / rate));
}

// --- GraphQL -------------------------------------------------------------------------------------

/**
 * One Admin GraphQL request (the host sends the token as `X-Shopify-Access-Token`, `auth.apply`). Answers `data`, or throws what
 * Shopify's answer means: THROTTLED as a rate limit with the wait the cost bucket needs.
 * @param {ShopifyContext} ctx
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 */
async function graphql(ctx, query, variables = {}) {
  const token = ctx.credentials?.accessToken;
  if (typeof token !== 'string' || !token) throw new ProviderRejectedError('This Shopify connection has no access token: connect the shop again');
  const response = await ctx.http('/graphql.json', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: { query, variables },
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (graphqlErrors(parsed).some((error) => codeOf(error) === 'THROTTLED')) {
    throw new ProviderRateLimitedError(`Shopify throttled the request: ${shopifyMessage(parsed)}`, throttleWait(parsed));
  }
  const body = await readJson(new Response(text, { status: response.status, headers: response.headers }), ctx, errors);
  return body?.data ?? {};
}

const MONEY = 'shopMoney { amount currencyCode }';

const SHOP_QUERY = `query ShopInfo { shop { id name myshopifyDomain currencyCode plan { displayName } } }`;
const PING_QUERY = `query ShopPing { shop { id } }`;
const PRODUCT_FIELDS = `id title handle status vendor productType tags totalInventory createdAt updatedAt
      priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }`;
const PRODUCTS_QUERY = `query ListProducts($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ${PRODUCT_FIELDS} }
  }
}`;
const ORDER_FIELDS = `id name email createdAt updatedAt processedAt cancelledAt displayFinancialStatus displayFulfillmentStatus currencyCode
      totalPriceSet { ${MONEY} } subtotalPriceSet { ${MONEY} } totalTaxSet { ${MONEY} }`;
const ORDERS_QUERY = `query SyncOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ${ORDER_FIELDS} }
  }
}`;
const ORDER_QUERY = `query GetOrder($id: ID!) {
  order(id: $id) {
    ${ORDER_FIELDS}
    lineItems(first: ${ORDER_LINE_ITEMS}) {
      pageInfo { hasNextPage }
      nodes { id title quantity sku product { id } variant { id } originalUnitPriceSet { ${MONEY} } }
    }
  }
}`;

/** @param {MoneyV2 | null | undefined} value @returns {Money | null} */
const moneyV2 = (value) => (value ? { amount: toMinorUnits(value.amount, value.currencyCode), currency: value.currencyCode } : null);

function productRecord(node) {
  return {
    id: node.id,
    title: node.title ?? null,
    handle: node.handle ?? null,
    status: node.status ?? null,
    vendor: node.vendor ?? null,
    productType: node.productType ?? null,
    tags: Array.isArray(node.tags) ? node.tags : [],
    totalInventory: node.totalInventory ?? null,
    minPrice: moneyV2(node.priceRangeV2?.minVariantPrice),
    maxPrice: moneyV2(node.priceRangeV2?.maxVariantPrice),
    createdAt: node.createdAt ?? null,
    updatedAt: node.updatedAt ?? null,
  };
}

function orderRecord(node) {
  const total = money(node.totalPriceSet);
  return {
    id: node.id,
    name: node.name ?? null,
    email: node.email ?? null,
    financialStatus: node.displayFinancialStatus ?? null,
    fulfillmentStatus: node.displayFulfillmentStatus ?? null,
    currency: total?.currency ?? node.currencyCode ?? null,
    totalAmount: total?.amount ?? null,
    subtotalAmount: money(node.subtotalPriceSet)?.amount ?? null,
    totalTax: money(node.totalTaxSet)?.amount ?? null,
    createdAt: node.createdAt ?? null,
    processedAt: node.processedAt ?? null,
    updatedAt: node.updatedAt ?? null,
    cancelledAt: node.cancelledAt ?? null,
  };
}

/** A search-syntax date: `updated_at:>='2026-03-02T16:00:00Z'` (quotes keep the colons in the value). */
function updatedSince(mark) {
  const time = Date.parse(mark);
  if (!Number.isFinite(time)) return undefined;
  return `updated_at:>='${new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z')}'`;
}

/**
 * Every node of a connection, page after page with `pageInfo { hasNextPage endCursor }`, oldest change
 * first; with a high-water mark, only what changed since (inclusive: Shopify's search compares whole
 * seconds, so a change in the mark's own second is read again rather than missed).
 * @param {ShopifyContext} ctx
 */
async function readAll(ctx, query, key, mark) {
  const filter = mark ? updatedSince(mark) : undefined;
  const nodes = [];
  let after;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const data = await graphql(ctx, query, { first: PAGE_SIZE, ...(after ? { after } : {}), ...(filter ? { query: filter } : {}) });
    const connection = data?.[key];
    if (!connection || !Array.isArray(connection.nodes)) throw new Error(`Shopify answered without ${key}`);
    nodes.push(...connection.nodes);
    if (connection.pageInfo?.hasNextPage !== true || !connection.pageInfo.endCursor) return nodes;
    after = connection.pageInfo.endCursor;
  }
  ctx.log.warn(`stopped reading ${key} after ${MAX_PAGES} pages`);
  return nodes;
}

const latest = (records, previous) =>
  records.reduce((mark, record) => (typeof record.updatedAt === 'string' && (!mark || Date.parse(record.updatedAt) > Date.parse(mark)) ? record.updatedAt : mark), previous);

// --- webhooks ------------------------------------------------------------------------------------

const ORDER_TOPICS = { 'orders/create': 'order.created', 'orders/paid': 'order.paid', 'orders/fulfilled': 'order.fulfilled' };
const PRODUCT_TOPICS = new Set(['products/create', 'products/update']);
const PRIVACY_TOPICS = new Set(['customers/data_request', 'customers/redact', 'shop/redact']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const header = (req, name) => {
  const value = req?.headers?.[name];
  return typeof value === 'string' ? value.trim() : '';
};

/** Base64 HMAC-SHA256 of the raw body, keyed with the app's client secret, as Shopify signs webhooks. */
export function webhookSignature(secret, rawBody) {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64');
}

function parse(rawBody) {
  try {
    const value = JSON.parse(rawBody);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A webhook's REST-shaped id as a GID: `admin_graphql_api_id` first (order ids can pass 2^53, which JSON numbers lose). */
function gidOf(payload, type) {
  if (typeof payload.admin_graphql_api_id === 'string' && new RegExp(GID(type)).test(payload.admin_graphql_api_id)) return payload.admin_graphql_api_id;
  return Number.isSafeInteger(payload.id) && payload.id > 0 ? `gid://shopify/${type}/${payload.id}` : undefined;
}

const present = (entries) => Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined && value !== null && value !== ''));

function orderEvent(payload) {
  const orderId = gidOf(payload, 'Order');
  if (!orderId) return undefined;
  const shopMoney = payload.total_price_set?.shop_money;
  const [amount, currency] = shopMoney ? [shopMoney.amount, shopMoney.currency_code] : [payload.total_price, payload.currency];
  let totalAmount;
  try {
    totalAmount = amount === undefined || amount === null ? undefined : toMinorUnits(amount, currency);
  } catch {
    totalAmount = undefined;
  }
  const lineItems = (Array.isArray(payload.line_items) ? payload.line_items : []).slice(0, 1000).filter(isObject).map((item) =>
    present({
      productId: Number.isSafeInteger(item.product_id) ? `gid://shopify/Product/${item.product_id}` : undefined,
      title: typeof item.title === 'string' ? item.title : undefined,
      quantity: Number.isSafeInteger(item.quantity) && item.quantity >= 0 ? item.quantity : undefined,
    }),
  );
  return present({
    orderId,
    provider: 'shopify',
    orderNumber: typeof payload.name === 'string' ? payload.name : payload.order_number === undefined ? undefined : String(payload.order_number),
    email: typeof payload.email === 'string' && EMAIL.test(payload.email) ? payload.email : undefined,
    totalAmount: totalAmount !== undefined && totalAmount >= 0 ? totalAmount : undefined,
    currency: totalAmount !== undefined ? currency : undefined,
    financialStatus: typeof payload.financial_status === 'string' ? payload.financial_status : undefined,
    fulfillmentStatus: typeof payload.fulfillment_status === 'string' ? payload.fulfillment_status : undefined,
    lineItems,
    createdAt: typeof payload.created_at === 'string' ? payload.created_at : undefined,
  });
}

function productEvent(payload) {
  const productId = gidOf(payload, 'Product');
  if (!productId) return undefined;
  return present({
    productId,
    provider: 'shopify',
    title: typeof payload.title === 'string' ? payload.title : undefined,
    status: typeof payload.status === 'string' ? payload.status.toUpperCase() : undefined,
    updatedAt: typeof payload.updated_at === 'string' ? payload.updated_at : undefined,
  });
}

// --- the provider --------------------------------------------------------------------------------

const moneySchema = {
  type: ['object', 'null'],
  properties: { amount: { type: 'integer', description: 'In the currency’s minor unit' }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
};
const productSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: GID('Product') },
    title: { type: ['string', 'null'] },
    handle: { type: ['string', 'null'] },
    status: { type: ['string', 'null'], description: 'ACTIVE, ARCHIVED, DRAFT or UNLISTED' },
    vendor: { type: ['string', 'null'] },
    productType: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' } },
    totalInventory: { type: ['integer', 'null'] },
    minPrice: moneySchema,
    maxPrice: moneySchema,
    createdAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
const orderSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: GID('Order') },
    name: { type: ['string', 'null'], description: 'The order number as the shop shows it, e.g. #1001' },
    email: { type: ['string', 'null'] },
    financialStatus: { type: ['string', 'null'] },
    fulfillmentStatus: { type: ['string', 'null'] },
    currency: { type: ['string', 'null'] },
    totalAmount: { type: ['integer', 'null'], description: 'In the currency’s minor unit' },
    subtotalAmount: { type: ['integer', 'null'] },
    totalTax: { type: ['integer', 'null'] },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
    processedAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
    cancelledAt: { type: ['string', 'null'], format: 'date-time' },
    lineItems: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          title: { type: ['string', 'null'] },
          quantity: { type: 'integer' },
          sku: { type: ['string', 'null'] },
          productId: { type: ['string', 'null'] },
          variantId: { type: ['string', 'null'] },
          unitPrice: moneySchema,
        },
      },
    },
    lineItemsTruncated: { type: 'boolean' },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'shopify',
      name: 'Shopify',
      category: 'commerce',
      description: 'Shopify stores: products and orders through the Admin GraphQL API, and order and product webhooks.',
      connectionInputs: {
        type: 'object',
        additionalProperties: false,
        required: ['shop'],
        properties: {
          shop: {
            type: 'string',
            title: 'Shop domain',
            description: 'The store’s myshopify.com domain, e.g. acme-outfitters.myshopify.com (Settings → Domains in the Shopify admin).',
            pattern: SHOP_DOMAIN,
            maxLength: 75,
          },
        },
      },
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://{shop}/admin/oauth/authorize',
        tokenUrl: 'https://{shop}/admin/oauth/access_token',
        scopes: ['read_products', 'read_orders'],
        // Shopify answers with granted scopes comma-separated, and asks for them so too.
        scopeSeparator: ',',
        // Offline tokens: non-expiring ones carry no refresh token, so the host never refreshes them;
        // expiring ones (one hour, with a rotating refresh token, since December 2025) are refreshed
        // with the standard refresh_token grant at the same token URL.
        refresh: true,
        // Webhooks are signed with the app's client secret: the operator sets
        // PLUGBOARD_OAUTH_SHOPIFY_APP_WEBHOOK_SECRET to it (plugins never see the client secret itself).
        appSecrets: ['webhookSecret'],
        // Shopify signs its redirect back (shop, code, state, timestamp, host) with the client secret.
        callbackHmac: 'hmac',
        // Shopify reads the token from X-Shopify-Access-Token (proxied requests included), not Authorization.
        apply: { headers: { 'X-Shopify-Access-Token': '{accessToken}' } },
      },
      baseUrl: `https://{shop}/admin/api/${API_VERSION}`,
      errors,
      rateLimits: [
        // Shopify limits GraphQL by calculated query cost per app and store: a leaky bucket refilled at
        // 100 points a second on standard plans (200 Advanced, 1,000 Plus). A page of 50 flat nodes
        // requests about 52 points, so two requests a second per shop stays within the refill; bursts
        // beyond it meet THROTTLED, which waits as long as the bucket needs.
        { requests: 2, windowMs: 1000, scope: 'account', accountKey: 'shop' },
      ],

      /** @param {ShopifyContext} ctx */
      async verify(ctx) {
        const { shop } = await graphql(ctx, SHOP_QUERY);
        if (!shop?.id) throw new ProviderRejectedError('Shopify answered without the shop');
        const expected = ctx.integration?.metadata?.shop;
        if (typeof expected === 'string' && shop.myshopifyDomain && shop.myshopifyDomain !== expected) {
          throw new ProviderRejectedError(`The token belongs to ${shop.myshopifyDomain}, not ${expected}`);
        }
        return {
          displayName: shop.name ? `${shop.name} (${shop.myshopifyDomain})` : shop.myshopifyDomain,
          metadata: {
            shopId: shop.id,
            shopName: shop.name ?? null,
            myshopifyDomain: shop.myshopifyDomain ?? null,
            currency: shop.currencyCode ?? null,
            plan: shop.plan?.displayName ?? null,
          },
        };
      },

      /** @param {ShopifyContext} ctx */
      async healthCheck(ctx) {
        await graphql(ctx, PING_QUERY);
      },

      actions: {
        listProducts: {
          description: 'One page of the shop’s products, most recently changed last, with the cursor of the next page.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              first: { type: 'integer', minimum: 1, maximum: MAX_FIRST, default: PAGE_SIZE, description: 'Products on the page (at most 250)' },
              after: { type: 'string', minLength: 1, maxLength: 1000, description: 'The endCursor of the previous page' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['products', 'pageInfo'],
            properties: {
              products: { type: 'array', items: productSchema },
              pageInfo: { type: 'object', properties: { hasNextPage: { type: 'boolean' }, endCursor: { type: ['string', 'null'] } } },
            },
          },
          /** @param {ShopifyContext} ctx */
          async run(ctx, input = {}) {
            const data = await graphql(ctx, PRODUCTS_QUERY, { first: input.first ?? PAGE_SIZE, ...(input.after ? { after: input.after } : {}) });
            const connection = data.products ?? { nodes: [], pageInfo: {} };
            return {
              products: (connection.nodes ?? []).map(productRecord),
              pageInfo: { hasNextPage: connection.pageInfo?.hasNextPage === true, endCursor: connection.pageInfo?.endCursor ?? null },
            };
          },
        },

        getOrder: {
          description: 'One order with its totals (integer minor units), statuses and line items.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['orderId'],
            properties: {
              orderId: { type: 'string', pattern: ORDER_ID, maxLength: 40, description: 'The order’s GID (gid://shopify/Order/…) or numeric id' },
            },
          },
          outputSchema: orderSchema,
          /** @param {ShopifyContext} ctx */
          async run(ctx, input) {
            const id = input.orderId.startsWith('gid://') ? input.orderId : `gid://shopify/Order/${input.orderId}`;
            const { order } = await graphql(ctx, ORDER_QUERY, { id });
            if (!order) throw new ProviderRejectedError(`Shopify has no order ${id} in this shop`);
            const items = order.lineItems ?? { nodes: [], pageInfo: {} };
            return {
              ...orderRecord(order),
              lineItems: (items.nodes ?? []).map((item) => ({
                id: item.id,
                title: item.title ?? null,
                quantity: item.quantity ?? 0,
                sku: item.sku ?? null,
                productId: item.product?.id ?? null,
                variantId: item.variant?.id ?? null,
                unitPrice: money(item.originalUnitPriceSet),
              })),
              lineItemsTruncated: items.pageInfo?.hasNextPage === true,
            };
          },
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * `products` and `orders`, incremental by `updated_at` through the search `query` argument. Without
         * the read_all_orders scope Shopify lists the last 60 days of orders only.
         * @param {ShopifyContext} ctx
         */
        async run(ctx, input = {}) {
          const marks = input?.highWaterMarks ?? {};
          const products = (await readAll(ctx, PRODUCTS_QUERY, 'products', marks.products)).map(productRecord);
          const orders = (await readAll(ctx, ORDERS_QUERY, 'orders', marks.orders)).map(orderRecord);
          const highWaterMarks = {};
          const productMark = latest(products, marks.products);
          const orderMark = latest(orders, marks.orders);
          if (productMark) highWaterMarks.products = productMark;
          if (orderMark) highWaterMarks.orders = orderMark;
          return { records: { products, orders }, highWaterMarks };
        },
      },

      webhook: {
        /**
         * `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed with the app's client
         * secret, compared in constant time. Shopify requires a 401 for a bad one on the privacy topics.
         * @param {ShopifyContext} ctx
         * @param {InboundRequest} req
         */
        verify(ctx, req) {
          const secret = ctx.credentials?.app?.webhookSecret;
          if (typeof secret !== 'string' || !secret) {
            ctx.log.warn(
              'a Shopify webhook arrived but no webhook secret is configured (PLUGBOARD_OAUTH_SHOPIFY_APP_WEBHOOK_SECRET, or oauthApp.secrets.webhookSecret, set to the app’s client secret): it cannot be verified',
            );
            return false;
          }
          const given = header(req, 'x-shopify-hmac-sha256');
          if (!/^[A-Za-z0-9+/]{43}=$/.test(given) || typeof req?.rawBody !== 'string') return false;
          const expected = Buffer.from(webhookSignature(secret, req.rawBody), 'base64');
          return timingSafeEqual(expected, Buffer.from(given, 'base64'));
        },

        /**
         * orders/create, orders/paid, orders/fulfilled → order.created, order.paid, order.fulfilled;
         * products/create and products/update → product.updated. The privacy topics are acknowledged and
         * logged, and publish nothing. Webhooks of another shop are dropped.
         * @param {ShopifyContext} ctx
         * @param {InboundRequest} req
         */
        toEvents(ctx, req) {
          const topic = header(req, 'x-shopify-topic');
          const shop = header(req, 'x-shopify-shop-domain');
          const webhookId = header(req, 'x-shopify-webhook-id') || null;
          const expected = ctx.integration?.metadata?.shop;
          if (typeof expected === 'string' && shop && shop !== expected) {
            ctx.log.warn('a Shopify webhook for another shop reached this connection: ignored', { topic, shop, webhookId });
            return [];
          }
          const payload = parse(req?.rawBody ?? '');
          if (!payload) {
            ctx.log.warn('a Shopify webhook body is not a JSON object: ignored', { topic, webhookId });
            return [];
          }
          if (PRIVACY_TOPICS.has(topic)) {
            // Plugboard keeps no Shopify customer data beyond synced records: the request is audited
            // (ids, never the customer's email or phone) for the operator, who must act on it (export
            // or erase) within Shopify's 30 days.
            const details = {
              topic,
              webhookId,
              shop: typeof payload.shop_domain === 'string' ? payload.shop_domain : shop,
              shopId: payload.shop_id ?? null,
              customerId: payload.customer?.id ?? null,
              ordersRequested: Array.isArray(payload.orders_requested) ? payload.orders_requested.length : undefined,
              ordersToRedact: Array.isArray(payload.orders_to_redact) ? payload.orders_to_redact.length : undefined,
              dataRequestId: payload.data_request?.id ?? null,
            };
            ctx.log.warn(`Shopify privacy request ${topic}: act on it within 30 days`, details);
            return [{ audit: `shopify.${topic.replace('/', '_')}`, details }];
          }
          if (ORDER_TOPICS[topic]) {
            const data = orderEvent(payload);
            if (!data) {
              ctx.log.warn('a Shopify order webhook without an order id: ignored', { topic, webhookId });
              return [];
            }
            return [{ event: ORDER_TOPICS[topic], data }];
          }
          if (PRODUCT_TOPICS.has(topic)) {
            const data = productEvent(payload);
            if (!data) {
              ctx.log.warn('a Shopify product webhook without a product id: ignored', { topic, webhookId });
              return [];
            }
            return [{ event: 'product.updated', data }];
          }
          ctx.log.info('Shopify webhook of a topic this plugin does not publish', { topic, webhookId });
          return [];
        },
      },
    },
  ],
});
