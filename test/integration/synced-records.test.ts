import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { SyncedRecordRepository } from '../../src/modules/integrations/sync/synced-record.repository.js';
import { providerOriginOverrides, startFakeStripe, type FakeStripe } from '../fixtures/providers/index.js';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';
import { eventually } from '../support/waiting.js';

const STRIPE_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';

interface RecordRow {
  id: string;
  data: Record<string, unknown>;
  meta: { lastAction: string; firstSeenAt: string; lastModifiedAt: string; deletedAt: string | null };
}

/** Synced records keep what changed: added, updated (content changed) and deleted (no longer seen by a full sync). */
describe('synced records with changes and deletions', () => {
  let t: TestApp;
  let stripe: FakeStripe;
  let token: string;
  let connectionId: string;

  beforeAll(async () => {
    stripe = await startFakeStripe({ keys: [STRIPE_KEY] });
    t = await startTestApp({ PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(stripe.origins), PLUGIN_ISOLATION: 'none' });
    token = (await createAccount(t)).ownerToken;
    connectionId = (
      await t.http
        .post('/v1/connections')
        .set(bearer(token))
        .send({ provider: 'stripe', credentials: { secretKey: STRIPE_KEY } })
    ).body.id;
  });
  afterAll(async () => {
    await t.close();
    await stripe.close();
  });

  /** Runs a sync to its end and returns the integration.sync.completed event's data. */
  async function sync(): Promise<{ changes: Record<string, Record<string, number>>; checkpoint: string; syncRunId: string }> {
    const started = await t.http.post(`/v1/connections/${connectionId}/sync`).set(bearer(token));
    expect(started.status).toBe(202);
    const run = await eventually(
      async () => (await t.http.get(`/v1/connections/${connectionId}/sync-runs`).set(bearer(token))).body.data[0],
      (candidate: { id: string; status: string; error: string | null }) =>
        candidate?.id === started.body.syncRunId && ['succeeded', 'failed'].includes(candidate.status),
    );
    expect([run.status, run.error]).toEqual(['succeeded', null]);
    const events = await t.http.get('/v1/events?event=integration.sync.completed').set(bearer(token));
    return events.body.data.find((event: { data: { syncRunId: string } }) => event.data.syncRunId === started.body.syncRunId).data;
  }

  /** Every record page by page (limit 2), following nextCursor. */
  async function readAll(query: string): Promise<RecordRow[]> {
    const rows: RecordRow[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: RecordRow[]; nextCursor: string | null } } = await t.http
        .get(`/v1/connections/${connectionId}/records?model=customers&limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(token));
      expect(page.status).toBe(200);
      rows.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    return rows;
  }

  it('reports only what changed since a checkpoint, deletions included, and writes no unchanged row', async () => {
    const [ana, ben, cleo] = [
      stripe.state.addCustomer({ email: 'ana@acme.test' }),
      stripe.state.addCustomer({ email: 'ben@acme.test' }),
      stripe.state.addCustomer({ email: 'cleo@acme.test' }),
    ];
    const first = await sync();
    expect(first.changes.customers).toEqual({ added: 3, updated: 0, deleted: 0 });
    const live = await readAll('');
    expect(live.map((row) => row.id).sort()).toEqual([ana.id, ben.id, cleo.id].sort());
    expect(live.every((row) => row.meta.lastAction === 'added' && row.meta.deletedAt === null)).toBe(true);

    const unchanged = await sync();
    expect(unchanged.changes.customers).toEqual({ added: 0, updated: 0, deleted: 0 });
    expect(await readAll(`&modifiedAfter=${unchanged.checkpoint}&filter=added,updated,deleted`)).toEqual([]);

    ben.email = 'ben@new.test';
    stripe.state.customers.splice(stripe.state.customers.indexOf(cleo), 1);
    const dana = stripe.state.addCustomer({ email: 'dana@acme.test' });
    const third = await sync();
    expect(third.changes.customers).toEqual({ added: 1, updated: 1, deleted: 1 });
    const changed = await readAll(`&modifiedAfter=${third.checkpoint}&filter=added,updated,deleted`);
    expect(Object.fromEntries(changed.map((row) => [row.id, row.meta.lastAction]))).toEqual({ [ben.id]: 'updated', [cleo.id]: 'deleted', [dana.id]: 'added' });
    expect(changed.find((row) => row.id === ben.id)!.data.email).toBe('ben@new.test');
    expect(changed.find((row) => row.id === cleo.id)!.meta.deletedAt).toEqual(expect.any(String));
    // By default only live records: the deleted one is left out.
    expect((await readAll('')).map((row) => row.id).sort()).toEqual([ana.id, ben.id, dana.id].sort());

    // A deleted record that comes back is added again.
    stripe.state.customers.push(cleo);
    expect((await sync()).changes.customers).toEqual({ added: 1, updated: 0, deleted: 0 });
  });

  it("writes each batch in a later millisecond than the one before, so a reader's cursor skips nothing", async () => {
    const records = t.app.get(SyncedRecordRepository);
    const runId = randomUUID();
    for (let batch = 0; batch < 20; batch++) await records.write(connectionId, 'notes', runId, [{ externalId: `n${batch}`, data: { id: `n${batch}` } }]);
    const rows = await t.app
      .get(MikroORM)
      .em.getConnection()
      .execute<Array<{ at: string }>>(`select last_modified_at::text as at from synced_records where integration_id = ? and model = 'notes'`, [connectionId]);
    expect(new Set(rows.map((row) => row.at)).size).toBe(20);
  });
});
