import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

/**
 * Misbehaving plugins seen through the public API: an integration of a provider whose plugin crashes
 * its child process or hangs answers 502/504 for that call, and the next call works.
 */
describe('plugin failures through the HTTP API', () => {
  let t: TestApp;
  let owner: string;
  const action = (name: string) => t.http.post(`/v1/integrations/fixture_unstable/actions/${name}`).set('Authorization', `Bearer ${owner}`).send({ input: {} });

  beforeAll(async () => {
    t = await startTestApp(pluginEnv(pluginDir(['unstable', 'echo', 'throws', 'garbage']), { PLUGIN_CALL_TIMEOUT_MS: '1200' }));
    ({ ownerToken: owner } = await createAccount(t, 'business'));
    const connected = await t.http.put('/v1/integrations/fixture_unstable').set('Authorization', `Bearer ${owner}`).send({});
    expect(connected.status).toBe(200);
  });
  afterAll(() => t.close());

  it('answers 502 provider_error when the plugin crashes its process, and the next call works', async () => {
    const crashed = await action('crash');
    expect(crashed.status).toBe(502);
    expect(crashed.body).toMatchObject({ code: 'provider_error' });
    const next = await action('ok');
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ ok: true });
  });

  it('answers 504 provider_timeout when the plugin hangs or blocks its event loop past the deadline, and the next call works', async () => {
    for (const name of ['hang', 'spin']) {
      const timedOut = await action(name);
      expect(timedOut.status).toBe(504);
      expect(timedOut.body).toMatchObject({ code: 'provider_timeout' });
      const next = await action('ok');
      expect(next.status).toBe(200);
    }
  });

  it('lists the providers of loaded plugins only: failed plugins contribute nothing', async () => {
    const providers = await t.http.get('/v1/providers').set('Authorization', `Bearer ${owner}`);
    const ids = providers.body.data.map((provider: { id: string }) => provider.id);
    expect(ids).toEqual(expect.arrayContaining(['fixture_unstable', 'fixture_echo']));
    const echo = await t.http.get('/v1/providers/fixture_echo').set('Authorization', `Bearer ${owner}`);
    expect(echo.body).toMatchObject({ authType: 'api_key', plugin: { name: 'fixture-echo', version: '1.0.0' } });
  });
});
