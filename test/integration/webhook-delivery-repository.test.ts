import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import pg from 'pg';
import { QUEUES } from '../../src/core/queue/queues.js';
import { WebhookQueue } from '../../src/modules/webhooks/webhook-queue.js';
import { WebhookDeliveryRepository } from '../../src/modules/webhooks/webhook-delivery.repository.js';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

/** The delivery SQL against PostgreSQL: leases, outcome batches, disabling, overdue work and retention. */
describe('WebhookDeliveryRepository', () => {
  let t: TestApp;
  let db: pg.Client;
  let repository: WebhookDeliveryRepository;
  beforeAll(async () => {
    // An API-only process: nothing sends the deliveries these tests look at.
    t = await startTestApp({ PLUGBOARD_ROLE: 'api', ALLOW_INSECURE_WEBHOOKS: 'true' });
    repository = t.app.get(WebhookDeliveryRepository);
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('enqueues the deliveries due in one turn of the event loop as one job, and delayed ones apart', async () => {
    const queue = t.app.get<Queue>(getQueueToken(QUEUES.webhookDeliveries), { strict: false });
    const due: string[] = [randomUUID(), randomUUID(), randomUUID()];
    const later: string = randomUUID();
    const webhookQueue = t.app.get(WebhookQueue);
    await Promise.all([...due.map((id) => webhookQueue.enqueue([id])), webhookQueue.enqueue([later], 60_000)]);
    const jobs = (await queue.getJobs(['waiting', 'delayed'])).filter((job) => (job.data.deliveryIds as string[]).some((id) => [...due, later].includes(id)));
    expect(jobs.map((job) => job.data.deliveryIds).sort((a, b) => a.length - b.length)).toEqual([[later], due]);
    await Promise.all(jobs.map((job) => job.remove()));
  });

  /** An endpoint and `count` pending deliveries to it, made through the API. */
  async function pendingDeliveries(count: number) {
    const { ownerToken } = await createAccount(t);
    const auth = { Authorization: `Bearer ${ownerToken}` };
    const endpoint = await t.http
      .post('/v1/webhooks')
      .set(auth)
      .send({ url: 'http://127.0.0.1:9/hook', events: ['room.created'] });
    for (let i = 0; i < count; i++) {
      expect(
        (
          await t.http
            .post('/v1/events')
            .set(auth)
            .send({ event: 'room.created', data: { roomId: `r${i}`, name: 'Room' } })
        ).status,
      ).toBe(202);
    }
    const { rows } = await db.query<{ id: string }>(`select id from webhook_deliveries where endpoint_id = $1 order by created_at`, [endpoint.body.id]);
    return { endpointId: endpoint.body.id as string, ids: rows.map((row) => row.id) };
  }

  it('claims due deliveries once per lease, with the endpoint they go to', async () => {
    const { endpointId, ids } = await pendingDeliveries(2);
    const claimed = await repository.claim(ids, 60_000);
    expect(claimed.map((delivery) => delivery.id).sort()).toEqual([...ids].sort());
    expect(claimed[0]).toMatchObject({ endpoint_id: endpointId, url: 'http://127.0.0.1:9/hook', enabled: true, attempts: 0 });
    expect(await repository.claim(ids, 60_000)).toEqual([]);

    await db.query(`update webhook_deliveries set locked_until = now() - interval '1 second' where id = $1`, [ids[0]]);
    expect((await repository.claim(ids, 60_000)).map((delivery) => delivery.id)).toEqual([ids[0]]);
    await db.query(`update webhook_deliveries set locked_until = null, next_attempt_at = now() + interval '1 hour' where id = $1`, [ids[1]]);
    expect(await repository.claim([ids[1]], 60_000)).toEqual([]);
  });

  it('records attempts, outcomes and endpoint health in one statement, releasing the leases', async () => {
    const { endpointId, ids } = await pendingDeliveries(1);
    await repository.claim(ids, 60_000);
    const at = new Date().toISOString();
    await repository.recordOutcomes({
      attempts: [
        {
          id: crypto.randomUUID(),
          delivery_id: ids[0],
          request_headers: { 'webhook-id': 'x' },
          response_status: 500,
          response_body: 'no',
          duration_ms: 3,
          error: null,
          created_at: at,
        },
      ],
      updates: [{ id: ids[0], status: 'pending', attempts: 1, round_attempts: 1, next_attempt_at: at, last_attempt_at: at, response_status: 500 }],
      recoveredEndpointIds: [],
      failingEndpoints: [{ id: endpointId, at }],
    });
    const delivery = (await db.query(`select status, attempts, response_status, locked_until from webhook_deliveries where id = $1`, [ids[0]])).rows[0];
    expect(delivery).toEqual({ status: 'pending', attempts: 1, response_status: 500, locked_until: null });
    expect((await db.query(`select count(*)::int as n from webhook_attempts where delivery_id = $1`, [ids[0]])).rows[0].n).toBe(1);
    expect((await db.query(`select failing_since from webhook_endpoints where id = $1`, [endpointId])).rows[0].failing_since).toEqual(new Date(at));

    await repository.recordOutcomes({ attempts: [], updates: [], recoveredEndpointIds: [endpointId], failingEndpoints: [] });
    expect((await db.query(`select failing_since from webhook_endpoints where id = $1`, [endpointId])).rows[0].failing_since).toBeNull();
  });

  it('disables an endpoint once, failing its pending deliveries', async () => {
    const { endpointId, ids } = await pendingDeliveries(2);
    const em = t.app.get(EntityManager).fork();
    const disabled = await em.transactional((tx) => repository.disableEndpoint(tx, endpointId, 'gone'));
    expect(disabled).toMatchObject({ url: 'http://127.0.0.1:9/hook', livemode: true, failingSince: null });
    expect(await em.transactional((tx) => repository.disableEndpoint(tx, endpointId, 'gone'))).toBeUndefined();
    const { rows } = await db.query(`select status, next_attempt_at from webhook_deliveries where id = any($1)`, [ids]);
    expect(rows).toEqual([
      { status: 'failed', next_attempt_at: null },
      { status: 'failed', next_attempt_at: null },
    ]);
    expect((await db.query(`select enabled, disabled_reason from webhook_endpoints where id = $1`, [endpointId])).rows[0]).toEqual({
      enabled: false,
      disabled_reason: 'gone',
    });
  });

  it('finds overdue deliveries nobody holds, and deletes old ones with their attempts', async () => {
    const { ids } = await pendingDeliveries(3);
    await db.query(`update webhook_deliveries set next_attempt_at = now() - interval '1 minute' where id = any($1)`, [ids]);
    await db.query(`update webhook_deliveries set locked_until = now() + interval '1 minute' where id = $1`, [ids[2]]);
    const overdue = await repository.overdue(30_000, 10_000);
    expect(overdue).toEqual(expect.arrayContaining([ids[0], ids[1]]));
    expect(overdue).not.toContain(ids[2]);
    expect(await repository.overdue(120_000, 10_000)).not.toEqual(expect.arrayContaining([ids[0]]));

    await db.query(`update webhook_deliveries set created_at = now() - interval '40 days' where id = $1`, [ids[0]]);
    const deleted = await t.app
      .get(EntityManager)
      .fork()
      .transactional((tx) => repository.deleteCreatedBefore(tx, new Date(Date.now() - 30 * 86_400_000)));
    expect(deleted).toBe(1);
    expect((await db.query(`select id from webhook_deliveries where id = any($1)`, [ids])).rows.map((row) => row.id).sort()).toEqual([ids[1], ids[2]].sort());
  });
});
