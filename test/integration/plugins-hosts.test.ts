import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signPlugin } from '../../src/modules/plugins/signing/plugin-signature.js';
import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { FIXTURE_PLUGINS, pluginDir, pluginEnv, tempDir } from '../support/plugin-fixtures.js';
import { newPublisher, trustedPublishersDir } from '../support/plugin-publishing.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const context = {
  credentials: {},
  settings: {},
  integration: { id: '0c1f5e2a-8d1b-4f7e-9a51-3a8f1c7a0b02', accountId: 'acct_hosts', livemode: true, metadata: {} },
};

/** The sibling fixture as another publisher's plugin: same code, its own name and provider id, signed. */
function acmePlugin(root: string, signer: ReturnType<typeof newPublisher>): string {
  const dir = join(root, 'acme-sibling');
  cpSync(join(FIXTURE_PLUGINS, 'sibling'), dir, { recursive: true });
  writeFileSync(join(dir, 'index.js'), readFileSync(join(dir, 'index.js'), 'utf8').replaceAll('fixture_sibling', 'acme_sibling'));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, name: 'acme-sibling' }));
  signPlugin(dir, signer.privateKeyPem, signer.name);
  return dir;
}

describe('plugin host processes grouped by trust', () => {
  // Long enough that no host idles out within one of the tests below on a busy machine (a leak takes seconds to hit the cap).
  const IDLE_MS = 5000;
  let t: TestApp;
  let runner: PluginRunner;
  let admin: string;
  let bundled: string;
  let acmeDir: string;
  const dataDir = tempDir('plugboard-hosts-data-');
  beforeAll(async () => {
    const acme = newPublisher('acme');
    bundled = pluginDir(['unstable', 'sibling', 'exits']);
    const directory = tempDir('plugboard-hosts-plugins-');
    acmeDir = acmePlugin(directory, acme);
    pluginDir(['echo'], directory);
    t = await startTestApp({
      ...pluginEnv(directory, { PLUGIN_MEMORY_MB: '64', PLUGIN_IDLE_MS: String(IDLE_MS) }),
      BUNDLED_PLUGINS_DIR: bundled,
      TRUSTED_PUBLISHERS_DIR: trustedPublishersDir(acme),
      DATA_DIR: dataDir,
    });
    runner = t.app.get(PluginRunner);
    admin = await t.token({ sub: 'operator', admin: true });
  });
  afterAll(() => t.close());

  const call = <T = { pid: number }>(provider: string, name: string, input: Record<string, unknown> = {}, timeoutMs = 5000) =>
    runner.invoke<T>(provider, { kind: 'action', name, input, context, timeoutMs });
  const hosts = async () => {
    const response = await t.http.get('/v1/plugins?limit=100').set('Authorization', `Bearer ${admin}`);
    expect(response.status).toBe(200);
    return Object.fromEntries(
      (response.body.data as Array<{ name: string; state: string; host?: string; running?: boolean }>)
        .filter((plugin) => plugin.state === 'loaded')
        .map((plugin) => [plugin.name, { host: plugin.host, running: plugin.running }]),
    );
  };

  it('starts no plugin process to load: every plugin has its host, none running, and descriptions are cached', async () => {
    expect(await hosts()).toEqual({
      'fixture-unstable': { host: 'bundled', running: false },
      'fixture-sibling': { host: 'bundled', running: false },
      'acme-sibling': { host: 'publisher:acme', running: false },
      'fixture-echo': { host: 'plugin:fixture-echo', running: false },
    });
    expect(readdirSync(join(dataDir, 'plugin-descriptions'))).toHaveLength(4);
  });

  it('describes the plugins of one group in one process; one that ends it fails alone', async () => {
    const response = await t.http.get('/v1/plugins?limit=100').set('Authorization', `Bearer ${admin}`);
    expect((response.body.data as Array<{ name: string }>).find((plugin) => plugin.name === 'fixture-exits')).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('exited while loading'),
    });
  });

  it("runs one publisher's plugins in one process, started by the first call; another publisher's apart", async () => {
    const sibling = await call('fixture_sibling', 'pid');
    const unstable = await call('fixture_unstable', 'ok');
    const acme = await call('acme_sibling', 'pid');
    expect(unstable.pid).toBe(sibling.pid);
    expect(acme.pid).not.toBe(sibling.pid);
    expect(await hosts()).toMatchObject({ 'fixture-sibling': { running: true }, 'acme-sibling': { running: true }, 'fixture-echo': { running: false } });
  });

  it("keeps other publishers' files unreadable from a shared host, and its own publisher's readable", async () => {
    await expect(call('fixture_sibling', 'read', { path: join(acmeDir, 'index.js') })).resolves.toEqual({ error: 'ERR_ACCESS_DENIED' });
    await expect(call('acme_sibling', 'read', { path: join(bundled, '01-sibling', 'index.js') })).resolves.toEqual({ error: 'ERR_ACCESS_DENIED' });
    await expect(call('fixture_sibling', 'read', { path: join(bundled, '00-unstable', 'index.js') })).resolves.toMatchObject({ bytes: expect.any(Number) });
  });

  it('a crash fails the calls in flight on that host only (502); the host restarts and the next call works', async () => {
    const acmeBefore = await call('acme_sibling', 'pid');
    const before = await call('fixture_sibling', 'pid');
    const inFlightSameHost = call('fixture_sibling', 'slow', { ms: 1500 });
    const inFlightOtherHost = call('acme_sibling', 'slow', { ms: 500 });
    await expect(call('fixture_unstable', 'crash')).rejects.toMatchObject({ status: 502, code: 'provider_error' });
    await expect(inFlightSameHost).rejects.toMatchObject({ status: 502 });
    await expect(inFlightOtherHost).resolves.toEqual({ pid: acmeBefore.pid });
    const after = await call('fixture_sibling', 'pid');
    expect(after.pid).not.toBe(before.pid);
    await expect(call('fixture_unstable', 'ok')).resolves.toMatchObject({ pid: after.pid });
  });

  it('a plugin that spins gets 504 and its host is recycled; other publishers keep their process', async () => {
    const acmeBefore = await call('acme_sibling', 'pid');
    const before = await call('fixture_sibling', 'pid');
    await expect(call('fixture_unstable', 'spin', {}, 300)).rejects.toMatchObject({ status: 504, code: 'provider_timeout' });
    expect((await call('fixture_sibling', 'pid')).pid).not.toBe(before.pid);
    expect((await call('acme_sibling', 'pid')).pid).toBe(acmeBefore.pid);
  });

  it('a plugin that leaks past the memory cap restarts its host; other publishers keep their process', async () => {
    const acmeBefore = await call('acme_sibling', 'pid');
    const before = await call('fixture_sibling', 'pid');
    await expect(call('fixture_unstable', 'hog', {}, 20_000)).rejects.toMatchObject({ status: 502 });
    expect((await call('fixture_sibling', 'pid')).pid).not.toBe(before.pid);
    expect((await call('acme_sibling', 'pid')).pid).toBe(acmeBefore.pid);
  });

  it('stops a host after PLUGIN_IDLE_MS without calls; the next call starts it again', async () => {
    const before = await call('fixture_sibling', 'pid');
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 500));
    expect(await hosts()).toMatchObject({ 'fixture-sibling': { running: false }, 'fixture-unstable': { running: false }, 'acme-sibling': { running: false } });
    expect((await call('fixture_sibling', 'pid')).pid).not.toBe(before.pid);
  });
});
