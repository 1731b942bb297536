import { bearerToken, providerOriginOverrides, startFakeServer, type FakeServer } from '../fixtures/providers/fake-http-server.js';
import { SHOPIFY_SHOP, startFakeShopify, type FakeShopify } from '../fixtures/providers/shopify.js';
import { pluginDir } from '../support/plugin-fixtures.js';

const UUID = /^[0-9a-f-]{36}$/;
import { bearer, createAccount, startTestApp, type TestApp } from '../support/test-app.js';

const ENVELOPE = { appId: '7351200000000000001', secret: 'envelope-app-secret-4f2a9c' };
const SHOP_APP = { clientId: 'shop-app' };

/**
 * A provider answering its token request in an HTTP 200 envelope (TikTok for Business's shape): the
 * authorization page redirects back with `auth_code` (and `code`), the token endpoint takes JSON
 * `{ app_id, secret, auth_code }` and answers `{ code: 0, data: { access_token, … } }`, or a non-zero
 * code with a message, still with 200.
 */
async function startFakeEnvelope() {
  const codes = new Map<string, string>();
  const tokens = new Set<string>();
  const server: FakeServer = await startFakeServer(
    (request) => {
      if (request.path === '/portal/auth') {
        if (request.query.app_id !== ENVELOPE.appId) return { status: 400, body: { code: 40001, message: 'app_id is invalid' } };
        const code = `auth_${codes.size + 1}_${Math.random().toString(36).slice(2)}`;
        codes.set(code, request.query.redirect_uri);
        const back = new URL(request.query.redirect_uri);
        back.searchParams.set('auth_code', code);
        back.searchParams.set('code', code);
        back.searchParams.set('state', request.query.state);
        return { status: 302, headers: { location: back.href } };
      }
      if (request.path === '/oauth2/access_token/' && request.method === 'POST') {
        const body = request.body as { app_id?: string; secret?: string; auth_code?: string };
        if (request.headers['content-type'] !== 'application/json')
          return { status: 200, body: { code: 40002, message: 'Content-Type must be application/json' } };
        if (body.app_id !== ENVELOPE.appId || body.secret !== ENVELOPE.secret)
          return { status: 200, body: { code: 40001, message: 'The app secret is invalid' } };
        if (!body.auth_code || !codes.delete(body.auth_code)) return { status: 200, body: { code: 40104, message: 'auth_code is invalid or has expired' } };
        const accessToken = `tok_${Math.random().toString(36).slice(2)}`;
        tokens.add(accessToken);
        return { status: 200, body: { code: 0, message: 'OK', data: { access_token: accessToken, advertiser_ids: ['7000000001'], scope: [4, 5] } } };
      }
      if (request.path === '/api/me') {
        if (!tokens.has(bearerToken(request.headers) ?? '')) return { status: 200, body: { code: 40105, message: 'Access token is invalid' } };
        return { status: 200, body: { code: 0, data: { name: 'Envelope Ads' } } };
      }
      return undefined;
    },
    () => ({ status: 404, body: { code: 40400, message: 'Not found' } }),
  );
  return { server, codes };
}

