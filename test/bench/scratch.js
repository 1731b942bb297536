// What the benchmarks share: a scratch database, and the environment they run Plugboard in.
import pg from 'pg';

/** A new database on DATABASE_URL's server (default: the local one); `drop()` removes it. */
export async function scratchDatabase(label) {
  const server = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `plugboard_bench_${label}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** Production mode with fixed secrets; request logging and rate limiting off, as they are not what is measured. */
export function benchEnvironment(databaseUrl, jwtSecret) {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `pbbench${Date.now()}`,
    AUTH_JWT_SECRET: jwtSecret,
    ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
  };
}
