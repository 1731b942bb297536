import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntityManager } from '@mikro-orm/postgresql';
import { Event } from '../../src/modules/events/entities/event.entity.js';
import { EventRepository } from '../../src/modules/events/event.repository.js';
import { EventsService } from '../../src/modules/events/events.service.js';
import { addMember, bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';

describe('events: catalog, publishing and listing', () => {
  let t: TestApp;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'event-types-'));
    writeFileSync(
      join(dir, 'ticket.purchased.json'),
      JSON.stringify({
        description: 'A ticket was bought',
        type: 'object',
        required: ['ticketId', 'price'],
        properties: { ticketId: { type: 'string' }, price: { type: 'integer', minimum: 0 } },
        examples: [{ ticketId: 't_1', price: 100 }],
      }),
    );
    t = await startTestApp({ EVENT_TYPES_DIR: dir });
  });
  afterAll(() => t.close());

  it('lists built-in and operator event types with their JSON Schemas', async () => {
    const { ownerToken } = await createAccount(t);
    const response = await t.http.get('/v1/event-types?limit=100').set(bearer(ownerToken));
    expect(response.status).toBe(200);
    const types = response.body.data.map((entry: { event: string }) => entry.event);
    for (const builtin of [
      'room.created',
      'recording.completed',
      'participant.joined',
      'session.started',
      'session.ended',
      'registration.received',
      'payment.completed',
      'integration.connected',
      'integration.disconnected',
      'integration.expired',
      'integration.error',
      'integration.sync.completed',
      'integration.sync.failed',
      'webhook.endpoint.disabled',
    ]) {
      expect(types).toContain(builtin);
    }
    const ticket = response.body.data.find((entry: { event: string }) => entry.event === 'ticket.purchased');
    expect(ticket).toMatchObject({ source: 'operator', publishedBy: 'host', description: 'A ticket was bought', example: { ticketId: 't_1', price: 100 } });
    expect(ticket.schema.required).toEqual(['ticketId', 'price']);
  });

  it('accepts a valid event with 202 and lists it, filtered by type and time', async () => {
    const { ownerToken } = await createAccount(t);
    const before = new Date();
    const published = await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .send({ event: 'ticket.purchased', data: { ticketId: 't_9', price: 5 } });
    expect(published.status).toBe(202);
    expect(published.body.id).toMatch(/^[0-9a-f-]{36}$/);
    await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .send({ event: 'session.started', data: { sessionId: 's1' } })
      .expect(202);

    const all = await t.http.get('/v1/events').set(bearer(ownerToken));
    expect(all.body.data.map((event: { event: string }) => event.event)).toEqual(['session.started', 'ticket.purchased']);
    const filtered = await t.http.get('/v1/events?event=ticket.purchased').set(bearer(ownerToken));
    expect(filtered.body.data).toEqual([
      expect.objectContaining({ id: published.body.id, event: 'ticket.purchased', data: { ticketId: 't_9', price: 5 }, livemode: true, source: 'api' }),
    ]);
    const later = await t.http.get(`/v1/events?since=${new Date(Date.now() + 60_000).toISOString()}`).set(bearer(ownerToken));
    expect(later.body.data).toEqual([]);
    const since = await t.http.get(`/v1/events?since=${before.toISOString()}&limit=1`).set(bearer(ownerToken));
    expect(since.body.data).toHaveLength(1);
    expect(since.body.nextCursor).toEqual(expect.any(String));
  });

  it('refuses data that does not fit the schema, and unknown types, with 400 listing each problem', async () => {
    const { ownerToken } = await createAccount(t);
    const bad = await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .send({ event: 'payment.completed', data: { paymentId: 'p', amount: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'data.amount', message: expect.any(String) },
        { path: 'data', message: expect.stringContaining('currency') },
      ]),
    );
    const unknown = await t.http.post('/v1/events').set(bearer(ownerToken)).send({ event: 'nothing.here', data: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'event', message: expect.any(String) }]);
    const reserved = await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .send({ event: 'integration.connected', data: { integrationId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b', provider: 'stripe' } });
    expect(reserved.status).toBe(400);
    expect(reserved.body.errors).toEqual([{ path: 'event', message: expect.stringContaining('cannot be published') }]);
    const shapeless = await t.http.post('/v1/events').set(bearer(ownerToken)).send({ event: 'session.started', data: 'x' });
    expect(shapeless.status).toBe(400);
  });

  it('publishes a burst from several accounts in shared statements, and an event PostgreSQL cannot store fails alone', async () => {
    const [one, two] = [await createAccount(t), await createAccount(t)];
    const events = t.app.get(EventsService);
    const statements: number[] = [];
    const repository = t.app.get(EventRepository);
    // Counts the events each statement carries, and writes them as before.
    const insert = repository.insertWithFanOut.bind(repository);
    repository.insertWithFanOut = (batch, fanOuts) => {
      statements.push(batch.length);
      return insert(batch, fanOuts);
    };
    try {
      // Published in one turn of the event loop: the first two go at once, the rest share the next statement.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, index) =>
          events.publishNow(
            {
              accountId: index % 2 ? one.accountId : two.accountId,
              livemode: true,
              type: 'session.started',
              data: { sessionId: index === 17 ? 'nul \u0000' : `s${index}` },
            },
            'api',
          ),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array.from({ length: 30 }, (_, index) => (index === 17 ? 'rejected' : 'fulfilled')));
      // The batch of 28 failed on the NUL character, and each of its events was written again alone.
      expect(statements).toEqual([1, 1, 28, ...Array<number>(28).fill(1)]);
      const published = (parity: number) =>
        outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' && index % 2 === parity ? [outcome.value.id] : [])).sort();
      const listed = async (token: string) =>
        ((await t.http.get('/v1/events?limit=100').set(bearer(token))).body.data as Array<{ id: string }>).map((event) => event.id).sort();
      expect(await listed(one.ownerToken)).toEqual(published(1));
      expect(await listed(two.ownerToken)).toEqual(published(0));
    } finally {
      repository.insertWithFanOut = insert;
    }
    // Over HTTP, that event is a client error.
    const refused = await t.http
      .post('/v1/events')
      .set(bearer(one.ownerToken))
      .send({ event: 'session.started', data: { sessionId: 'nul \u0000' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', detail: expect.stringContaining('cannot be stored') });
  });

  it('is idempotent with Idempotency-Key: the same key and body return the same event once', async () => {
    const { ownerToken } = await createAccount(t);
    const body = { event: 'session.ended', data: { sessionId: 's2' } };
    const first = await t.http.post('/v1/events').set(bearer(ownerToken)).set('Idempotency-Key', 'evt-1').send(body);
    const second = await t.http.post('/v1/events').set(bearer(ownerToken)).set('Idempotency-Key', 'evt-1').send(body);
    expect(first.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const conflict = await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .set('Idempotency-Key', 'evt-1')
      .send({ ...body, data: { sessionId: 'other' } });
    expect(conflict.status).toBe(409);
    const list = await t.http.get('/v1/events').set(bearer(ownerToken));
    expect(list.body.data).toHaveLength(1);
  });

  it('needs events.publish to publish and events.view to read; accounts and modes are isolated', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const host = await addMember(t, accountId, ownerToken, 'host');
    const denied = await t.http
      .post('/v1/events')
      .set(bearer(host))
      .send({ event: 'session.started', data: { sessionId: 's' } });
    expect(denied.status).toBe(403);
    expect(denied.body.permission).toBe('events.publish');
    await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .send({ event: 'session.started', data: { sessionId: 's' } })
      .expect(202);
    expect((await t.http.get('/v1/events').set(bearer(host))).body.data).toHaveLength(1);
    const testMode = await t.http.get('/v1/events').set(bearer(ownerToken)).set('Plugboard-Mode', 'test');
    expect(testMode.body.data).toEqual([]);
    const other = await createAccount(t);
    expect((await t.http.get('/v1/events').set(bearer(other.ownerToken))).body.data).toEqual([]);
  });

  it('publish(em, …) joins the caller’s unit of work: nothing is stored when it rolls back', async () => {
    const { accountId } = await createAccount(t);
    const events = t.app.get(EventsService);
    const em = t.app.get(EntityManager).fork();
    await expect(
      em.transactional(async (tx) => {
        await events.publish(tx, { accountId, livemode: true, type: 'integration.connected', data: { integrationId: accountId, provider: 'stripe' } });
        throw new Error('the caller failed after publishing');
      }),
    ).rejects.toThrow('the caller failed');
    expect(await em.fork().count(Event, { accountId })).toBe(0);
    const stored = await events.publishNow({
      accountId,
      livemode: false,
      type: 'integration.connected',
      data: { integrationId: accountId, provider: 'stripe' },
    });
    expect(await em.fork().findOneOrFail(Event, { id: stored.id })).toMatchObject({ livemode: false, source: 'system' });
    await expect(events.publishNow({ accountId, livemode: true, type: 'integration.connected', data: {} })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});
