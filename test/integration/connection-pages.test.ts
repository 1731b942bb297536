import pg from 'pg';
import { MetricsService } from '../../src/core/metrics/metrics.service.js';
import { ConnectionPages } from '../../src/modules/integrations/connections/connection-pages.js';
import { IntegrationView } from '../../src/modules/integrations/connections/integration-view.js';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';
import { eventually, sleep } from '../support/waiting.js';

type Outcome = 'hit' | 'miss' | 'bypass';

/**
 * The replica's pages of connections: kept until PostgreSQL notifies a change to the account's
 * connections, and never older than a write committed before the list, whoever made it.
 */
describe('kept pages of connections', () => {
  let t: TestApp;
  /** Writes as another process would: its own connection, outside the app. */
  let sql: pg.Client;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new pg.Client({ connectionString: t.config.database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  const reads = async (): Promise<Record<Outcome, number>> => {
    const metric = await t.app.get(MetricsService).registry.getSingleMetric('plugboard_list_cache_reads_total')!.get();
    const count = (outcome: Outcome) => metric.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
    return { hit: count('hit'), miss: count('miss'), bypass: count('bypass') };
  };

  /** The page and how it was read: from the kept pages, from the database (and kept), or past them. */
  const list = async (token: string, path = '/v1/connections?limit=100') => {
    const before = await reads();
    const page = await t.http.get(path).set(bearer(token)).expect(200);
    const after = await reads();
    const outcome = (['hit', 'miss', 'bypass'] as const).find((name) => after[name] > before[name]);
    return { outcome, data: page.body.data as Array<{ id: string; displayName: string | null; status: string }> };
  };

  /** Lists until the page is kept (the first lists open the listening connection). */
  const kept = (token: string, path?: string) =>
    eventually(
      () => list(token, path),
      (page) => page.outcome === 'hit',
      5_000,
    );

  async function team() {
    const { accountId, ownerToken } = await createAccount(t);
    const ids: string[] = [];
    for (const endUserId of ['eu_1', 'eu_2', 'eu_3']) {
      const created = await t.http.post('/v1/connections').set(bearer(ownerToken)).send({ provider: 'ical_feed', owner: 'end_user', endUserId }).expect(201);
      ids.push(created.body.id as string);
    }
    return { accountId, ownerToken, ids };
  }

  it('answers a repeated list from the kept page, and shows every write committed before it by any statement', async () => {
    const { ownerToken, ids } = await team();
    await kept(ownerToken);

    // Another connection's update, then at once the list: it has caught up.
    await sql.query(`update integrations set display_name = 'Renamed elsewhere', status = 'error' where id = $1`, [ids[0]]);
    const renamed = await list(ownerToken);
    expect(renamed.outcome).toBe('miss');
    expect(renamed.data.find((connection) => connection.id === ids[0])).toMatchObject({ displayName: 'Renamed elsewhere', status: 'error' });
    expect((await list(ownerToken)).outcome).toBe('hit');

    // A write the answers do not show (the next sync's time) keeps the page.
    await sql.query(`update integrations set next_sync_at = now() where id = $1`, [ids[1]]);
    expect((await list(ownerToken)).outcome).toBe('hit');

    // A delete, and a connection made through the API.
    await sql.query(`delete from integrations where id = $1`, [ids[2]]);
    expect((await list(ownerToken)).data.map((connection) => connection.id)).not.toContain(ids[2]);
    const added = await t.http.post('/v1/connections').set(bearer(ownerToken)).send({ provider: 'ical_feed', owner: 'end_user', endUserId: 'eu_4' });
    const afterAdd = await list(ownerToken);
    expect(afterAdd.data[0].id).toBe(added.body.id);
    expect(afterAdd.data).toHaveLength(3);

    // Several writes in one transaction: the list after its commit has them all, the one before none.
    await sql.query('begin');
    await sql.query(`update integrations set label = 'in a transaction' where id = any($1)`, [ids.slice(0, 2)]);
    expect((await list(ownerToken)).data.filter((connection) => ids.slice(0, 2).includes(connection.id))).not.toContainEqual(
      expect.objectContaining({ label: 'in a transaction' }),
    );
    await sql.query('commit');
    const committed = (await list(ownerToken)).data.filter((connection) => ids.slice(0, 2).includes(connection.id));
    expect(committed.map((connection) => (connection as { label?: string }).label)).toEqual(['in a transaction', 'in a transaction']);
  });

  it('catches up with a change whose notification has not been read yet', async () => {
    const { accountId, ownerToken, ids } = await team();
    await kept(ownerToken);
    const pages = t.app.get(ConnectionPages);
    const text = `${IntegrationView.LISTED} where account_id = ? and id = ?`;
    for (const name of ['First', 'Second', 'Third']) {
      await pages.read(accountId, text, [accountId, ids[0]]);
      // The update's answer and the read follow each other in this process, before it reads the listening socket.
      await sql.query(`update integrations set display_name = $2 where id = $1`, [ids[0], name]);
      const [row] = await pages.read(accountId, text, [accountId, ids[0]]);
      expect(JSON.parse(row.json).displayName).toBe(name);
    }
  });

  it("keeps an account's page when another account's connections change", async () => {
    const one = await team();
    const other = await team();
    await kept(one.ownerToken);
    await sql.query(`update integrations set display_name = 'Other' where id = $1`, [other.ids[0]]);
    expect((await list(one.ownerToken)).outcome).toBe('hit');
    expect((await list(other.ownerToken)).data.find((connection) => connection.id === other.ids[0])?.displayName).toBe('Other');
  });

  it('does not keep a page that a change overtook while it was read', async () => {
    const { accountId, ownerToken, ids } = await team();
    await kept(ownerToken);
    const pages = t.app.get(ConnectionPages);
    // A read slowed down in PostgreSQL, with the update committed while it runs.
    const text = `${IntegrationView.LISTED}, lateral (select pg_sleep(0.4)) pause where account_id = ? and id = ?`;
    const reading = pages.read(accountId, text, [accountId, ids[0]]);
    await sleep(100);
    await sql.query(`update integrations set display_name = 'Overtaken' where id = $1`, [ids[0]]);
    const [old] = await reading;
    expect(JSON.parse(old.json).displayName).not.toBe('Overtaken');
    const before = await reads();
    const [fresh] = await pages.read(accountId, text, [accountId, ids[0]]);
    expect(JSON.parse(fresh.json).displayName).toBe('Overtaken');
    expect((await reads()).miss).toBe(before.miss + 1);
  });

  it('reads the database while the listening connection is lost, and keeps pages again once it listens', async () => {
    const { ownerToken, ids } = await team();
    await kept(ownerToken);
    const terminated = await sql.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'plugboard-changes' and datname = current_database()`,
    );
    expect(terminated.rowCount).toBe(1);
    // Changes made while nobody listens are never missed: nothing kept is answered until it listens again.
    await sql.query(`update integrations set display_name = 'While deaf' where id = $1`, [ids[0]]);
    const deaf = await eventually(
      () => list(ownerToken),
      (page) => page.outcome === 'bypass',
      5_000,
    );
    expect(deaf.data.find((connection) => connection.id === ids[0])?.displayName).toBe('While deaf');
    await kept(ownerToken);
    await sql.query(`update integrations set display_name = 'Heard again' where id = $1`, [ids[0]]);
    expect((await list(ownerToken)).data.find((connection) => connection.id === ids[0])?.displayName).toBe('Heard again');
  });

  it('serves the default shared connections from kept pages too', async () => {
    const { ownerToken } = await createAccount(t);
    const shared = await t.http.post('/v1/connections').set(bearer(ownerToken)).send({ provider: 'ical_feed' }).expect(201);
    await kept(ownerToken, '/v1/integrations');
    await sql.query(`update integrations set is_default = false where id = $1`, [shared.body.id]);
    expect((await list(ownerToken, '/v1/integrations')).data).toEqual([]);
  });

  it('keeps pages within LIST_CACHE_MB, forgetting the least recently used first', async () => {
    const small = await startTestApp({ LIST_CACHE_MB: '1' });
    try {
      const { accountId, ownerToken } = await createAccount(small);
      const created = await small.http.post('/v1/connections').set(bearer(ownerToken)).send({ provider: 'ical_feed' }).expect(201);
      const pages = small.app.get(ConnectionPages);
      const metric = small.app.get(MetricsService).registry.getSingleMetric('plugboard_list_cache_reads_total')!;
      const outcomeOf = async (characters: number) => {
        const count = async () => Object.fromEntries((await metric.get()).values.map((value) => [value.labels.outcome, value.value]));
        const before = await count();
        // A page of one row whose JSON is `characters` long.
        await pages.read(
          accountId,
          `${IntegrationView.LISTED.replace('answer_json as json', `repeat('x', ${characters}) as json`)} where account_id = ? and id = ?`,
          [accountId, created.body.id],
        );
        const after = await count();
        return (['hit', 'miss', 'bypass'] as const).find((outcome) => (after[outcome] ?? 0) > (before[outcome] ?? 0));
      };
      await eventually(
        () => outcomeOf(400_000),
        (outcome) => outcome === 'hit',
        5_000,
      );
      expect(await outcomeOf(400_001)).toBe('miss');
      expect(await outcomeOf(400_000)).toBe('hit');
      // A third page passes the megabyte: the least recently used one (400,001) goes.
      expect(await outcomeOf(400_002)).toBe('miss');
      expect(await outcomeOf(400_000)).toBe('hit');
      expect(await outcomeOf(400_002)).toBe('hit');
      expect(await outcomeOf(400_001)).toBe('miss');
      // A page larger than the whole bound is never kept.
      expect(await outcomeOf(2_000_000)).toBe('miss');
      expect(await outcomeOf(2_000_000)).toBe('miss');
    } finally {
      await small.close();
    }
  });
});
