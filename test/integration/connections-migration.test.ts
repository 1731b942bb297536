import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { Keyring } from '../../src/core/crypto/keyring.js';
import { MetricsService } from '../../src/core/metrics/metrics.service.js';
import { ormOptions } from '../../src/core/database/orm-options.js';
import { providerOriginOverrides, SENDGRID_TEST_KEY, startFakeSendGrid, type FakeSendGrid } from '../fixtures/providers/index.js';
import { bearer, startTestApp, TEST_ENCRYPTION_KEYS, testConfig, type TestApp } from '../support/test-app.js';
import { eventually } from '../support/waiting.js';

/** The last migration before connections existed. */
const BEFORE_CONNECTIONS = 'Migration20261206005100';

/**
 * A database populated before connections existed, migrated: each integration becomes its account's
 * default shared connection with the same id, its sealed credentials untouched and still working.
 */
describe('the connections migration', () => {
  const name = `plugboard_migration_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({
    connectionString: (globalThis as { __TEST_ADMIN_URL__?: string }).__TEST_ADMIN_URL__ ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  });
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  let sendgrid: FakeSendGrid;
  let t: TestApp | undefined;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database "${name}"`);
    sendgrid = await startFakeSendGrid();
  });
  afterAll(async () => {
    await t?.close();
    await sendgrid.close();
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });

  it('keeps every integration working under both URL forms', async () => {
    const orm = await MikroORM.init({ ...ormOptions(testConfig(), url.toString()), pool: { min: 0, max: 2 } });
    await orm.migrator.up({ to: BEFORE_CONNECTIONS });
    const [accountId, integrationId] = [randomUUID(), randomUUID()];
    const sealed = new Keyring(TEST_ENCRYPTION_KEYS).encryptJson({ apiKey: SENDGRID_TEST_KEY }, `integration:${integrationId}`);
    const connection = orm.em.getConnection();
    await connection.execute(`insert into accounts (id, name, plan, created_at, updated_at) values (?, 'Before', 'business', now(), now())`, [accountId]);
    await connection.execute(`insert into memberships (id, account_id, user_id, role, created_at) values (?, ?, 'owner_before', 'owner', now())`, [
      randomUUID(),
      accountId,
    ]);
    await connection.execute(
      `insert into integrations (id, account_id, livemode, provider, category, status, metadata, settings, credentials, auto_sync, refresh_failures, connected_at, created_at, updated_at)
       values (?, ?, true, 'sendgrid', 'email', 'connected', '{"username":"acme"}', '{"fromEmail":"events@acme.test"}', ?, false, 0, now(), now(), now())`,
      [integrationId, accountId, sealed],
    );
    await orm.migrator.up();
    await orm.close(true);

    t = await startTestApp({ DATABASE_URL: url.toString(), PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(sendgrid.origins) });
    const owner = bearer(await t.token({ sub: 'owner_before', account: accountId }));
    const byProvider = await t.http.get('/v1/integrations/sendgrid').set(owner);
    expect(byProvider.body).toMatchObject({
      id: integrationId,
      owner: 'account',
      isDefault: true,
      status: 'connected',
      settings: { fromEmail: 'events@acme.test' },
    });
    const byId = await t.http.get(`/v1/connections/${integrationId}`).set(owner);
    expect(byId.body).toMatchObject({ id: integrationId, provider: 'sendgrid', tags: [], label: null, restricted: false });
    // The lists answer it with the JSON the migrations wrote for it, equal to its single answer.
    expect((await t.http.get('/v1/connections').set(owner)).body.data).toEqual([byId.body]);
    expect((await t.http.get('/v1/integrations').set(owner)).body.data).toEqual([byId.body]);
    // The credentials sealed before the migration still open, and the provider still accepts them.
    expect((await t.http.post(`/v1/connections/${integrationId}/health-check`).set(owner)).body.status).toBe('connected');
    expect((await t.http.post('/v1/integrations/sendgrid/health-check').set(owner)).body.status).toBe('connected');
    expect(sendgrid.state.requests.filter((request) => request.headers.authorization === `Bearer ${SENDGRID_TEST_KEY}`).length).toBeGreaterThanOrEqual(2);

    // A TRUNCATE (this database is the test's own) reaches the replica's kept pages too.
    const hits = async () =>
      (await t!.app.get(MetricsService).registry.getSingleMetric('plugboard_list_cache_reads_total')!.get()).values.find(
        (value) => value.labels.outcome === 'hit',
      )?.value ?? 0;
    await eventually(
      async () => {
        const before = await hits();
        await t!.http.get('/v1/connections').set(owner).expect(200);
        return (await hits()) > before;
      },
      (kept) => kept,
      5_000,
    );
    const direct = new pg.Client({ connectionString: url.toString() });
    await direct.connect();
    await direct.query('truncate integrations cascade');
    await direct.end();
    expect((await t.http.get('/v1/connections').set(owner)).body.data).toEqual([]);
  });
});
