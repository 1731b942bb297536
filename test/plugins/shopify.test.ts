import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SHOPIFY_SCOPES, SHOPIFY_SHOP, startFakeShopify, type FakeShopify } from '../fixtures/providers/shopify.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { callbackSignatureValid } from '../../src/modules/integrations/oauth/callback-signature.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT_ID = '3a9f0c1e2b7d4e6f8a0b1c2d3e4f5a6b';
const GRAPHQL = `https://${SHOPIFY_SHOP}/admin/api/2026-10/graphql.json`;

let plugin: PluginDefinition;
let shopify: Json;
let helpers: Json;
let fake: FakeShopify;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('shopify');
  shopify = plugin.providers[0];
  helpers = (await import(pathToFileURL(resolve('plugins', 'shopify', 'index.js')).href)) as Json;
  fake = await startFakeShopify();
  fake.state.oauth.registerClient({ clientId: CLIENT_ID, clientSecret: fake.state.clientSecret, redirectUris: [REDIRECT_URI] });
  accessToken = fake.state.oauth.mintTokens(CLIENT_ID, SHOPIFY_SCOPES.replace(',', ' ')).accessToken;
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.bucket.currentlyAvailable = fake.state.bucket.maximumAvailable;
  fake.state.nextErrors.length = 0;
});

const harness = ({ token = accessToken, app, metadata = { shop: SHOPIFY_SHOP } }: { token?: string; app?: Json; metadata?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'shopify',
    credentials: { accessToken: token, tokenType: 'bearer', app: app ?? { webhookSecret: fake.state.clientSecret } },
    integration: { metadata },
    http: forwardTo(fake.origins),
  });
const sent = (h: Harness) =>
  h.requests.map((request) => ({ url: request.url, token: request.headers['x-shopify-access-token'], body: request.json() as Json }));