describe('OAuth providers that depart from RFC 6749', () => {
  let envelope: Awaited<ReturnType<typeof startFakeEnvelope>>;
  let shopify: FakeShopify;
  let t: TestApp;
  let owner: string;

  beforeAll(async () => {
    [envelope, shopify] = await Promise.all([startFakeEnvelope(), startFakeShopify()]);
    shopify.state.oauth.registerClient({ clientId: SHOP_APP.clientId, clientSecret: shopify.state.clientSecret });
    t = await startTestApp({
      // The envelope fixture beside the bundled plugins (Shopify among them).
      PLUGINS_DIR: pluginDir(['own-token-request']),
      PLUGIN_ISOLATION: 'none',
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides({ 'https://envelope.example.com': envelope.server.url }, shopify.origins),
      PLUGBOARD_OAUTH_FIXTURE_ENVELOPE_CLIENT_ID: ENVELOPE.appId,
      PLUGBOARD_OAUTH_FIXTURE_ENVELOPE_CLIENT_SECRET: ENVELOPE.secret,
      PLUGBOARD_OAUTH_SHOPIFY_CLIENT_ID: SHOP_APP.clientId,
      PLUGBOARD_OAUTH_SHOPIFY_CLIENT_SECRET: shopify.state.clientSecret,
      PLUGBOARD_OAUTH_SHOPIFY_APP_WEBHOOK_SECRET: shopify.state.clientSecret,
    });
    ({ ownerToken: owner } = await createAccount(t));
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([envelope.server.close(), shopify.close()]);
  });

  /** Starts an authorization and returns where the provider sends the browser back (the callback URL). */
  async function authorize(provider: string, inputs?: Record<string, unknown>): Promise<URL> {
    const started = await t.http
      .post('/v1/connections/oauth/start')
      .set(bearer(owner))
      .send({ provider, returnUrl: '/back', ...(inputs ? { inputs } : {}) });
    expect(started.status).toBe(200);
    const atProvider = await fetch(started.body.authorizationUrl, { redirect: 'manual' });
    expect(atProvider.status).toBe(302);
    return new URL(atProvider.headers.get('location')!);
  }
  async function complete(callback: URL): Promise<URLSearchParams> {
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    expect(atPlugboard.status).toBe(302);
    return new URL(atPlugboard.headers.location, 'http://return.test').searchParams;
  }

  it('sends the client id as the provider names it, reads `auth_code`, and exchanges it with the provider’s own JSON request', async () => {
    const started = await t.http.post('/v1/connections/oauth/start').set(bearer(owner)).send({ provider: 'fixture_envelope', returnUrl: '/back' });
    const authorizationUrl = new URL(started.body.authorizationUrl);
    expect(authorizationUrl.searchParams.get('app_id')).toBe(ENVELOPE.appId);
    expect(authorizationUrl.searchParams.has('client_id')).toBe(false);

    const back = await complete(await authorize('fixture_envelope'));
    expect(Object.fromEntries(back)).toEqual({ provider: 'fixture_envelope', status: 'connected', connectionId: expect.stringMatching(UUID) });
    const exchange = envelope.server.requests.find((request) => request.path === '/oauth2/access_token/')!;
    expect(exchange.body).toEqual({ app_id: ENVELOPE.appId, secret: ENVELOPE.secret, auth_code: expect.stringMatching(/^auth_/) });
    const listed = await t.http.get('/v1/connections?provider=fixture_envelope').set(bearer(owner));
    expect(listed.body.data).toEqual([expect.objectContaining({ status: 'connected', displayName: 'Envelope Ads' })]);
  });

  it('reads an error code in a 200 envelope as a refusal, and stores nothing', async () => {
    const callback = await authorize('fixture_envelope');
    // The code is spent before the callback arrives: the provider answers 200 with code 40104.
    envelope.codes.clear();
    const back = await complete(callback);
    expect(back.get('status')).toBe('error');
    expect(back.get('error')).toBe('provider_rejected');
    expect((await t.http.get('/v1/connections?provider=fixture_envelope').set(bearer(owner))).body.data).toHaveLength(1);
  });

  it('refuses a callback without the provider’s code parameter', async () => {
    const callback = await authorize('fixture_envelope');
    callback.searchParams.delete('auth_code');
    expect((await complete(callback)).get('error')).toBe('invalid_request');
  });

  it('checks Shopify’s callback hmac: a signed callback connects, an altered one is refused before the code is exchanged', async () => {
    const tampered = await authorize('shopify', { shop: SHOPIFY_SHOP });
    expect(tampered.searchParams.get('hmac')).toMatch(/^[0-9a-f]{64}$/);
    tampered.searchParams.set('timestamp', String(Number(tampered.searchParams.get('timestamp')) + 1));
    const exchangesBefore = shopify.state.requests.filter((request) => request.path === '/admin/oauth/access_token').length;
    expect(Object.fromEntries(await complete(tampered))).toEqual({ provider: 'shopify', status: 'error', error: 'invalid_signature' });
    const unsigned = await authorize('shopify', { shop: SHOPIFY_SHOP });
    unsigned.searchParams.delete('hmac');
    expect((await complete(unsigned)).get('error')).toBe('invalid_signature');
    expect(shopify.state.requests.filter((request) => request.path === '/admin/oauth/access_token')).toHaveLength(exchangesBefore);

    const back = await complete(await authorize('shopify', { shop: SHOPIFY_SHOP }));
    expect(Object.fromEntries(back)).toEqual({ provider: 'shopify', status: 'connected', connectionId: expect.stringMatching(UUID) });
  });

  it('audits a privacy webhook the plugin reports, without the customer’s contact details', async () => {
    // The connection the previous test made.
    const [connection] = (await t.http.get('/v1/connections?provider=shopify').set(bearer(owner))).body.data;
    const request = shopify.state.webhook('customers/redact', {
      shop_id: 548380009,
      shop_domain: SHOPIFY_SHOP,
      customer: { id: 191167, email: 'john@example.com', phone: '555-625-1199' },
      orders_to_redact: [299938],
    });
    const delivered = await t.http.post(`/v1/hooks/${connection.id}`).set(request.headers).send(request.rawBody);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toEqual({ received: 0 });
    const audit = await t.http.get('/v1/audit-log').set(bearer(owner));
    const entry = audit.body.data.find((row: { action: string }) => row.action === 'integration.webhook.shopify.customers_redact');
    expect(entry).toMatchObject({
      actorType: 'system',
      targetType: 'integration',
      targetId: connection.id,
      details: expect.objectContaining({ provider: 'shopify', customerId: 191167, ordersToRedact: 1 }),
    });
    expect(JSON.stringify(entry)).not.toContain('john@example.com');
  });
});
