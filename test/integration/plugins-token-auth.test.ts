import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** A token endpoint (client credentials, and a store's own exchange) and an API that wants its tokens. */
function startFake() {
  const state = { expiresIn: 3600, grants: [] as Array<{ authorization?: string; body: string; path: string }>, issued: new Set<string>() };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'POST' && (req.url === '/oauth/token' || req.url === '/core/v3/stores/store_1/access_tokens')) {
        state.grants.push({ authorization: req.headers.authorization, body, path: req.url });
        const good =
          req.url === '/oauth/token'
            ? req.headers.authorization === `Basic ${Buffer.from('client_1:secret_1').toString('base64')}` &&
              new URLSearchParams(body).get('grant_type') === 'client_credentials'
            : (JSON.parse(body) as { secret?: string }).secret === 'secret_1';
        if (!good) return json(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
        const token = `tok_${state.grants.length}`;
        state.issued.add(token);
        return json(200, { access_token: token, token_type: 'bearer', expires_in: state.expiresIn });
      }
      const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? req.headers['x-yotpo-token'];
      if (req.url === '/api/me' && typeof bearer === 'string' && state.issued.has(bearer)) return json(200, { name: `holder of ${bearer}` });
      return json(401, { error: 'invalid_token' });
    });
  });
  return { server, state };
}

describe.each(['process', 'none'])('credentials exchanged for a token (PLUGIN_ISOLATION=%s)', (isolation) => {
  const fake = startFake();
  let t: TestApp;
  let runner: PluginRunner;
  let port: number;
  beforeAll(async () => {
    await new Promise<void>((done) => fake.server.listen(0, '127.0.0.1', done));
    port = (fake.server.address() as AddressInfo).port;
    t = await startTestApp(pluginEnv(pluginDir(['client-credentials']), { PLUGIN_ISOLATION: isolation }));
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t.close();
    fake.server.close();
  });
  const context = (credentials: Record<string, string>, metadata: Record<string, unknown> = {}) => ({
    credentials,
    settings: {},
    integration: { id: '3c1b2a4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', accountId: 'acct_tok', livemode: true, metadata: { port, ...metadata } },
  });

  it('obtains a client-credentials token once, sends it as Bearer, and obtains a new one before it expires', async () => {
    fake.state.grants.length = 0;
    fake.state.expiresIn = 3600;
    const good = context({ clientId: 'client_1', clientSecret: 'secret_1' });
    await expect(runner.invoke('fixture_client_credentials', { kind: 'verify', context: good })).resolves.toEqual({
      displayName: 'holder of tok_1',
      metadata: {},
    });
    await expect(runner.invoke('fixture_client_credentials', { kind: 'action', name: 'whoami', input: {}, context: good })).resolves.toEqual({
      name: 'holder of tok_1',
    });
    expect(fake.state.grants).toEqual([
      { authorization: expect.stringMatching(/^Basic /), path: '/oauth/token', body: 'grant_type=client_credentials&scope=read+write' },
    ]);
    // A token with less than a minute left is replaced before it is used.
    fake.state.expiresIn = 30;
    const other = context({ clientId: 'client_1', clientSecret: 'secret_1' }, { tenant: 'b' });
    await runner.invoke('fixture_client_credentials', { kind: 'verify', context: other });
    await expect(runner.invoke('fixture_client_credentials', { kind: 'verify', context: other })).resolves.toEqual({
      displayName: 'holder of tok_3',
      metadata: {},
    });
    expect(fake.state.grants).toHaveLength(3);
  });

  it('refuses credentials the token endpoint refuses (422 with its description)', async () => {
    await expect(
      runner.invoke('fixture_client_credentials', { kind: 'verify', context: context({ clientId: 'client_1', clientSecret: 'wrong' }) }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'The provider refused the credentials: Client authentication failed',
    });
  });

  it("exchanges a key and secret with the provider's own endpoint (URL from metadata) and sends the token in its header", async () => {
    const exchanged = context({ appKey: 'app_1', secret: 'secret_1' }, { storeId: 'store_1' });
    await expect(runner.invoke('fixture_token_exchange', { kind: 'verify', context: exchanged })).resolves.toMatchObject({
      displayName: expect.stringMatching(/^holder of tok_/),
    });
    expect(fake.state.grants.at(-1)).toMatchObject({ path: '/core/v3/stores/store_1/access_tokens', body: '{"secret":"secret_1"}' });
  });
});