describe('shopify plugin: declaration and OAuth at the shop', () => {
  it('declares OAuth at the entered *.myshopify.com shop, the pinned Admin API and the cost-based limit', () => {
    expect(shopify).toMatchObject({
      id: 'shopify',
      category: 'commerce',
      baseUrl: 'https://{shop}/admin/api/2026-10',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://{shop}/admin/oauth/authorize',
        tokenUrl: 'https://{shop}/admin/oauth/access_token',
        scopes: ['read_products', 'read_orders'],
        scopeSeparator: ',',
        appSecrets: ['webhookSecret'],
      },
      rateLimits: [{ requests: 2, windowMs: 1000, scope: 'account', accountKey: 'shop' }],
    });
    const validate = createSchemaCompiler().compile(shopify.connectionInputs);
    expect(validate({ shop: SHOPIFY_SHOP })).toBe(true);
    for (const shop of ['acme.example.com', 'https://acme.myshopify.com', 'acme.myshopify.com.evil.test', '-acme.myshopify.com', 'ACME.myshopify.com'])
      expect(validate({ shop })).toBe(false);
  });

  it('the fake runs Shopify’s grant: a signed callback, a non-expiring token by default, an expiring one with refresh on expiring=1', async () => {
    const authorize = new URL(shopify.auth.authorizationUrl.replace('{shop}', SHOPIFY_SHOP));
    for (const [key, value] of Object.entries({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: shopify.auth.scopes.join(','),
      response_type: 'code',
      state: 'st-1',
    }))
      authorize.searchParams.set(key, value);
    const back = await followAuthorizationUrl(authorize, fake.origins);
    const query = Object.fromEntries(back.searchParams);
    expect(query).toMatchObject({ state: 'st-1', shop: SHOPIFY_SHOP, code: expect.any(String), hmac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Signed as the host's callback check (`auth.callbackHmac`) expects.
    expect(callbackSignatureValid(query, 'hmac', fake.state.clientSecret)).toBe(true);
    expect(callbackSignatureValid({ ...query, shop: 'evil.myshopify.com' }, 'hmac', fake.state.clientSecret)).toBe(false);

    const tokenUrl = shopify.auth.tokenUrl.replace('{shop}', SHOPIFY_SHOP);
    const granted = await postTokenRequest(tokenUrl, fake.origins, { client_id: CLIENT_ID, client_secret: fake.state.clientSecret, code: query.code });
    expect(granted).toEqual({ status: 200, body: { access_token: expect.any(String), scope: 'read_products,read_orders' } });
    await expect(harness({ token: granted.body.access_token }).healthCheck()).resolves.toBeUndefined();

    const again = await followAuthorizationUrl(authorize, fake.origins);
    const expiring = await postTokenRequest(tokenUrl, fake.origins, {
      client_id: CLIENT_ID,
      client_secret: fake.state.clientSecret,
      code: again.searchParams.get('code')!,
      expiring: '1',
    });
    expect(expiring.body).toMatchObject({ expires_in: 3600, refresh_token: expect.any(String), refresh_token_expires_in: 7_776_000 });
    const refreshed = await postTokenRequest(tokenUrl, fake.origins, {
      grant_type: 'refresh_token',
      client_id: CLIENT_ID,
      client_secret: fake.state.clientSecret,
      refresh_token: expiring.body.refresh_token,
    });
    expect(refreshed.body).toMatchObject({ access_token: expect.any(String), expires_in: 3600 });
    expect(refreshed.body.access_token).not.toBe(expiring.body.access_token);
  });
});

describe('shopify plugin: verify and health', () => {
  it('verifies with the shop query, sending the token as X-Shopify-Access-Token', async () => {
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: `Acme Outfitters (${SHOPIFY_SHOP})`,
      metadata: { shopId: 'gid://shopify/Shop/548380009', shopName: 'Acme Outfitters', myshopifyDomain: SHOPIFY_SHOP, currency: 'USD', plan: 'Basic' },
    });
    const [request] = sent(h);
    expect(request.url).toBe(GRAPHQL);
    expect(request.token).toBe(accessToken);
    expect(request.body.query).toMatch(/^query ShopInfo \{ shop \{ id name myshopifyDomain currencyCode plan \{ displayName \} \} \}$/);
  });

  it('refuses a token of another shop, and a token Shopify does not know with its own 401 message', async () => {
    // The shop answering is not the one entered (a token of another shop reaching this domain).
    fake.state.shop.myshopifyDomain = 'other-shop.myshopify.com';
    try {
      await expect(harness().verify()).rejects.toMatchObject({
        code: 'provider_rejected',
        message: `The token belongs to other-shop.myshopify.com, not ${SHOPIFY_SHOP}`,
      });
    } finally {
      fake.state.shop.myshopifyDomain = SHOPIFY_SHOP;
    }
    await expect(harness({ token: 'shpat_unknown' }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: '[API] Invalid API key or access token (unrecognized login or wrong password): connect the Shopify shop again',
    });
    // A bearer header alone is not how Shopify reads tokens.
    const bare = await fetch(`${fake.url}/admin/api/2026-10/graphql.json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query ShopPing { shop { id } }' }),
    });
    expect(bare.status).toBe(401);
  });
});

describe('shopify plugin: actions', () => {
  it('listProducts pages with first/after and converts prices to minor units', async () => {
    for (let index = 0; index < 3; index += 1)
      fake.state.addProduct({ title: `Tee ${index}`, updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString() });
    const h = harness();
    const first = await h.action<Json>('listProducts', { first: 2 });
    expect(first.products).toHaveLength(2);
    expect(first.products[0]).toMatchObject({
      title: 'Tee 0',
      status: 'ACTIVE',
      minPrice: { amount: 1999, currency: 'USD' },
      maxPrice: { amount: 2450, currency: 'USD' },
    });
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: expect.any(String) });
    const second = await h.action<Json>('listProducts', { first: 2, after: first.pageInfo.endCursor });
    expect(second.products[0].title).toBe('Tee 2');
    expect(sent(h).map((request) => request.body.variables)).toEqual([{ first: 2 }, { first: 2, after: first.pageInfo.endCursor }]);
    expect(sent(h)[0].body.query).toMatch(/^query ListProducts\(/);
  });

  it('getOrder reads one order with its line items; an unknown order is refused', async () => {
    const order = fake.state.addOrder({
      total: '1234.5',
      lineItems: [
        {
          id: 'gid://shopify/LineItem/1',
          title: 'Tee',
          quantity: 2,
          sku: 'TEE-1',
          productId: 'gid://shopify/Product/1',
          variantId: 'gid://shopify/ProductVariant/2',
          price: '9.99',
        },
      ],
    });
    const h = harness();
    const numeric = order.id.split('/').pop()!;
    const result = await h.action<Json>('getOrder', { orderId: numeric });
    expect(result).toMatchObject({
      id: order.id,
      name: order.name,
      totalAmount: 123450,
      currency: 'USD',
      financialStatus: 'PAID',
      lineItems: [{ title: 'Tee', quantity: 2, productId: 'gid://shopify/Product/1', unitPrice: { amount: 999, currency: 'USD' } }],
      lineItemsTruncated: false,
    });
    expect(sent(h)[0].body.variables).toEqual({ id: order.id });
    await expect(h.action('getOrder', { orderId: 'gid://shopify/Order/1' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('no order'),
    });
  });

  it('the input schemas refuse what Shopify would', () => {
    const compiler = createSchemaCompiler();
    const list = compiler.compile(shopify.actions.listProducts.inputSchema);
    expect(list({ first: 251 })).toBe(false);
    expect(list({ first: 10, extra: true })).toBe(false);
    const get = compiler.compile(shopify.actions.getOrder.inputSchema);
    expect(get({ orderId: 'gid://shopify/Product/1' })).toBe(false);
    expect(get({})).toBe(false);
    expect(get({ orderId: 'gid://shopify/Order/450789469' })).toBe(true);
  });
});

describe('shopify plugin: money', () => {
  it('converts decimal strings with the currency’s real exponent', () => {
    expect(helpers.toMinorUnits('403.00', 'USD')).toBe(40300);
    expect(helpers.toMinorUnits('1500', 'JPY')).toBe(1500);
    expect(helpers.toMinorUnits('12.345', 'KWD')).toBe(12345);
    expect(helpers.toMinorUnits('0.1', 'EUR')).toBe(10);
    expect(helpers.toMinorUnits('19.995', 'USD')).toBe(2000);
    expect(() => helpers.toMinorUnits('1e3', 'USD')).toThrow();
  });
});

describe('shopify plugin: sync', () => {
  it('syncs products and orders with cursor paging, then only what changed by updated_at', async () => {
    const base = Date.UTC(2026, 5, 1);
    for (let index = 0; index < 120; index += 1) fake.state.addOrder({ updatedAt: new Date(base + index * 1000).toISOString() });
    const h = harness();
    const first = await h.sync();
    expect(first.records!.orders).toHaveLength(fake.state.orders.length);
    expect(first.records!.products).toHaveLength(fake.state.products.length);
    const orderPages = sent(h).filter((request) => /^query SyncOrders/.test(request.body.query));
    expect(orderPages).toHaveLength(Math.ceil(fake.state.orders.length / 50));
    expect(orderPages[1].body.variables).toEqual({ first: 50, after: expect.any(String) });
    const mark = first.highWaterMarks!.orders;
    expect(mark).toBe(
      [...fake.state.orders]
        .map((order) => order.updatedAt)
        .sort()
        .at(-1),
    );

    const changed = fake.state.orders[5];
    changed.updatedAt = new Date(Date.parse(mark) + 60_000).toISOString();
    changed.financialStatus = 'REFUNDED';
    const next = harness();
    const second = await next.sync({ highWaterMarks: first.highWaterMarks });
    expect(second.records!.orders.map((order) => order.id)).toContain(changed.id);
    expect(second.records!.orders.find((order) => order.id === changed.id)).toMatchObject({ financialStatus: 'REFUNDED' });
    expect(second.records!.orders.length).toBeLessThan(3);
    expect(second.highWaterMarks!.orders).toBe(changed.updatedAt);
    const filter = sent(next).find((request) => /^query SyncOrders/.test(request.body.query))!.body.variables.query;
    expect(filter).toBe(`updated_at:>='${mark.replace(/\.\d{3}Z$/, 'Z')}'`);
  });
});

describe('shopify plugin: Shopify’s refusals and limits', () => {
  it('THROTTLED (HTTP 200) becomes provider_rate_limited with the wait the cost bucket needs', async () => {
    // 102 points at 40 a second is 2.55 s, so 3: the bucket may refill for half a second before the query arrives.
    fake.state.bucket.currentlyAvailable = 0;
    fake.state.bucket.restoreRate = 40;
    fake.state.bucket.at = Date.now();
    await expect(harness().action('listProducts', { first: 50 })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 3 });
    fake.state.bucket.restoreRate = 100;
  });

  it('GraphQL errors with HTTP 200 are refusals with Shopify’s message; internal errors are outages', async () => {
    const { accessToken: narrow } = fake.state.oauth.mintTokens(CLIENT_ID, 'read_products');
    await expect(harness({ token: narrow }).action('getOrder', { orderId: '1' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Access denied for order field. Required access: `read_orders` access scope. (ACCESS_DENIED)',
    });
    fake.state.nextErrors.push({ message: 'Internal error. Looks like something went wrong on our end.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const outage = harness().healthCheck();
    await expect(outage).rejects.toThrow(/Internal error/);
    await expect(outage).rejects.not.toMatchObject({ code: 'provider_rejected' });
  });
});

describe('shopify plugin: webhooks', () => {
  it('checks X-Shopify-Hmac-Sha256 against a fixed vector and refuses a tampered body or a missing secret', async () => {
    // Vector computed per Shopify's docs (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook):
    // base64(HMAC-SHA256(client secret, raw body)), with the docs' sample secret "hush".
    const rawBody = '{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","name":"#9999"}';
    const signed = { 'x-shopify-hmac-sha256': 'vT0fIaFUXyldmP5bs2emHKB4ZzgV2JvDdMfSxcG0Zuk=', 'x-shopify-topic': 'orders/create' };
    const h = harness({ app: { webhookSecret: 'hush' } });
    expect(await h.webhookVerify({ rawBody, headers: signed })).toBe(true);
    expect(await h.webhookVerify({ rawBody: rawBody.replace('9999', '9998'), headers: signed })).toBe(false);
    expect(await h.webhookVerify({ rawBody, headers: { ...signed, 'x-shopify-hmac-sha256': '' } })).toBe(false);
    const unset = harness({ app: {} });
    expect(await unset.webhookVerify({ rawBody, headers: signed })).toBe(false);
    expect(unset.logs[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('PLUGBOARD_OAUTH_SHOPIFY_APP_WEBHOOK_SECRET') });
    // The big id survives: it is read from admin_graphql_api_id.
    expect(await h.webhookToEvents({ rawBody, headers: { ...signed, 'x-shopify-shop-domain': SHOPIFY_SHOP } })).toEqual([
      { event: 'order.created', data: { orderId: 'gid://shopify/Order/820982911946154508', provider: 'shopify', orderNumber: '#9999', lineItems: [] } },
    ]);
  });

  it('maps order and product topics to host events', async () => {
    const order = {
      id: 5000000001001,
      admin_graphql_api_id: 'gid://shopify/Order/5000000001001',
      name: '#1001',
      order_number: 1001,
      email: 'ana@example.com',
      created_at: '2026-03-05T10:00:00-05:00',
      currency: 'JPY',
      total_price: '4900',
      total_price_set: { shop_money: { amount: '4900', currency_code: 'JPY' }, presentment_money: { amount: '32.50', currency_code: 'USD' } },
      financial_status: 'paid',
      fulfillment_status: 'fulfilled',
      line_items: [
        { id: 1, product_id: 7000001, title: 'Ticket', quantity: 1, price: '4900' },
        { id: 2, product_id: null, title: 'Custom item', quantity: 2, price: '0' },
      ],
    };
    const h = harness();
    const expected = {
      orderId: 'gid://shopify/Order/5000000001001',
      provider: 'shopify',
      orderNumber: '#1001',
      email: 'ana@example.com',
      totalAmount: 4900,
      currency: 'JPY',
      financialStatus: 'paid',
      fulfillmentStatus: 'fulfilled',
      lineItems: [
        { productId: 'gid://shopify/Product/7000001', title: 'Ticket', quantity: 1 },
        { title: 'Custom item', quantity: 2 },
      ],
      createdAt: '2026-03-05T10:00:00-05:00',
    };
    for (const [topic, event] of [
      ['orders/create', 'order.created'],
      ['orders/paid', 'order.paid'],
      ['orders/fulfilled', 'order.fulfilled'],
    ]) {
      const request = fake.state.webhook(topic, order);
      expect(await h.webhookVerify(request)).toBe(true);
      expect(await h.webhookToEvents(request)).toEqual([{ event, data: expected }]);
    }
    const product = fake.state.webhook('products/update', {
      id: 7000001,
      admin_graphql_api_id: 'gid://shopify/Product/7000001',
      title: 'Ticket',
      status: 'active',
      updated_at: '2026-03-05T10:00:00-05:00',
    });
    expect(await h.webhookVerify(product)).toBe(true);
    expect(await h.webhookToEvents(product)).toEqual([
      {
        event: 'product.updated',
        data: { productId: 'gid://shopify/Product/7000001', provider: 'shopify', title: 'Ticket', status: 'ACTIVE', updatedAt: '2026-03-05T10:00:00-05:00' },
      },
    ]);
    const other = fake.state.webhook('orders/create', order, { shop: 'other-shop.myshopify.com' });
    expect(await h.webhookToEvents(other)).toEqual([]);
    expect(h.logs.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('another shop') });
    expect(await h.webhookVerify(fake.state.webhook('orders/create', order, { secret: 'not-the-client-secret' }))).toBe(false);
  });

  it('verifies, acknowledges, audits and logs the mandatory privacy topics, publishing nothing', async () => {
    const h = harness();
    const payloads: Record<string, Json> = {
      'customers/data_request': {
        shop_id: 548380009,
        shop_domain: SHOPIFY_SHOP,
        orders_requested: [299938, 280263],
        customer: { id: 191167, email: 'john@example.com', phone: '555-625-1199' },
        data_request: { id: 9999 },
      },
      'customers/redact': { shop_id: 548380009, shop_domain: SHOPIFY_SHOP, customer: { id: 191167 }, orders_to_redact: [299938] },
      'shop/redact': { shop_id: 548380009, shop_domain: SHOPIFY_SHOP },
    };
    for (const [topic, payload] of Object.entries(payloads)) {
      const request = fake.state.webhook(topic, payload);
      expect(await h.webhookVerify(request)).toBe(true);
      expect(await h.webhookVerify({ ...request, rawBody: request.rawBody.replace('548380009', '548380008') })).toBe(false);
      expect(await h.webhookToEvents(request)).toEqual([]);
      expect(await h.webhookAudits(request)).toEqual([
        { audit: `shopify.${topic.replace('/', '_')}`, details: expect.objectContaining({ topic, shop: SHOPIFY_SHOP, shopId: 548380009 }) },
      ]);
      expect(h.logs.at(-1)).toMatchObject({
        level: 'warn',
        message: expect.stringContaining(topic),
        fields: expect.objectContaining({ topic, shop: SHOPIFY_SHOP }),
      });
    }
    // The log and the audit entry name the request, not the customer's email or phone.
    expect(JSON.stringify(h.logs)).not.toContain('john@example.com');
    expect(JSON.stringify(await h.webhookAudits(fake.state.webhook('customers/data_request', payloads['customers/data_request'])))).not.toContain(
      '555-625-1199',
    );
  });
});
