import { startFakeServer, bearerToken, type FakeServer } from '../fixtures/providers/fake-http-server.js';
import { FakeAuthorizationServer } from '../fixtures/providers/oauth2-authorization-server.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = { clientId: 'shop-app', clientSecret: 'shop-app-secret-123' };
const SHOP = 'acme.myshopify.com';

/**
 * A shop-domain provider: its OAuth server and API answer at `https://<shop>` (here one fake for the
 * one shop), and its token responses name the instance URL its API is called at.
 */
async function startFakeShop() {
  const oauth = new FakeAuthorizationServer({ accessTokenTtlSeconds: 3600, refreshTokens: 'offline' });
  oauth.registerClient({ ...CLIENT });
  const state = { instanceUrl: `https://${SHOP}` };
  const server: FakeServer = await startFakeServer(
    (request) => {
      if (request.path === '/admin/oauth/authorize') return oauth.authorize({ ...request, query: { ...request.query, access_type: 'offline' } });
      if (request.path === '/admin/oauth/access_token') {
        const answer = oauth.token(request);
        return answer.status === 200 ? { ...answer, body: { ...(answer.body as object), instance_url: state.instanceUrl } } : answer;
      }
      if (request.path === '/api/shop') {
        if (!oauth.authenticate(bearerToken(request.headers))) return { status: 401, body: { errors: '[API] Invalid API key or access token' } };
        return { status: 200, body: { name: 'Acme Store' } };
      }
      return undefined;
    },
    () => ({ status: 404, body: { errors: 'Not Found' } }),
  );
  return { server, oauth, state };
}

describe('connection inputs and token-response metadata', () => {
  let fake: Awaited<ReturnType<typeof startFakeShop>>;
  let t: TestApp;
  let owner: string;

  beforeAll(async () => {
    fake = await startFakeShop();
    t = await startTestApp({
      ...pluginEnv(pluginDir(['connection-inputs', 'echo'])),
      PLUGIN_ISOLATION: 'none',
      PROVIDER_ORIGIN_OVERRIDES: `https://${SHOP}=${fake.server.url}`,
      PLUGBOARD_OAUTH_FIXTURE_SHOP_CLIENT_ID: CLIENT.clientId,
      PLUGBOARD_OAUTH_FIXTURE_SHOP_CLIENT_SECRET: CLIENT.clientSecret,
    });
    ({ ownerToken: owner } = await createAccount(t));
  });
  afterAll(async () => {
    await t.close();
    await fake.server.close();
  });

  /** Starts the authorization, lets the fake authorize it as a browser would, and hands the redirect to the callback. */
  async function connect(inputs: Record<string, unknown>): Promise<URL> {
    const started = await t.http.post('/v1/connections/oauth/start').set(bearer(owner)).send({ provider: 'fixture_shop', returnUrl: '/back', inputs });
    expect(started.status).toBe(200);
    const authorizationUrl = new URL(started.body.authorizationUrl);
    expect(authorizationUrl.pathname).toBe('/admin/oauth/authorize');
    const atProvider = await fetch(authorizationUrl, { redirect: 'manual' });
    const callback = new URL(atProvider.headers.get('location')!);
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    expect(atPlugboard.status).toBe(302);
    return new URL(atPlugboard.headers.location, 'http://return.test');
  }

  it('publishes the inputs schema with the provider', async () => {
    const response = await t.http.get('/v1/providers/fixture_shop').set(bearer(owner));
    expect(response.body.connectionInputs).toMatchObject({ required: ['shop'], properties: { shop: { title: 'Shop domain' } } });
  });

  it('refuses missing or malformed inputs before any redirect, naming the field', async () => {
    const before = fake.server.requests.length;
    for (const inputs of [undefined, {}, { shop: 'evil.example.com' }, { shop: 'https://acme.myshopify.com' }, { shop: SHOP, extra: 1 }]) {
      const response = await t.http.post('/v1/connections/oauth/start').set(bearer(owner)).send({ provider: 'fixture_shop', returnUrl: '/back', inputs });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].path).toMatch(/^inputs/);
    }
    expect(fake.server.requests.length).toBe(before);
  });

  it('refuses inputs for a provider that declares none', async () => {
    const response = await t.http
      .post('/v1/connections')
      .set(bearer(owner))
      .send({ provider: 'fixture_echo', credentials: { apiKey: 'key_1' }, inputs: { shop: SHOP } });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: 'inputs', message: 'must be absent' }]);
  });

  it('builds the OAuth URLs from the inputs and keeps inputs and token values in metadata, where the base URL finds them', async () => {
    const back = await connect({ shop: SHOP });
    expect(back.searchParams.get('status')).toBe('connected');
    const list = await t.http.get('/v1/connections?provider=fixture_shop').set(bearer(owner));
    const connection = list.body.data[0];
    expect(connection.metadata).toEqual({ shop: SHOP, instanceUrl: `https://${SHOP}`, shopName: 'Acme Store' });
    expect(connection.displayName).toBe('Acme Store');

    const action = await t.http.post(`/v1/connections/${connection.id}/actions/shop`).set(bearer(owner)).send({ input: {} });
    expect(action.status).toBe(200);
    expect(action.body).toEqual({ name: 'Acme Store' });
    expect(fake.server.requests.at(-1)!.path).toBe('/api/shop');

    // A refresh answers the instance URL again: the kept value follows it.
    fake.state.instanceUrl = `https://acme-2.myshopify.com`;
    const refreshed = await t.http.post(`/v1/connections/${connection.id}/refresh`).set(bearer(owner));
    expect(refreshed.status).toBeLessThan(300);
    const after = await t.http.get(`/v1/connections/${connection.id}`).set(bearer(owner));
    expect(after.body.metadata).toMatchObject({ shop: SHOP, instanceUrl: 'https://acme-2.myshopify.com' });
    fake.state.instanceUrl = `https://${SHOP}`;
  });

  it('refuses a token response whose kept value does not match its pattern, and stores nothing', async () => {
    const before = (await t.http.get('/v1/connections?provider=fixture_shop').set(bearer(owner))).body.data.length;
    fake.state.instanceUrl = 'https://attacker.example';
    const back = await connect({ shop: SHOP });
    fake.state.instanceUrl = `https://${SHOP}`;
    expect(back.searchParams.get('status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('provider_rejected');
    expect((await t.http.get('/v1/connections?provider=fixture_shop').set(bearer(owner))).body.data.length).toBe(before);
  });
});
