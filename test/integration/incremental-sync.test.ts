import { MikroORM } from '@mikro-orm/postgresql';
import { ACME_CRM_KEY, providerOriginOverrides, startFakeAcmeCrm, type FakeAcmeCrm } from '../fixtures/providers/index.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';
import { eventually } from '../support/waiting.js';

interface SyncRunRow {
  id: string;
  status: string;
  error: string | null;
  full: boolean;
  changes: Record<string, { added: number; updated: number; deleted: number }> | null;
  highWaterMarks: Record<string, string> | null;
}

/** A plugin's high-water marks carry from one run to the next; a model synced from its mark deletes nothing. */
describe('incremental syncs', () => {
  let fake: FakeAcmeCrm;
  let t: TestApp;
  let token: string;
  let connectionId: string;

  beforeAll(async () => {
    fake = await startFakeAcmeCrm();
    t = await startTestApp(
      pluginEnv(pluginDir(['declarative', 'tombstones']), { PLUGIN_ISOLATION: 'none', PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins) }),
    );
    token = (await createAccount(t)).ownerToken;
    const created = await t.http
      .post('/v1/connections')
      .set(bearer(token))
      .send({ provider: 'acme_crm', credentials: { apiKey: ACME_CRM_KEY } });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  async function sync(body: object = {}, id = connectionId): Promise<SyncRunRow> {
    const started = await t.http.post(`/v1/connections/${id}/sync`).set(bearer(token)).send(body);
    expect(started.status).toBe(202);
    const run = await eventually(
      async () => (await t.http.get(`/v1/connections/${id}/sync-runs`).set(bearer(token))).body.data[0] as SyncRunRow | undefined,
      (candidate) => candidate !== undefined && candidate.id === started.body.syncRunId && ['succeeded', 'failed'].includes(candidate.status),
    );
    expect([run?.status, run?.error]).toEqual(['succeeded', null]);
    return run as SyncRunRow;
  }

  const liveIds = async (model: string, id = connectionId, filter = 'added,updated') =>
    ((await t.http.get(`/v1/connections/${id}/records?model=${model}&filter=${filter}`).set(bearer(token))).body.data as Array<{ id: string }>)
      .map((row) => row.id)
      .sort();
  const contactQueries = () => fake.state.requests.filter((request) => request.path === '/v1/contacts').map((request) => request.query.updated_after ?? null);

  it('starts the next run from the marks, marks deletions only in models synced in full, and starts again with full: true', async () => {
    fake.state.contacts = [
      { id: 'c_1', email: 'ada@example.com', name: 'Ada', updated_at: '2026-01-01T00:00:00Z' },
      { id: 'c_2', email: 'ben@example.com', name: 'Ben', updated_at: '2026-01-02T00:00:00Z' },
    ];
    fake.state.deals = [
      { id: 'd_1', title: 'Renewal' },
      { id: 'd_2', title: 'Upsell' },
    ];
    const first = await sync();
    expect(first).toMatchObject({
      full: false,
      highWaterMarks: { contacts: '2026-01-02T00:00:00Z' },
      changes: { contacts: { added: 2 }, deals: { added: 2 } },
    });
    expect(contactQueries()).toEqual([null]);

    // Ada changes, Ben is gone from the provider, and so is a deal: only the deals list is complete.
    fake.state.contacts = [{ id: 'c_1', email: 'ada@example.com', name: 'Ada Lovelace', updated_at: '2026-01-03T00:00:00Z' }];
    fake.state.deals = [{ id: 'd_1', title: 'Renewal' }];
    const second = await sync();
    expect(contactQueries()).toEqual([null, '2026-01-02T00:00:00Z']);
    expect(second).toMatchObject({
      highWaterMarks: { contacts: '2026-01-03T00:00:00Z' },
      changes: { contacts: { added: 0, updated: 1, deleted: 0 }, deals: { added: 0, updated: 0, deleted: 1 } },
    });
    expect(await liveIds('contacts')).toEqual(['c_1', 'c_2']);
    expect(await liveIds('deals')).toEqual(['d_1']);

    // Nothing new: the mark is carried forward rather than lost.
    const quiet = await sync();
    expect(contactQueries().at(-1)).toBe('2026-01-03T00:00:00Z');
    expect(quiet).toMatchObject({ highWaterMarks: { contacts: '2026-01-03T00:00:00Z' }, changes: { contacts: { added: 0, updated: 0, deleted: 0 } } });

    const full = await sync({ full: true });
    expect(contactQueries().at(-1)).toBeNull();
    expect(full).toMatchObject({ full: true, changes: { contacts: { deleted: 1 } } });
    expect(await liveIds('contacts')).toEqual(['c_1']);
  });

  it("marks deleted what the provider's own tombstones name, in an incremental sync", async () => {
    const created = await t.http
      .post('/v1/connections')
      .set(bearer(token))
      .send({ provider: 'fixture_tombstones', settings: { changed: ['n1', 'n2', 'n3'] } });
    expect(created.status).toBe(201);
    const notes = created.body.id as string;
    expect(await sync({}, notes)).toMatchObject({ highWaterMarks: { notes: '1' }, changes: { notes: { added: 3, deleted: 0 } } });

    const patched = await t.http
      .patch(`/v1/connections/${notes}`)
      .set(bearer(token))
      .send({ settings: { changed: [], deleted: ['n2', 'never_seen'] } });
    expect(patched.status).toBe(200);
    expect(await sync({}, notes)).toMatchObject({ highWaterMarks: { notes: '2' }, changes: { notes: { added: 0, updated: 0, deleted: 1 } } });
    expect(await liveIds('notes', notes)).toEqual(['n1', 'n3']);
    expect(await liveIds('notes', notes, 'deleted')).toEqual(['n2']);
  });

  it('runs one sync of a connection at a time: starting another answers the run already going', async () => {
    const db = t.app.get(MikroORM).em.getConnection();
    const [going] = await db.execute<Array<{ id: string }>>(
      `insert into sync_runs (id, integration_id, account_id, livemode, status, trigger, counts, created_at)
         select gen_random_uuid(), id, account_id, livemode, 'running', 'schedule', '{}', now() from integrations where id = ? returning id`,
      [connectionId],
    );
    const started = await t.http.post(`/v1/connections/${connectionId}/sync`).set(bearer(token)).send({ full: true });
    expect([started.status, started.body.syncRunId]).toEqual([202, going.id]);
    await db.execute(`update sync_runs set status = 'failed', finished_at = now() where id = ?`, [going.id]);
    expect((await sync()).id).not.toBe(going.id);
  });

  it('refuses a full flag that is not a boolean', async () => {
    const refused = await t.http.post(`/v1/connections/${connectionId}/sync`).set(bearer(token)).send({ full: 'yes' });
    expect(refused.status).toBe(400);
  });
});
