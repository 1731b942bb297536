import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, removeDataDir, runCli, startServe, waitForReady } from '../support/cli.js';

/**
 * `plugboard serve` as a new user runs it: no DATABASE_URL (embedded PostgreSQL under DATA_DIR),
 * generated development secrets, migrations on start; stops cleanly and keeps its data.
 */
describe('plugboard serve on embedded defaults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plugboard-e2e-'));
  afterAll(() => removeDataDir(dataDir));

  it('starts, serves the API and docs, stops cleanly and keeps its data across a restart', async () => {
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: '',
      AUTH_JWT_SECRET: '',
      ENCRYPTION_KEYS: '',
      QUEUE_PREFIX: `pbe2e${port}`,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
    };
    const baseUrl = `http://127.0.0.1:${port}`;

    const first = startServe(env);
    await waitForReady(baseUrl, first);
    const openapi = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { openapi: string };
    expect(openapi.openapi).toBe('3.1.0');
    expect((await fetch(`${baseUrl}/docs/`)).status).toBe(200);

    const admin = runCli(['token', '--sub', 'operator', '--instance-admin'], env).stdout.trim();
    const created = await fetch(`${baseUrl}/v1/accounts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Kept', ownerId: 'user_1' }),
    });
    expect(created.status).toBe(201);
    const account = (await created.json()) as { id: string; plan: string };
    expect(account.plan).toBe('basic');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const second = startServe(env);
    try {
      await waitForReady(baseUrl, second);
      const owner = runCli(['token', '--sub', 'user_1', '--account', account.id], env).stdout.trim();
      const me = (await (await fetch(`${baseUrl}/v1/me`, { headers: { Authorization: `Bearer ${owner}` } })).json()) as { account: object; role: string };
      expect(me.account).toEqual({ id: account.id, name: 'Kept' });
      expect(me.role).toBe('owner');
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 180_000);

  it('stops at start-up with one clear line for a bad configuration value', () => {
    const result = runCli(['serve'], { DATA_DIR: dataDir, PORT: 'eighty', PLUGBOARD_ROLE: 'boss' });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      'plugboard: Invalid configuration: PORT must be an integer from 1 to 65535 (got "eighty"); PLUGBOARD_ROLE must be one of api, worker, all (got "boss")',
    ]);
  });

  it('requires explicit secrets in production', () => {
    const result = runCli(['serve'], { DATA_DIR: dataDir, NODE_ENV: 'production', AUTH_JWT_SECRET: '', ENCRYPTION_KEYS: '', AUTH_JWKS_URI: '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^plugboard: Invalid configuration: AUTH_JWT_SECRET or AUTH_JWKS_URI must be set/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says in one line why the embedded PostgreSQL did not start', () => {
    const damaged = mkdtempSync(join(tmpdir(), 'plugboard-damaged-'));
    try {
      mkdirSync(join(damaged, 'postgres'), { mode: 0o700 });
      writeFileSync(join(damaged, 'postgres', 'PG_VERSION'), '18\n');
      const result = runCli(['migrate'], { DATA_DIR: damaged, DATABASE_URL: '' });
      expect({ status: result.status, stderr: result.stderr }).toEqual({
        status: 1,
        stderr: expect.stringMatching(
          new RegExp(
            `^plugboard: the embedded PostgreSQL in ${damaged}/postgres did not start: .+; fix that, or set DATABASE_URL to use another PostgreSQL\n$`,
          ),
        ),
      });
    } finally {
      rmSync(damaged, { recursive: true, force: true });
    }
  });

  it('serves from a copy of the project inside a 0700 directory (as root: PostgreSQL runs as the postgres user)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'plugboard-home-'));
    expect(statSync(home).mode & 0o777).toBe(0o700);
    const clone = join(home, 'plugboard');
    try {
      mkdirSync(clone);
      // Hard links: the binaries' paths are inside the private directory, as in a real clone there.
      spawnSync('cp', ['-al', 'node_modules', join(clone, 'node_modules')]);
      for (const entry of ['dist', 'package.json', 'config', 'plugins']) cpSync(entry, join(clone, entry), { recursive: true });
      const port = await freePort();
      const env = {
        PORT: String(port),
        QUEUE_PREFIX: `pbhome${port}`,
        DATA_DIR: '',
        DATABASE_URL: '',
        AUTH_JWT_SECRET: '',
        ENCRYPTION_KEYS: '',
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
      };
      let output = '';
      const child = spawn(process.execPath, ['dist/src/main.js', 'serve'], { cwd: clone, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await waitForReady(`http://127.0.0.1:${port}`, { child, output: () => output, exited }, 120_000);
      expect(output).toMatch(
        new RegExp(`"database":"embedded at ${clone}/.plugboard/postgres( \\(files in /var/lib/plugboard/data-\\w+/postgres\\))? on port \\d+"`),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      removeDataDir(join(clone, '.plugboard'));
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
