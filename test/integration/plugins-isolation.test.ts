import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const integration = { id: '1f0b7f5e-1c55-4c1e-9a51-3a8f1c7a0b01', accountId: 'acct_iso', livemode: true, metadata: {} };
const context = { credentials: {}, settings: {}, integration };

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

describe('plugin isolation in child processes', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let api: Server;
  const seen: Array<{ url?: string; authorization?: string }> = [];
  beforeAll(async () => {
    api = createServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization });
      if (req.url === '/api/limited' && seen.filter((entry) => entry.url === '/api/limited').length === 1) {
        res.writeHead(429, { 'retry-after': '0' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((done) => api.listen(0, '127.0.0.1', done));
    t = await startTestApp(pluginEnv(pluginDir(['echo', 'unstable']), { PLUGIN_MEMORY_MB: '64' }));
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t.close();
    api.close();
  });

  const call = (name: string, timeoutMs = 5000) =>
    runner.invoke<{ ok: boolean; pid: number }>('fixture_unstable', { kind: 'action', name, input: {}, context, timeoutMs });

  it('answers 502 for the call whose child crashes; the next call gets a restarted child', async () => {
    const before = await call('ok');
    await expect(call('crash')).rejects.toMatchObject({ status: 502, code: 'provider_error' });
    const after = await call('ok');
    expect(after.ok).toBe(true);
    expect(after.pid).not.toBe(before.pid);
  });

  it('kills a child whose event loop is stuck past the deadline (504), and the next call works', async () => {
    const before = await call('ok');
    await expect(call('spin', 300)).rejects.toMatchObject({ status: 504, code: 'provider_timeout' });
    const after = await call('ok');
    expect(after.pid).not.toBe(before.pid);
  });

  it('caps the heap: a plugin that hogs memory loses its child (502), others are unaffected', async () => {
    await expect(call('hog', 20_000)).rejects.toMatchObject({ status: 502 });
    await expect(runner.invoke('fixture_echo', { kind: 'action', name: 'echo', input: { message: 'still here' }, context })).resolves.toMatchObject({
      message: 'still here',
    });
    await expect(call('ok')).resolves.toMatchObject({ ok: true });
  });

  it('refuses a call too deep or too large to send (400) before it reaches the child, which keeps running', async () => {
    const before = await call('ok');
    await expect(runner.invoke('fixture_unstable', { kind: 'action', name: 'ok', input: nested(2000), context })).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: expect.stringContaining('nested deeper than 48 levels'),
    });
    await expect(
      runner.invoke('fixture_unstable', { kind: 'action', name: 'ok', input: { blob: 'x'.repeat(33 * 1024 * 1024) }, context }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('larger than'),
    });
    expect((await call('ok')).pid).toBe(before.pid);
  });

  it('fails only the call whose result is too deep to send back (502); the child keeps running', async () => {
    const before = await call('ok');
    await expect(call('deepResult')).rejects.toMatchObject({ status: 502, code: 'provider_error' });
    expect((await call('ok')).pid).toBe(before.pid);
  });

  it('stops a child that writes an unreadable message past the runtime; the host and other plugins carry on', async () => {
    for (const name of ['rawDeep', 'rawGarbage']) {
      const before = await call('ok');
      await expect(call(name)).rejects.toMatchObject({ status: 502 });
      const after = await call('ok');
      expect(after.pid).not.toBe(before.pid);
    }
    await expect(runner.invoke('fixture_echo', { kind: 'action', name: 'echo', input: { message: 'unaffected' }, context })).resolves.toMatchObject({
      message: 'unaffected',
    });
  });

  it('lets a plugin read only its own directory and see none of the host environment', async () => {
    const outside = await runner.invoke('fixture_echo', { kind: 'action', name: 'readOutside', input: { path: resolve('package.json') }, context });
    expect(outside).toEqual({ error: 'ERR_ACCESS_DENIED' });
    const env = await runner.invoke<{ keys: string[] }>('fixture_echo', { kind: 'action', name: 'env', input: {}, context });
    expect(env.keys.every((key) => key.startsWith('PLUGBOARD_') || key === 'NODE_ENV')).toBe(true);
    expect(env.keys).not.toContain('DATABASE_URL');
  });

  it("performs ctx.http in the host with the provider's auth under baseUrl only, honouring Retry-After", async () => {
    const port = (api.address() as AddressInfo).port;
    const withKey = { credentials: { apiKey: 'key_secret' }, settings: {}, integration: { ...integration, metadata: { port } } };
    await expect(runner.invoke('fixture_echo', { kind: 'action', name: 'fetch', input: { path: '/whoami' }, context: withKey })).resolves.toEqual({
      status: 200,
      body: { path: '/api/whoami' },
    });
    expect(seen.at(-1)).toEqual({ url: '/api/whoami', authorization: 'Bearer key_secret' });
    await runner.invoke('fixture_echo', { kind: 'action', name: 'fetch', input: { path: `http://127.0.0.1:${port}/elsewhere` }, context: withKey });
    expect(seen.at(-1)).toEqual({ url: '/elsewhere', authorization: undefined });
    await expect(runner.invoke('fixture_echo', { kind: 'action', name: 'fetch', input: { path: 'limited' }, context: withKey })).resolves.toMatchObject({
      status: 200,
    });
    expect(seen.filter((entry) => entry.url === '/api/limited')).toHaveLength(2);
  });
});
