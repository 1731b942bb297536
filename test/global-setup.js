// Creates a fresh PostgreSQL database for this test run (DATABASE_URL's server, or the local one) and
// a unique Redis key prefix, so runs never see each other's data.
import pg from 'pg';

export default async function globalSetup() {
  const base = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `plugboard_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  process.env.TEST_DATABASE_URL = url.toString();
  process.env.TEST_DATABASE_NAME = name;
  process.env.TEST_QUEUE_PREFIX = `pbtest${Date.now()}`;
  globalThis.__TEST_ADMIN_URL__ = base.toString();
}
