import pg from 'pg';

export default async function globalTeardown() {
  const admin = new pg.Client({ connectionString: globalThis.__TEST_ADMIN_URL__ });
  await admin.connect();
  await admin.query(`drop database if exists "${process.env.TEST_DATABASE_NAME}" with (force)`);
  await admin.end();
}
