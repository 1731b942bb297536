import pg from 'pg';

export default async function globalTeardown() {
  const admin = new pg.Client({ connectionString: globalThis.__TEST_ADMIN_URL__ });
  await admin.connect();
  for (const name of globalThis.__TEST_DATABASES__) await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
