// Creates fresh PostgreSQL databases for this test run (DATABASE_URL's server, or the local one), one
// per Jest worker, and a unique Redis key prefix, so runs and workers never see each other's data
// (environment.js points each worker at its own).
import pg from 'pg';

export default async function globalSetup(globalConfig) {
  const base = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `plugboard_test_${Date.now()}_${process.pid}`;
  const workers = globalConfig.maxWorkers;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  for (let worker = 1; worker <= workers; worker++) await admin.query(`create database "${name}_w${worker}"`);
  await admin.end();
  process.env.TEST_RUN_DATABASE_URL = base.toString();
  process.env.TEST_RUN_DATABASE = name;
  process.env.TEST_RUN_QUEUE_PREFIX = `pbtest${Date.now()}`;
  globalThis.__TEST_ADMIN_URL__ = base.toString();
  globalThis.__TEST_DATABASES__ = Array.from({ length: workers }, (_, i) => `${name}_w${i + 1}`);
}
