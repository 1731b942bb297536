import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { PluginInstallation } from '../../src/modules/plugins/entities/plugin-installation.entity.js';
import { integrityOf } from '../../src/modules/plugins/packaging/plugin-archive.js';
import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { pluginEnv, tempDir } from '../support/plugin-fixtures.js';
import { newPublisher, preparePlugin, publish, trustedPublishersDir, writeCatalog } from '../support/plugin-publishing.js';
import { tarball } from '../support/tarball.js';
import { eventually } from '../support/waiting.js';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

const context = {
  credentials: { username: 'u', password: 'p' },
  settings: {},
  integration: { id: '0c2d4f61-8a43-4d2e-b0a5-6f1e2d3c4b5a', accountId: 'acct_m', livemode: false, metadata: {} },
};
const pkg = JSON.stringify({ name: 'evil', version: '1.0.0', type: 'module', main: 'index.js', plugboard: { apiVersion: '^1.0.0' } });

describe('marketplace and plugin installs (PLUGIN_SIGNATURE_POLICY=required)', () => {
  const acme = newPublisher('acme');
  const mallory = newPublisher('mallory');
  let t: TestApp;
  let admin: string;
  let installDir: string;
  let catalogDir: string;
  let env: Record<string, string>;

  const installations = () => t.app.get(MikroORM).em.fork().find(PluginInstallation, {});
  const plugins = async () => (await t.http.get('/v1/plugins?limit=100').set('Authorization', `Bearer ${admin}`)).body.data as Array<Record<string, unknown>>;
  const install = (source: string) => t.http.post('/v1/plugins').set('Authorization', `Bearer ${admin}`).send({ source });
  const ping = () => t.app.get(PluginRunner).invoke('fixture_market', { kind: 'action', name: 'ping', input: { note: 'hi' }, context });

  beforeAll(async () => {
    catalogDir = tempDir('plugboard-catalog-');
    const entries = [
      await publish(preparePlugin('market', { signer: acme }), catalogDir, { providers: ['fixture_market'], publisher: 'acme' }),
      await publish(preparePlugin('market', { version: '2.0.0', signer: acme }), catalogDir, {
        providers: ['fixture_market'],
        integrity: integrityOf(Buffer.from('something else')),
      }),
      await publish(preparePlugin('market', { version: '3.0.0', apiVersion: '^2.0.0', signer: acme }), catalogDir, { apiVersion: '^2.0.0' }),
      await publish(preparePlugin('market', { version: '4.0.0' }), catalogDir),
      await publish(preparePlugin('market', { version: '5.0.0', signer: mallory }), catalogDir, { publisher: 'mallory' }),
      await publish(preparePlugin('market', { version: '6.0.0', signer: acme, tamper: true }), catalogDir),
    ];
    writeFileSync(
      join(catalogDir, 'dotdot.tgz'),
      tarball([
        { path: 'package/package.json', content: pkg },
        { path: 'package/../../escaped.js', content: 'x' },
      ]),
    );
    writeFileSync(
      join(catalogDir, 'symlink.tgz'),
      tarball([
        { path: 'package/package.json', content: pkg },
        { path: 'package/index.js', type: 'symlink', linkTarget: '/etc/passwd' },
      ]),
    );
    installDir = tempDir('plugboard-installs-');
    // Directory plugins under the required policy: signed by a trusted publisher, unsigned, unknown publisher, tampered.
    const local = tempDir('plugboard-local-');
    preparePlugin('echo', { signer: acme }, join(local, 'a'));
    preparePlugin('unstable', {}, join(local, 'b'));
    preparePlugin('throws', { signer: mallory }, join(local, 'c'));
    preparePlugin('garbage', { signer: acme, tamper: true }, join(local, 'd'));
    env = pluginEnv(`${installDir}:${local}/a:${local}/b:${local}/c:${local}/d`, {
      PLUGIN_SIGNATURE_POLICY: 'required',
      TRUSTED_PUBLISHERS_DIR: trustedPublishersDir(acme),
      MARKETPLACE_INDEX: writeCatalog(catalogDir, entries),
    });
    t = await startTestApp(env);
    admin = await t.token({ sub: 'operator', admin: true });
  });
  afterAll(async () => {
    await t.app.get(MikroORM).em.fork().nativeDelete(PluginInstallation, {});
    await t.close();
  });

  it('refuses unsigned, unknown-publisher and tampered plugins at start-up, and loads the verified one', async () => {
    const byName = Object.fromEntries((await plugins()).map((plugin) => [plugin.name, plugin]));
    expect(byName['fixture-echo']).toMatchObject({ state: 'loaded', signature: 'verified', publisher: 'acme' });
    expect(byName['fixture-unstable']).toMatchObject({ state: 'failed', signature: 'unsigned', error: 'signature: unsigned' });
    expect(byName['fixture-throws']).toMatchObject({ state: 'failed', signature: 'invalid', error: 'signature: invalid (unknown publisher "mallory")' });
    expect(byName['fixture-garbage']).toMatchObject({ state: 'failed', signature: 'invalid', error: expect.stringContaining('changed or missing: index.js') });
  });

  it('lists the catalog with compatibility and what is installed, paginated', async () => {
    const page = await t.http.get('/v1/marketplace?limit=2').set('Authorization', `Bearer ${admin}`);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.data[0]).toMatchObject({ name: '@fixtures/market', version: '6.0.0', compatible: true, installed: null });
    const all = await t.http.get('/v1/marketplace?limit=100').set('Authorization', `Bearer ${admin}`);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.data.find((entry: { version: string }) => entry.version === '3.0.0')).toMatchObject({ compatible: false });
    expect(all.body.data[0]).not.toHaveProperty('tarball');
  });

  it.each([
    ['a wrong integrity', '@fixtures/market@2.0.0', /integrity mismatch/],
    ['an incompatible apiVersion', '@fixtures/market@3.0.0', /incompatible apiVersion/],
    ['an unsigned plugin', '@fixtures/market@4.0.0', /signature: unsigned/],
    ['an unknown publisher', '@fixtures/market@5.0.0', /unknown publisher "mallory"/],
    ['a tampered plugin', '@fixtures/market@6.0.0', /files differ from the signature/],
    ['a tarball with a .. path', 'dotdot.tgz', /path with \.\./],
    ['a tarball with a link', 'symlink.tgz', /link package\/index\.js/],
  ])('refuses %s with 422 plugin_rejected and leaves nothing behind', async (_case, source, detail) => {
    const before = await plugins();
    const response = await install(source.endsWith('.tgz') ? join(catalogDir, source) : source);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'plugin_rejected', detail: expect.stringMatching(detail) });
    expect(await plugins()).toEqual(before);
    expect(readdirSync(installDir).filter((entry) => entry !== '.plugboard-installed.json')).toEqual([]);
    expect(existsSync(join(catalogDir, '..', 'escaped.js'))).toBe(false);
    expect(await installations()).toEqual([]);
  });

  it('installs, uses, disables, enables and uninstalls a plugin without a restart', async () => {
    await expect(ping()).rejects.toMatchObject({ status: 404 });
    const { ownerToken } = await createAccount(t);
    // Pages of the catalogue are kept as sent: a change of plugins must show at once, on a page of the same size too.
    const firstListed = async () =>
      ((await t.http.get('/v1/providers?limit=1').set('Authorization', `Bearer ${ownerToken}`)).body.data as Array<{ id: string }>).map(
        (provider) => provider.id,
      );
    expect(await firstListed()).toEqual(['fixture_echo']);
    const installed = await install('@fixtures/market@1.0.0');
    expect(installed.status).toBe(201);
    expect(installed.body).toEqual({
      name: '@fixtures/market',
      version: '1.0.0',
      state: 'loaded',
      providers: ['fixture_market'],
      signature: 'verified',
      publisher: 'acme',
      source: 'installed',
      host: 'publisher:acme',
      running: false,
    });
    await expect(ping()).resolves.toEqual({ pong: true, note: 'hi' });
    expect(await firstListed()).toEqual(['fixture_market']);
    const schemas = async () => (await t.http.get('/openapi.json')).body.components.schemas;
    // The served document catches up with the loaded plugins a moment after they change.
    await eventually(schemas, (current) => current.ProviderFixtureMarketCredentials !== undefined);
    expect((await schemas()).ProviderFixtureMarketCredentials).toMatchObject({
      type: 'object',
      required: ['username', 'password'],
      properties: { password: { type: 'string', writeOnly: true, format: 'password' } },
    });
    expect((await schemas()).ProviderFixtureMarketActionPingInput).toMatchObject({ properties: { note: { maxLength: 20 } } });
    const catalog = await t.http.get('/v1/marketplace?limit=100').set('Authorization', `Bearer ${admin}`);
    expect(catalog.body.data.find((entry: { version: string }) => entry.version === '1.0.0').installed).toBe('1.0.0');
    expect(await installations()).toEqual([
      expect.objectContaining({ name: '@fixtures/market', version: '1.0.0', enabled: true, providers: ['fixture_market'] }),
    ]);

    const name = encodeURIComponent('@fixtures/market');
    const disabled = await t.http.post(`/v1/plugins/${name}/disable`).set('Authorization', `Bearer ${admin}`);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ state: 'disabled', providers: ['fixture_market'] });
    await expect(ping()).rejects.toMatchObject({ status: 404 });
    expect(await firstListed()).toEqual(['fixture_echo']);

    const enabled = await t.http.post(`/v1/plugins/${name}/enable`).set('Authorization', `Bearer ${admin}`);
    expect(enabled.body).toMatchObject({ state: 'loaded' });
    await expect(ping()).resolves.toMatchObject({ pong: true });

    const removed = await t.http.delete(`/v1/plugins/${name}`).set('Authorization', `Bearer ${admin}`);
    expect(removed.status).toBe(204);
    await expect(ping()).rejects.toMatchObject({ status: 404 });
    expect((await plugins()).map((plugin) => plugin.name)).not.toContain('@fixtures/market');
    expect(existsSync(join(installDir, 'fixtures__market'))).toBe(false);
    const marketSchemas = (current: Record<string, unknown>) => Object.keys(current).filter((key) => key.startsWith('ProviderFixtureMarket'));
    expect(marketSchemas(await eventually(schemas, (current) => marketSchemas(current).length === 0))).toEqual([]);
    expect(await installations()).toEqual([]);
    const gone = await t.http.delete(`/v1/plugins/${name}`).set('Authorization', `Bearer ${admin}`);
    expect(gone.status).toBe(404);
  });

  it('refuses to uninstall a directory plugin (409): it can only be disabled', async () => {
    const response = await t.http.delete('/v1/plugins/fixture-echo').set('Authorization', `Bearer ${admin}`);
    expect(response.status).toBe(409);
  });

  it('converges another replica on the installed and disabled set at start-up, and on later changes while it runs', async () => {
    expect((await install('@fixtures/market@1.0.0')).status).toBe(201);
    expect((await t.http.post('/v1/plugins/fixture-echo/disable').set('Authorization', `Bearer ${admin}`)).status).toBe(200);
    const replicaDir = tempDir('plugboard-replica-');
    const replica = await startTestApp({ ...env, PLUGINS_DIR: env.PLUGINS_DIR.replace(installDir, replicaDir), RECONCILE_INTERVAL_MS: '100' });
    const onReplica = async () => {
      const list = await replica.http.get('/v1/plugins?limit=100').set('Authorization', `Bearer ${admin}`);
      return Object.fromEntries(list.body.data.map((plugin: { name: string }) => [plugin.name, plugin])) as Record<string, Record<string, unknown>>;
    };
    const eventually = async (check: (plugins: Record<string, Record<string, unknown>>) => boolean) => {
      for (let attempt = 0; attempt < 50 && !check(await onReplica()); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      return onReplica();
    };
    try {
      const atStart = await onReplica();
      expect(atStart['@fixtures/market']).toMatchObject({ state: 'loaded', version: '1.0.0', source: 'installed', signature: 'verified' });
      expect(atStart['fixture-echo']).toMatchObject({ state: 'disabled', providers: ['fixture_echo'] });
      await expect(replica.app.get(PluginRunner).invoke('fixture_market', { kind: 'action', name: 'ping', input: {}, context })).resolves.toMatchObject({
        pong: true,
      });

      expect((await t.http.post('/v1/plugins/fixture-echo/enable').set('Authorization', `Bearer ${admin}`)).body).toMatchObject({ state: 'loaded' });
      expect((await eventually((plugins) => plugins['fixture-echo']?.state === 'loaded'))['fixture-echo'].state).toBe('loaded');

      expect((await t.http.delete(`/v1/plugins/${encodeURIComponent('@fixtures/market')}`).set('Authorization', `Bearer ${admin}`)).status).toBe(204);
      expect(await eventually((plugins) => !plugins['@fixtures/market'])).not.toHaveProperty(['@fixtures/market']);
      expect(existsSync(join(replicaDir, 'fixtures__market'))).toBe(false);

      expect((await install('@fixtures/market@1.0.0')).status).toBe(201);
      expect((await eventually((plugins) => plugins['@fixtures/market']?.state === 'loaded'))['@fixtures/market']).toMatchObject({ state: 'loaded' });
      expect((await t.http.post(`/v1/plugins/${encodeURIComponent('@fixtures/market')}/disable`).set('Authorization', `Bearer ${admin}`)).status).toBe(200);
      expect((await eventually((plugins) => plugins['@fixtures/market']?.state === 'disabled'))['@fixtures/market']).toMatchObject({ state: 'disabled' });
      await expect(replica.app.get(PluginRunner).invoke('fixture_market', { kind: 'action', name: 'ping', input: {}, context })).rejects.toMatchObject({
        status: 404,
      });
    } finally {
      await replica.close();
    }
  });

  it('answers 404 for unknown plugins and marketplace entries, and 403 to account members', async () => {
    expect((await t.http.post('/v1/plugins/nope/enable').set('Authorization', `Bearer ${admin}`)).status).toBe(404);
    expect((await install('@fixtures/unknown@1.0.0')).status).toBe(404);
    const member = await t.token({ sub: 'member', account: context.integration.id });
    expect((await t.http.get('/v1/marketplace').set('Authorization', `Bearer ${member}`)).status).toBe(403);
    expect((await t.http.post('/v1/plugins').set('Authorization', `Bearer ${member}`).send({ source: 'x' })).status).toBe(403);
  });
});
