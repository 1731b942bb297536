import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import semver from 'semver';
import { Agent, fetch, type RequestInit } from 'undici';
import { newPublisher } from '../support/plugin-publishing.js';
import { freePort, removeDataDir, waitForReady } from '../support/cli.js';

/**
 * The documentation test: README's "Quick start", "Calling the API" and Commands table, run as a new
 * user types them — each shell line through bash, the CLI as `npx plugboard` from the project root —
 * against `npm start` on a temporary DATA_DIR. A README line or table row this test does not know
 * fails it, so the README cannot drift from what works.
 */
const README = readFileSync('README.md', 'utf8');

/** A Markdown section: from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const lines = README.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) throw new Error(`README has no "${heading}"`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((line, index) => index > start && /^#+ /.test(line) && line.indexOf(' ') <= level);
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The lines of a section's first sh block, without their trailing comments. */
function shellLines(heading: string): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(section(heading));
  if (!block) throw new Error(`"${heading}" has no sh block`);
  return block[1]
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter(Boolean);
}

/** The first column of the Commands table: `plugboard …` with [optional] parts and PLACEHOLDERS. */
function commandRows(): string[] {
  return [...section('## Commands').matchAll(/^\| `(plugboard [^`]+)` \|/gm)].map((match) => match[1]);
}

/** `plugboard migrate [--check] [--wait-for-database S]` as a pattern that `npx plugboard …` lines must match. */
function syntax(command: string): RegExp {
  const pattern = command
    .replaceAll(' [', '[ ')
    .split(/(\[|\]| )/)
    .filter(Boolean)
    .map((token) => {
      if (token === '[') return '(?:';
      if (token === ']') return ')?';
      if (/^[A-Z]+$/.test(token)) return '\\S+';
      return token.replace(/[.*+?^${}()|\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^npx ${pattern}$`);
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

const ROOT = process.cwd();
/**
 * A new user's shell: without what npm adds when it runs this suite (node_modules/.bin on the PATH,
 * npm_* settings), so `npx` and `npm` are the machine's own.
 */
const USER_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
  PATH: process.env
    .PATH!.split(':')
    .filter((dir) => !dir.endsWith('node_modules/.bin'))
    .join(':'),
};
const withoutNpmWarnings = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line && !line.startsWith('npm warn'))
    .join('\n');

/**
 * A request on a connection of its own, closed after the answer. The commands run through spawnSync,
 * which blocks this process for seconds at a time: a kept-alive socket the server closed meanwhile
 * still looks open when the next request takes it, and the request fails with "other side closed".
 * Its own agent without keep-alive, so no socket is ever reused (not even one another fetch left idle).
 */
const noKeepAlive = new Agent({ pipelining: 0 });
const fetchUnpooled = (url: string, init: RequestInit = {}) => fetch(url, { ...init, dispatcher: noKeepAlive });

