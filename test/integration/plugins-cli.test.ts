import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MikroORM } from '@mikro-orm/postgresql';
import { PluginInstallation } from '../../src/modules/plugins/entities/plugin-installation.entity.js';
import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { FIXTURE_PLUGINS, pluginEnv, tempDir } from '../support/plugin-fixtures.js';
import { newPublisher, trustedPublishersDir } from '../support/plugin-publishing.js';
import { pino } from 'pino';
import { applyMigrations } from '../../src/core/database/migrations.js';
import { startTestApp, TEST_ENCRYPTION_KEYS, TEST_JWT_SECRET, testConfig } from '../support/test-app.js';

const run = promisify(execFile);
const CLI = resolve('dist/src/main.js');
// Each test starts several Node processes (the CLI, a plugin sandbox, npm); a busy machine makes them slow.
const CLI_TEST_TIMEOUT_MS = 120_000;

/** Runs the built CLI; resolves with stdout, rejects with the exit code and stderr. */
function plugboard(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return run(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH, ...options.env }, timeout: 60_000 });
}

describe('plugboard plugin and plugins commands: from `new` to an installed, signed plugin', () => {
  const publisher = newPublisher('acme');
  const work = tempDir('plugboard-cli-');
  const keyFile = join(work, 'acme.pem');
  const trusted = trustedPublishersDir(publisher);
  const dir = join(work, 'plugboard-widgets');
  writeFileSync(keyFile, publisher.privateKeyPem);
  // The CLI works on a migrated database, as after `plugboard migrate`.
  beforeAll(() => applyMigrations(testConfig(), process.env.TEST_DATABASE_URL!, pino({ level: 'silent' })));

  it(
    'scaffolds a plugin that passes its own test and validate out of the box',
    async () => {
      const created = await plugboard(['plugin', 'new', '@acme/plugboard-widgets'], { cwd: work });
      expect(created.stdout).toContain(dir);
      const tests = await run(process.execPath, ['--test'], { cwd: dir, env: { PATH: process.env.PATH } });
      expect(tests.stdout).toMatch(/pass 4/);
      expect(tests.stdout).toMatch(/fail 0/);
      const validated = JSON.parse((await plugboard(['plugin', 'validate', dir])).stdout);
      expect(validated).toMatchObject({
        name: '@acme/plugboard-widgets',
        version: '0.1.0',
        compatible: true,
        signature: 'unsigned',
        apiVersion: '^1.1.0',
        providers: [{ id: 'widgets', auth: 'api_key', actions: ['getItem', 'ping'] }],
      });
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'refuses to validate a broken plugin, naming the problem',
    async () => {
      await expect(plugboard(['plugin', 'validate', join(FIXTURE_PLUGINS, 'garbage')])).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('definePlugin'),
      });
      await expect(plugboard(['plugin', 'validate', join(FIXTURE_PLUGINS, 'incompatible')])).rejects.toMatchObject({
        stderr: expect.stringContaining('incompatible apiVersion'),
      });
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'signs and packs it: the signature covers the package files, not node_modules',
    async () => {
      await expect(plugboard(['plugin', 'sign', dir, '--key', keyFile])).rejects.toMatchObject({ stderr: expect.stringContaining('--publisher is required') });
      const signed = await plugboard(['plugin', 'sign', dir, '--key', keyFile, '--publisher', 'acme']);
      expect(signed.stdout).toContain('signed 5 files');
      const signature = JSON.parse(readFileSync(join(dir, 'plugboard.sig'), 'utf8'));
      expect(Object.keys(signature.files)).toEqual(['.gitignore', 'README.md', 'index.js', 'package.json', 'test/plugin.test.js']);
      const packed = JSON.parse((await plugboard(['plugin', 'pack', dir, '--out', work])).stdout);
      expect(packed).toMatchObject({
        file: join(work, 'acme-plugboard-widgets-0.1.0.tgz'),
        name: '@acme/plugboard-widgets',
        integrity: expect.stringMatching(/^sha512-/),
      });
      expect(existsSync(packed.file)).toBe(true);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'installs the tarball from the marketplace with `plugins install`, lists it, and a server loads it at start-up',
    async () => {
      const packed = JSON.parse((await plugboard(['plugin', 'pack', dir, '--out', work])).stdout);
      const index = join(work, 'marketplace.json');
      writeFileSync(
        index,
        JSON.stringify({ plugins: [{ ...packed, tarball: 'acme-plugboard-widgets-0.1.0.tgz', publisher: 'acme', providers: ['widgets'], file: undefined }] }),
      );
      const env = {
        NODE_ENV: 'test',
        DATABASE_URL: process.env.TEST_DATABASE_URL!,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        QUEUE_PREFIX: process.env.TEST_QUEUE_PREFIX ?? 'pbtest',
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
        LOG_LEVEL: 'silent',
        ...pluginEnv(tempDir('plugboard-cli-installs-'), { PLUGIN_SIGNATURE_POLICY: 'required', TRUSTED_PUBLISHERS_DIR: trusted, MARKETPLACE_INDEX: index }),
      };
      const installed = JSON.parse((await plugboard(['plugins', 'install', '@acme/plugboard-widgets@0.1.0'], { env })).stdout);
      expect(installed).toMatchObject({
        name: '@acme/plugboard-widgets',
        state: 'loaded',
        signature: 'verified',
        publisher: 'acme',
        source: 'installed',
        providers: ['widgets'],
      });
      const listed = await plugboard(['plugins', 'list'], { env });
      expect(listed.stdout).toMatch(/@acme\/plugboard-widgets\s+0\.1\.0\s+loaded\s+verified\s+installed\s+widgets/);

      const server = await startTestApp({ ...env, PLUGINS_DIR: tempDir('plugboard-cli-replica-') });
      try {
        await expect(
          server.app.get(PluginRunner).invoke('widgets', {
            kind: 'verify',
            context: { credentials: { apiKey: 'k' }, settings: {}, integration: { id: 'i', accountId: 'a', livemode: false, metadata: {} } },
          }),
        ).rejects.toMatchObject({ status: 502 });
        const admin = await server.token({ sub: 'operator', admin: true });
        const list = await server.http.get('/v1/plugins?limit=100').set('Authorization', `Bearer ${admin}`);
        expect(list.body.data).toContainEqual(expect.objectContaining({ name: '@acme/plugboard-widgets', state: 'loaded', signature: 'verified' }));
      } finally {
        await server.app.get(MikroORM).em.fork().nativeDelete(PluginInstallation, {});
        await server.close();
      }
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
