import { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { Event } from '../../src/modules/events/entities/event.entity.js';
import { EventRepository } from '../../src/modules/events/event.repository.js';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

/** The event SQL against PostgreSQL: an event and its fan-outs in one statement, and retention. */
describe('EventRepository', () => {
  let t: TestApp;
  let db: pg.Client;
  let events: EventRepository;
  beforeAll(async () => {
    t = await startTestApp({ PLUGBOARD_ROLE: 'api' });
    events = t.app.get(EventRepository);
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const newEvent = (accountId: string, type = 'room.created') =>
    Object.assign(new Event(), { accountId, livemode: true, type, data: { roomId: 'r1', name: 'Room' }, source: 'api' as const });

  it('writes the event and runs each fan-out, with its parameters, against it in the same statement, returning their ids in order', async () => {
    const { accountId } = await createAccount(t);
    const event = newEvent(accountId);
    const [first, second] = await events.insertWithFanOut(event, [
      { text: `select p.id from published p`, params: [] },
      { text: `select gen_random_uuid() as id from published p cross join generate_series(1, ?) where p.type = ?`, params: [2, 'room.created'] },
    ]);
    expect(first).toEqual([event.id]);
    expect(second).toHaveLength(2);
    const { rows } = await db.query(`select account_id, type, data, source from events where id = $1`, [event.id]);
    expect(rows[0]).toEqual({ account_id: accountId, type: 'room.created', data: { roomId: 'r1', name: 'Room' }, source: 'api' });
  });

  it('writes nothing when a fan-out fails', async () => {
    const { accountId } = await createAccount(t);
    const event = newEvent(accountId);
    await expect(events.insertWithFanOut(event, [{ text: `select 1/0 as id from published`, params: [] }])).rejects.toThrow();
    expect((await db.query(`select id from events where id = $1`, [event.id])).rows).toEqual([]);
  });

  it('deletes events published before a cutoff', async () => {
    const { accountId } = await createAccount(t);
    const [old, recent] = [newEvent(accountId), newEvent(accountId)];
    await events.insertWithFanOut(old, []);
    await events.insertWithFanOut(recent, []);
    await db.query(`update events set created_at = now() - interval '40 days' where id = $1`, [old.id]);
    const em = t.app.get(EntityManager).fork();
    const deleted = await em.transactional((tx) => events.deleteCreatedBefore(tx, new Date(Date.now() - 30 * 86_400_000)));
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect((await db.query(`select id from events where id = any($1)`, [[old.id, recent.id]])).rows).toEqual([{ id: recent.id }]);
  });
});