describe('README commands, run as written', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plugboard-readme-'));
  const work = mkdtempSync(join(tmpdir(), 'plugboard-readme-work-'));
  let port: number;
  let env: Record<string, string>;
  let server: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined;
  const vars: Record<string, string> = {};

  const sh = (line: string, extra: Record<string, string> = {}): Result => {
    // maxBuffer: `plugboard openapi` prints a document of several megabytes.
    const result = spawnSync('bash', ['-c', line], {
      cwd: ROOT,
      env: { ...USER_ENV, ...env, ...vars, ...extra },
      encoding: 'utf8',
      timeout: 180_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const json = <T>(result: Result): T => {
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    port = await freePort();
    env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      QUEUE_PREFIX: `pbreadme${port}`,
      DATABASE_URL: '',
      AUTH_JWT_SECRET: '',
      ENCRYPTION_KEYS: '',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      // npx installs the project's own bin into its cache on first use: a fresh cache, as on a new machine.
      npm_config_cache: join(work, 'npm-cache'),
      npm_config_update_notifier: 'false',
    };
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      process.kill(-server.child.pid!, 'SIGINT');
      await server.exited;
    }
    await noKeepAlive.close();
    removeDataDir(dataDir);
    rmSync(work, { recursive: true, force: true });
  });

  it('Quick start: npm start serves on embedded defaults, with a start-up summary', async () => {
    expect(shellLines('## Quick start')).toEqual(['npm ci && npm start', 'npm test', 'npm run test:reliability']);
    // `npm ci` made this checkout; `npm test` is running this test; the reliability suite is CI's next step.
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts).toEqual(
      expect.objectContaining({ test: expect.stringContaining('jest'), 'test:reliability': expect.stringContaining('jest.reliability') }),
    );

    let output = '';
    // Its own process group, so the test can press Ctrl-C as a terminal would.
    const child = spawn('bash', ['-c', 'npm start'], { cwd: ROOT, env: { ...USER_ENV, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    server = { child, output: () => output, exited };
    await waitForReady(`http://127.0.0.1:${port}`, server, 240_000);

    const summary = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => String(entry.msg).startsWith('Plugboard ready'));
    expect(summary).toEqual(
      expect.objectContaining({
        msg: `Plugboard ready at http://localhost:${port} (docs at http://localhost:${port}/docs)`,
        role: 'all',
        api: `http://localhost:${port}`,
        docs: `http://localhost:${port}/docs`,
        database: expect.stringMatching(new RegExp(`^embedded at ${dataDir}/postgres( \\(files in \\S+\\))? on port \\d+$`)),
        redis: 'redis://127.0.0.1:6379',
        plugins: { loaded: expect.any(Number), failed: 0 },
      }),
    );
    // Route mapping is debug detail: not in an info log.
    expect(output).not.toContain('Mapped {');
    expect((await fetchUnpooled(`http://127.0.0.1:${port}/docs/`)).status).toBe(200);
    // npx keeps the link to the bin it made the first time: an entry point rebuilt later must stay executable.
    expect(statSync('dist/src/main.js').mode & 0o755).toBe(0o755);
  }, 300_000);

  it('Calling the API: every line, in a second terminal while npm start runs', () => {
    const lines = shellLines('### Calling the API');
    const expectations: Array<[RegExp, (result: Result) => void]> = [
      [
        /^npx plugboard accounts create --name "Acme" --plan business --owner user_1$/,
        (result) => {
          const account = json<{ id: string; name: string; plan: string }>(result);
          expect(account).toEqual(expect.objectContaining({ name: 'Acme', plan: 'business' }));
          vars.ACCOUNT_ID = account.id;
        },
      ],
      [/^TOKEN=\$\(npx plugboard token --sub user_1 --account <account id>\)$/, () => expect(vars.TOKEN).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/)],
      [
        /^curl -H "Authorization: Bearer \$TOKEN" http:\/\/localhost:3000\/v1\/me$/,
        (result) =>
          expect(json<{ account: { id: string; name: string }; role: string }>(result)).toEqual(
            expect.objectContaining({ account: { id: vars.ACCOUNT_ID, name: 'Acme' }, role: 'owner' }),
          ),
      ],
      [/^ADMIN=\$\(npx plugboard token --sub operator --instance-admin\)$/, () => expect(vars.ADMIN).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/)],
      [
        /^curl -H "Authorization: Bearer \$ADMIN" http:\/\/localhost:3000\/v1\/accounts$/,
        (result) => expect(json<{ data: Array<{ id: string }> }>(result).data.map((account) => account.id)).toContain(vars.ACCOUNT_ID),
      ],
    ];
    expect(lines).toHaveLength(expectations.length);
    lines.forEach((line, index) => {
      const [pattern, check] = expectations[index];
      expect(line).toMatch(pattern);
      // The README's server is on port 3000; this one is on a free port. `<account id>` is what the first line printed.
      const typed = line.replaceAll('http://localhost:3000', `http://localhost:${port}`).replaceAll('<account id>', vars.ACCOUNT_ID);
      const assignment = /^(\w+)=\$\((.*)\)$/.exec(typed);
      const result = sh(assignment ? `${typed} && printf %s "$${assignment[1]}"` : typed);
      if (assignment) {
        expect({ status: result.status, stderr: withoutNpmWarnings(result.stderr) }).toEqual({ status: 0, stderr: '' });
        vars[assignment[1]] = result.stdout;
      }
      check(result);
    });
  }, 180_000);

  it('Commands: every row of the table, through npx plugboard', async () => {
    const pluginDir = join(work, 'plugboard-crm');
    const keyFile = join(work, 'acme.pem');
    writeFileSync(keyFile, newPublisher('acme').privateKeyPem);
    const openapiFile = join(work, 'openapi.json');
    let tarball = '';
    const invocations: Record<string, Array<[string, (result: Result) => void | Promise<void>]>> = {
      'plugboard serve': [
        [
          'npx plugboard serve',
          (result) => {
            expect(result.status).toBe(1);
            const [line, ...more] = withoutNpmWarnings(result.stderr).split('\n');
            expect(more).toEqual([]);
            const pid = /\(pid (\d+)\)/.exec(line)?.[1];
            expect(line).toBe(
              `plugboard: DATA_DIR ${dataDir} is in use by \`plugboard serve\` (pid ${pid}): stop that server first, or set DATA_DIR to another directory`,
            );
            expect(() => process.kill(Number(pid), 0)).not.toThrow();
          },
        ],
      ],
      'plugboard migrate [--check] [--wait-for-database S]': [
        [
          'npx plugboard migrate --wait-for-database 5',
          (result) => expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: 'database is up to date\n' }),
        ],
        [
          'npx plugboard migrate --check',
          (result) => expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: 'migrations match the entities\n' }),
        ],
      ],
      'plugboard accounts create --name N --owner U [--plan P]': [
        [
          'npx plugboard accounts create --name Globex --owner user_2 --plan basic',
          (result) => {
            const account = json<{ id: string; name: string; plan: string }>(result);
            expect(account).toEqual(expect.objectContaining({ name: 'Globex', plan: 'basic' }));
            vars.GLOBEX = account.id;
          },
        ],
      ],
      'plugboard token --sub U [--account A] [--instance-admin] [--expires 1h]': [
        [
          'npx plugboard token --sub user_2 --account $GLOBEX --expires 1h',
          async (result) => {
            expect(result.status).toBe(0);
            const me = await fetchUnpooled(`http://127.0.0.1:${port}/v1/me`, { headers: { Authorization: `Bearer ${result.stdout.trim()}` } });
            expect(((await me.json()) as { account: { name: string } }).account.name).toBe('Globex');
          },
        ],
        ['npx plugboard token --sub operator --instance-admin', (result) => expect(result.stdout).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+\n$/)],
      ],
      'plugboard console-link --sub U [--account A] [--instance-admin]': [
        [
          'npx plugboard console-link --sub user_2 --account $GLOBEX',
          async (result) => {
            expect(result.stdout).toMatch(/^http:\/\/localhost:\d+\/console\/sign-in#code=[\w-]{43}\n$/);
            const started = await fetchUnpooled(`http://127.0.0.1:${port}/v1/console/sessions`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ code: result.stdout.trim().split('#code=')[1] }),
            });
            const cookie = started.headers.getSetCookie()[0].split(';')[0];
            const me = await fetchUnpooled(`http://127.0.0.1:${port}/v1/me`, { headers: { Cookie: cookie } });
            expect(((await me.json()) as { account: { name: string } }).account.name).toBe('Globex');
          },
        ],
      ],
      'plugboard openapi [--out FILE]': [
        [
          `npx plugboard openapi --out ${openapiFile}`,
          () => expect((JSON.parse(readFileSync(openapiFile, 'utf8')) as { openapi: string }).openapi).toBe('3.1.0'),
        ],
        ['npx plugboard openapi', (result) => expect(json<{ paths: object }>(result).paths).toHaveProperty(['/v1/me'])],
      ],
      'plugboard keys rotate': [
        [
          'npx plugboard keys rotate',
          (result) => {
            expect(result.status).toBe(0);
            expect(result.stdout).toMatch(/^(\w+\.\w+: \d+ re-encrypted\n)+$/);
            expect(result.stdout).toContain('integrations.credentials: ');
          },
        ],
      ],
      'plugboard plugin new NAME [--out DIR]': [
        [`npx plugboard plugin new @acme/plugboard-crm --out ${work}`, (result) => expect(result.stdout).toBe(`created ${pluginDir}\n`)],
      ],
      'plugboard plugin validate DIR': [
        [`npx plugboard plugin validate ${pluginDir}`, (result) => expect(json<{ name: string }>(result).name).toBe('@acme/plugboard-crm')],
      ],
      'plugboard plugin sign DIR --key PEM --publisher NAME': [
        [
          `npx plugboard plugin sign ${pluginDir} --key ${keyFile} --publisher acme`,
          (result) => expect(result.stdout).toMatch(new RegExp(`^signed \\d+ files: ${pluginDir}/plugboard.sig\\n$`)),
        ],
      ],
      'plugboard plugin pack DIR [--out DIR]': [
        [
          `npx plugboard plugin pack ${pluginDir} --out ${work}`,
          (result) => {
            const packed = json<{ file: string; integrity: string }>(result);
            expect(packed.integrity).toMatch(/^sha512-/);
            tarball = packed.file;
          },
        ],
      ],
      'plugboard plugins install SOURCE': [
        [
          'npx plugboard plugins install $TARBALL',
          (result) => expect(json<{ name: string; state: string }>(result)).toEqual(expect.objectContaining({ name: '@acme/plugboard-crm', state: 'loaded' })),
        ],
      ],
      'plugboard plugins list [--json]': [
        [
          'npx plugboard plugins list --json',
          (result) => expect(json<Array<{ name: string }>>(result).map((plugin) => plugin.name)).toContain('@acme/plugboard-crm'),
        ],
        ['npx plugboard plugins list', (result) => expect(result.stdout).toMatch(/^NAME +VERSION +STATE[\s\S]*\n@acme\/plugboard-crm +0\.1\.0 +loaded/)],
      ],
    };
    expect(commandRows()).toEqual(Object.keys(invocations));
    for (const [row, runs] of Object.entries(invocations)) {
      for (const [line, check] of runs) {
        expect(line).toMatch(syntax(row));
        await check(sh(line, { TARBALL: tarball }));
      }
    }
  }, 600_000);

  it('accounts create at a terminal also prints the next commands; logs there are one readable line each', () => {
    const result = sh(`script -qec 'LOG_LEVEL=debug npx plugboard accounts create --name Initech --owner user_3' /dev/null`);
    // Without colours, carriage returns and npm's spinner.
    const screen = stripVTControlCharacters(result.stdout).replace(/[\r⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g, '');
    expect(result.status).toBe(0);
    const id = /"id": "([\w-]+)"/.exec(screen)?.[1];
    expect(screen).toContain(
      [
        'Next, as the owner:',
        `  TOKEN=$(npx plugboard token --sub user_3 --account ${id})`,
        `  curl -H "Authorization: Bearer $TOKEN" http://localhost:${port}/v1/me`,
        `API reference: http://localhost:${port}/docs`,
      ].join('\n'),
    );
    expect(screen).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] DEBUG: using the embedded PostgreSQL of the running server \{"serverPid":\d+,"port":\d+\}$/m);
  }, 120_000);

  it("node dist/src/main.js on the machine's own Node: runs on 22.17+, and below that says to use npx plugboard", () => {
    const version = spawnSync('node', ['-p', 'process.versions.node'], { env: USER_ENV, encoding: 'utf8' }).stdout.trim();
    const result = sh('node dist/src/main.js token --sub operator');
    if (semver.satisfies(version, '>=22.17')) {
      expect(result.status).toBe(0);
    } else {
      expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
        status: 1,
        stdout: '',
        stderr: `plugboard: this is Node ${version}, and Plugboard needs Node >=22.17: run \`npx plugboard token --sub operator\` in the Plugboard directory (npm runs it on the Node 24 that \`npm ci\` installed), or install Node 22.17 or later\n`,
      });
    }
  });

  it("A plugin's first call while npm start runs starts its host, on the server's own Node binary", async () => {
    // Plugin hosts start on their first call: connecting the bundled iCal feed verifies it through one.
    const connected = await fetchUnpooled(`http://127.0.0.1:${port}/v1/integrations/ical_feed`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${vars.TOKEN}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(connected.status).toBe(200);
    const serverPid = (JSON.parse(readFileSync(join(dataDir, 'embedded-postgres.owner.json'), 'utf8')) as { pid: number }).pid;
    const pluginPids = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return (
            /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] === String(serverPid) &&
            readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('child-main')
          );
        } catch {
          return false; // exited meanwhile
        }
      });
    expect(pluginPids.length).toBeGreaterThan(0);
    for (const pid of pluginPids) expect(readlinkSync(`/proc/${pid}/exe`)).toBe(readlinkSync(`/proc/${serverPid}/exe`));
  });

  it('Ctrl-C stops npm start cleanly, the embedded PostgreSQL with it', async () => {
    process.kill(-server!.child.pid!, 'SIGINT');
    await server!.exited;
    expect(server!.output()).toContain('"msg":"stopped"');
    const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
    expect(() => readFileSync(pidFile)).toThrow();
  }, 60_000);
});
