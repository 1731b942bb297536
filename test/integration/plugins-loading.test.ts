import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const context = {
  credentials: { apiKey: 'key_123' },
  settings: { greeting: 'hello' },
  integration: { id: '7d9f0c55-5f4b-4a43-9a54-2f1f7f0e2a11', accountId: 'acct_1', livemode: false, metadata: {} },
};

describe.each(['process', 'none'])('plugin loading (PLUGIN_ISOLATION=%s)', (isolation) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    const dir = pluginDir(['echo', 'throws', 'incompatible', 'garbage', 'duplicate', 'invalid-schema', 'unstable']);
    t = await startTestApp(pluginEnv(dir, { PLUGIN_ISOLATION: isolation }));
    admin = await t.token({ sub: 'operator', admin: true });
  });
  afterAll(() => t.close());

  it('lists every plugin with its state; each broken one failed with a clear error', async () => {
    const response = await t.http.get('/v1/plugins?limit=100').set('Authorization', `Bearer ${admin}`);
    expect(response.status).toBe(200);
    expect(response.body.nextCursor).toBeNull();
    const byName = Object.fromEntries(response.body.data.map((plugin: { name: string }) => [plugin.name, plugin]));
    expect(byName['fixture-echo']).toEqual({
      name: 'fixture-echo',
      version: '1.0.0',
      state: 'loaded',
      providers: ['fixture_echo'],
      signature: 'unsigned',
      source: 'directory',
      // An unsigned plugin runs alone, started by its first call; in-process, in the API process.
      ...(isolation === 'process' ? { host: 'plugin:fixture-echo', running: false } : { host: 'api', running: true }),
    });
    expect(byName['fixture-throws']).not.toHaveProperty('host');
    expect(byName['fixture-unstable']).toMatchObject({ state: 'loaded', providers: ['fixture_unstable'] });
    expect(byName['fixture-throws']).toMatchObject({ state: 'failed', error: expect.stringContaining('this plugin fails while being imported') });
    expect(byName['fixture-incompatible']).toMatchObject({ state: 'failed', error: expect.stringMatching(/^incompatible apiVersion/) });
    expect(byName['fixture-garbage']).toMatchObject({ state: 'failed', error: expect.stringContaining('definePlugin') });
    expect(byName['fixture-duplicate']).toMatchObject({
      state: 'failed',
      error: 'provider id "fixture_echo" is already provided by plugin fixture-echo',
    });
    expect(byName['fixture-invalid-schema']).toMatchObject({ state: 'failed', error: expect.stringMatching(/category|not a valid JSON Schema/) });
  });

  it('pages the list', async () => {
    const first = await t.http.get('/v1/plugins?limit=3').set('Authorization', `Bearer ${admin}`);
    expect(first.body.data).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const rest = await t.http.get(`/v1/plugins?limit=100&cursor=${first.body.nextCursor}`).set('Authorization', `Bearer ${admin}`);
    expect(rest.body.data).toHaveLength(4);
  });

  it('refuses the plugin list to account members', async () => {
    const member = await t.token({ sub: 'someone', account: '7d9f0c55-5f4b-4a43-9a54-2f1f7f0e2a11' });
    const response = await t.http.get('/v1/plugins').set('Authorization', `Bearer ${member}`);
    expect(response.status).toBe(403);
  });

  it('calls the loaded provider while the broken plugins stay out of the way', async () => {
    const runner = t.app.get(PluginRunner);
    await expect(runner.invoke('fixture_echo', { kind: 'verify', context })).resolves.toEqual({ displayName: 'Echo acct_1', metadata: { checked: true } });
    await expect(runner.invoke('fixture_echo', { kind: 'action', name: 'echo', input: { message: 'hi' }, context })).resolves.toEqual({
      message: 'hi',
      greeting: 'hello',
      livemode: false,
    });
    await expect(runner.invoke('fixture_echo', { kind: 'sync', context })).resolves.toEqual({ records: { items: [{ id: '1', greeting: 'hello' }] } });
    const inbound = { method: 'POST', headers: { 'x-signature': 'good' }, query: {}, rawBody: '{"a":1}', body: { a: 1 } };
    await expect(runner.invoke('fixture_echo', { kind: 'webhookVerify', input: inbound, context })).resolves.toBe(true);
    await expect(runner.invoke('fixture_echo', { kind: 'webhookToEvents', input: inbound, context })).resolves.toEqual([
      { event: 'echo.received', data: { a: 1 } },
    ]);
    await expect(runner.invoke('fixture_future', { kind: 'verify', context })).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(runner.invoke('fixture_echo', { kind: 'action', name: 'nope', context })).rejects.toMatchObject({ status: 404 });
  });

  it('maps plugin errors by code: provider_rejected → 422 with its message, anything else → 502 without it', async () => {
    const runner = t.app.get(PluginRunner);
    await expect(runner.invoke('fixture_echo', { kind: 'verify', context: { ...context, credentials: { apiKey: 'bad' } } })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'the API key was refused',
    });
    await expect(runner.invoke('fixture_echo', { kind: 'action', name: 'refuse', input: {}, context })).rejects.toMatchObject({
      status: 422,
      message: 'refused by the provider',
    });
    const failure = await runner.invoke('fixture_echo', { kind: 'action', name: 'fail', input: {}, context }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 502, code: 'provider_error' });
    expect((failure as Error).message).not.toContain('internal detail');
  });

  it('answers 504 when a call passes its deadline, aborting ctx.signal, and the next call works', async () => {
    const runner = t.app.get(PluginRunner);
    if (isolation === 'process') {
      // A deadline shorter than the host's start: the call alone fails, the host goes on starting.
      await expect(runner.invoke('fixture_unstable', { kind: 'action', name: 'ok', input: {}, context, timeoutMs: 1 })).rejects.toMatchObject({
        status: 504,
        code: 'provider_timeout',
      });
    }
    const started = Date.now();
    await expect(runner.invoke('fixture_unstable', { kind: 'action', name: 'hang', input: {}, context, timeoutMs: 300 })).rejects.toMatchObject({
      status: 504,
      code: 'provider_timeout',
    });
    expect(Date.now() - started).toBeLessThan(1500);
    await expect(runner.invoke('fixture_unstable', { kind: 'action', name: 'aborted', input: {}, context, timeoutMs: 200 })).rejects.toMatchObject({
      status: 504,
    });
    await expect(runner.invoke('fixture_unstable', { kind: 'action', name: 'ok', input: {}, context })).resolves.toMatchObject({ ok: true });
  });
});
