import { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import { Event } from '../../src/modules/events/entities/event.entity.js';
import { EventRepository } from '../../src/modules/events/event.repository.js';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

/** The event SQL against PostgreSQL: events and their fan-outs in one statement, and retention. */
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

  it('writes the events and runs each fan-out, with its parameters, against them in the same statement, returning their ids in order', async () => {
    const { accountId } = await createAccount(t);
    const event = newEvent(accountId);
    const [first, second] = await events.insertWithFanOut(
      [events.rowOf(event)],
      [
        { text: `select p.id from published p`, params: [] },
        { text: `select gen_random_uuid() as id from published p cross join generate_series(1, ?) where p.type = ?`, params: [2, 'room.created'] },
      ],
    );
    expect(first).toEqual([event.id]);
    expect(second).toHaveLength(2);
    const { rows } = await db.query(`select account_id, type, data, source from events where id = $1`, [event.id]);
    expect(rows[0]).toEqual({ account_id: accountId, type: 'room.created', data: { roomId: 'r1', name: 'Room' }, source: 'api' });
  });

  it('writes several events of several accounts in one statement, each as given', async () => {
    const [{ accountId: one }, { accountId: two }] = [await createAccount(t), await createAccount(t)];
    const odd = { text: 'quote " backslash \\ line\n U+2028 \u2028 emoji 🎉 </script>', nested: { list: [1, null, true], big: 2 ** 53 - 1 } };
    const batch = [
      Object.assign(newEvent(one), { createdAt: new Date('2026-12-01T10:00:00.123Z') }),
      Object.assign(newEvent(two, 'room.deleted'), { livemode: false, data: odd, source: 'system' as const }),
      newEvent(one),
    ];
    const [ids] = await events.insertWithFanOut(
      batch.map((event) => events.rowOf(event)),
      [{ text: `select p.id from published p where p.account_id = ?`, params: [one] }],
    );
    expect(ids.sort()).toEqual([batch[0].id, batch[2].id].sort());
    const { rows } = await db.query(`select id, account_id, livemode, type, data, source, created_at from events where id = any($1)`, [
      batch.map((event) => event.id),
    ]);
    expect(rows.sort((a, b) => batch.findIndex((event) => event.id === a.id) - batch.findIndex((event) => event.id === b.id))).toEqual(
      batch.map((event) => ({
        id: event.id,
        account_id: event.accountId,
        livemode: event.livemode,
        type: event.type,
        data: event.data,
        source: event.source,
        created_at: event.createdAt,
      })),
    );
  });

  it('writes nothing when a fan-out fails', async () => {
    const { accountId } = await createAccount(t);
    const event = newEvent(accountId);
    await expect(events.insertWithFanOut([events.rowOf(event)], [{ text: `select 1/0 as id from published`, params: [] }])).rejects.toThrow();
    expect((await db.query(`select id from events where id = $1`, [event.id])).rows).toEqual([]);
  });

  it('deletes events published before a cutoff', async () => {
    const { accountId } = await createAccount(t);
    const [old, recent] = [newEvent(accountId), newEvent(accountId)];
    await events.insertWithFanOut([events.rowOf(old), events.rowOf(recent)], []);
    await db.query(`update events set created_at = now() - interval '40 days' where id = $1`, [old.id]);
    const em = t.app.get(EntityManager).fork();
    const deleted = await em.transactional((tx) => events.deleteCreatedBefore(tx, new Date(Date.now() - 30 * 86_400_000)));
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect((await db.query(`select id from events where id = any($1)`, [[old.id, recent.id]])).rows).toEqual([{ id: recent.id }]);
  });
});
