import { EntityManager } from '@mikro-orm/postgresql';
import { Webhook } from 'standardwebhooks';
import { EventsService } from '../../src/modules/events/events.service.js';
import { type Reply, WebhookReceiver } from '../fixtures/webhook-receiver.js';
import { addMember, bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';
import { eventually, sleep } from '../support/waiting.js';

function verify(secret: string, request: { body: string; headers: Record<string, unknown> }) {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
  return new Webhook(secret).verify(request.body, headers) as Record<string, unknown>;
}

const receivers: WebhookReceiver[] = [];
async function receiver(...args: Parameters<typeof WebhookReceiver.start>) {
  const started = await WebhookReceiver.start(...args);
  receivers.push(started);
  return started;
}
afterAll(() => Promise.all(receivers.map((r) => r.close())));

describe('webhooks: endpoints, signed delivery, retries and logs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ALLOW_INSECURE_WEBHOOKS: 'true', WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,200ms', WEBHOOK_TIMEOUT_MS: '2000' });
  });
  afterAll(() => t.close());

  async function endpoint(token: string, url: string, events: string[], extra: Record<string, unknown> = {}) {
    const response = await t.http
      .post('/v1/webhooks')
      .set(bearer(token))
      .send({ url, events, ...extra });
    if (response.status !== 201) throw new Error(`endpoint creation failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { id: string; secret: string };
  }
  const publish = async (token: string, event: string, data: Record<string, unknown>) => {
    const response = await t.http.post('/v1/events').set(bearer(token)).send({ event, data });
    expect(response.status).toBe(202);
    return response.body.id as string;
  };
  const deliveries = (token: string, endpointId: string, query = '') =>
    t.http
      .get(`/v1/webhooks/${endpointId}/deliveries${query}`)
      .set(bearer(token))
      .then((r) => r.body.data as ({ id: string } & Record<string, unknown>)[]);

  it('delivers a published event signed per Standard Webhooks, verifiable on the raw body, and logs it', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const hooks = await receiver(() => ({ status: 200, body: 'thanks' }));
    const created = await endpoint(ownerToken, hooks.url, ['session.started'], { description: 'CRM' });
    expect(created.secret).toMatch(/^whsec_/);
    const eventId = await publish(ownerToken, 'session.started', { sessionId: 'sess_1', title: 'Ünïcode ✓' });

    const [request] = await hooks.waitFor(1);
    const payload = verify(created.secret, request);
    expect(payload).toEqual({
      id: eventId,
      event: 'session.started',
      timestamp: expect.any(String),
      accountId,
      livemode: true,
      data: { sessionId: 'sess_1', title: 'Ünïcode ✓' },
    });
    expect(request.headers['webhook-id']).toBe(eventId);
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
    expect(request.headers['content-type']).toBe('application/json');

    const [delivery] = await eventually(
      () => deliveries(ownerToken, created.id),
      (rows) => rows[0]?.status === 'succeeded',
    );
    expect(delivery).toMatchObject({ eventId, event: 'session.started', attempts: 1, responseStatus: 200, nextAttemptAt: null });
    const detail = await t.http.get(`/v1/webhooks/${created.id}/deliveries/${delivery.id}`).set(bearer(ownerToken));
    expect(detail.status).toBe(200);
    expect(detail.body.attempts).toEqual([
      expect.objectContaining({
        responseStatus: 200,
        responseBody: 'thanks',
        durationMs: expect.any(Number),
        error: null,
        requestHeaders: expect.objectContaining({ 'webhook-id': eventId, 'webhook-signature': request.headers['webhook-signature'] }),
      }),
    ]);
  });

  it('fans out only to enabled endpoints of the same account and mode whose filters match', async () => {
    const { ownerToken } = await createAccount(t);
    const other = await createAccount(t);
    const [prefix, exact, unrelated, disabled, testMode, foreign] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => receiver()));
    await endpoint(ownerToken, prefix.url, ['session.*']);
    await endpoint(ownerToken, exact.url, ['session.ended', 'session.started']);
    await endpoint(ownerToken, unrelated.url, ['payment.completed']);
    await endpoint(ownerToken, disabled.url, ['*'], { enabled: false });
    const testEndpoint = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .set('Plugboard-Mode', 'test')
      .send({ url: testMode.url, events: ['*'] });
    expect(testEndpoint.body.livemode).toBe(false);
    await endpoint(other.ownerToken, foreign.url, ['*']);

    await publish(ownerToken, 'session.started', { sessionId: 's' });
    const testEvent = await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .set('Plugboard-Mode', 'test')
      .send({ event: 'room.created', data: { roomId: 'r' } });
    await Promise.all([prefix.waitFor(1), exact.waitFor(1), testMode.waitFor(1)]);
    await sleep(300);
    expect(prefix.requests).toHaveLength(1);
    expect(exact.requests).toHaveLength(1);
    expect(testMode.requests).toHaveLength(1);
    expect(JSON.parse(testMode.requests[0].body)).toMatchObject({ id: testEvent.body.id, livemode: false });
    for (const silent of [unrelated, disabled, foreign]) expect(silent.requests).toHaveLength(0);
  });

  it('retries a failing receiver with the same webhook-id until it recovers, logging every attempt', async () => {
    const { ownerToken } = await createAccount(t);
    const hooks = await receiver((_request, index) => (index < 2 ? { status: 500, body: 'boom' } : { status: 204 }));
    const created = await endpoint(ownerToken, hooks.url, ['room.created']);
    const eventId = await publish(ownerToken, 'room.created', { roomId: 'r1' });
    const requests = await hooks.waitFor(3);
    expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([eventId]));
    for (const request of requests) verify(created.secret, request);
    expect(requests[1].receivedAt - requests[0].receivedAt).toBeGreaterThanOrEqual(70);
    const [delivery] = await eventually(
      () => deliveries(ownerToken, created.id),
      (rows) => rows[0]?.status === 'succeeded',
    );
    expect(delivery.attempts).toBe(3);
    const detail = await t.http.get(`/v1/webhooks/${created.id}/deliveries/${delivery.id}`).set(bearer(ownerToken));
    expect(detail.body.attempts.map((attempt: { responseStatus: number }) => attempt.responseStatus)).toEqual([500, 500, 204]);
    expect(detail.body.attempts[0].responseBody).toBe('boom');
  });

  it('honours Retry-After on 503 and treats a redirect as a failure', async () => {
    const { ownerToken } = await createAccount(t);
    const replies: Reply[] = [
      { status: 503, headers: { 'Retry-After': '1' } },
      { status: 302, headers: { Location: 'https://elsewhere.example/' } },
    ];
    const hooks = await receiver((_request, index) => replies[index] ?? { status: 200 });
    const created = await endpoint(ownerToken, hooks.url, ['room.created']);
    await publish(ownerToken, 'room.created', { roomId: 'r2' });
    const requests = await hooks.waitFor(3);
    expect(requests[1].receivedAt - requests[0].receivedAt).toBeGreaterThanOrEqual(950);
    const [delivery] = await eventually(
      () => deliveries(ownerToken, created.id),
      (rows) => rows[0]?.status === 'succeeded',
    );
    const detail = await t.http.get(`/v1/webhooks/${created.id}/deliveries/${delivery.id}`).set(bearer(ownerToken));
    expect(detail.body.attempts.map((attempt: { responseStatus: number }) => attempt.responseStatus)).toEqual([503, 302, 200]);
  });

  it('marks a delivery failed when the schedule is exhausted; manual retry and recover send it again', async () => {
    const { ownerToken } = await createAccount(t);
    let healthy = false;
    const hooks = await receiver(() => (healthy ? { status: 200 } : { status: 500 }));
    const created = await endpoint(ownerToken, hooks.url, ['room.created', 'session.ended']);
    const before = new Date().toISOString();
    await publish(ownerToken, 'room.created', { roomId: 'r3' });
    await publish(ownerToken, 'session.ended', { sessionId: 's3' });
    const failed = await eventually(
      () => deliveries(ownerToken, created.id, '?status=failed'),
      (rows) => rows.length === 2,
    );
    expect(hooks.requests).toHaveLength(8);
    expect(failed.every((row) => row.attempts === 4 && row.responseStatus === 500)).toBe(true);

    healthy = true;
    const retried = await t.http.post(`/v1/webhooks/${created.id}/deliveries/${failed[0].id}/retry`).set(bearer(ownerToken));
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('pending');
    await hooks.waitFor(9);
    await eventually(
      () => deliveries(ownerToken, created.id, '?status=succeeded'),
      (rows) => rows.length === 1,
    );

    const recovered = await t.http.post(`/v1/webhooks/${created.id}/recover`).set(bearer(ownerToken)).send({ since: before });
    expect(recovered.body).toEqual({ recovered: 1 });
    await hooks.waitFor(10);
    const succeeded = await eventually(
      () => deliveries(ownerToken, created.id, '?status=succeeded'),
      (rows) => rows.length === 2,
    );
    expect(succeeded.map((row) => row.event).sort()).toEqual(['room.created', 'session.ended']);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await deliveries(ownerToken, created.id, `?since=${future}`)).toEqual([]);
    expect(await deliveries(ownerToken, created.id, `?until=${before}`)).toEqual([]);
    expect(await deliveries(ownerToken, created.id, `?since=${before}&until=${future}`)).toHaveLength(2);
  });

  it('disables an endpoint that answers 410 at once, tells the account, and audits it', async () => {
    const { ownerToken } = await createAccount(t);
    const gone = await receiver(() => ({ status: 410 }));
    const watcher = await receiver();
    const goneEndpoint = await endpoint(ownerToken, gone.url, ['room.created']);
    const watcherEndpoint = await endpoint(ownerToken, watcher.url, ['webhook.*']);
    await publish(ownerToken, 'room.created', { roomId: 'r4' });
    const [notice] = await watcher.waitFor(1);
    expect(verify(watcherEndpoint.secret, notice)).toMatchObject({
      event: 'webhook.endpoint.disabled',
      data: { endpointId: goneEndpoint.id, url: gone.url, reason: 'gone' },
    });
    expect(gone.requests).toHaveLength(1);
    const fetched = await t.http.get(`/v1/webhooks/${goneEndpoint.id}`).set(bearer(ownerToken));
    expect(fetched.body).toMatchObject({ enabled: false, disabledReason: 'gone' });
    const [delivery] = await deliveries(ownerToken, goneEndpoint.id);
    expect(delivery).toMatchObject({ status: 'failed', responseStatus: 410 });
    const audit = await t.http.get('/v1/audit-log?action=webhook_endpoint.disabled').set(bearer(ownerToken));
    expect(audit.body.data).toEqual([
      expect.objectContaining({ actorType: 'system', targetId: goneEndpoint.id, details: expect.objectContaining({ reason: 'gone' }) }),
    ]);
    const events = await t.http.get('/v1/events?event=webhook.endpoint.disabled').set(bearer(ownerToken));
    expect(events.body.data).toHaveLength(1);
    const retry = await t.http.post(`/v1/webhooks/${goneEndpoint.id}/deliveries/${delivery.id}/retry`).set(bearer(ownerToken));
    expect(retry.status).toBe(409);
  });

  it('signs with both secrets during a rotation overlap; the secret is stored encrypted', async () => {
    const { ownerToken } = await createAccount(t);
    const hooks = await receiver();
    const own = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    const created = await endpoint(ownerToken, hooks.url, ['room.created'], { secret: own });
    expect(created.secret).toBe(own);
    const stored = await t.app.get(EntityManager).fork().execute<{ secret: string }[]>(`select secret from webhook_endpoints where id = ?`, [created.id]);
    expect(stored[0].secret).not.toContain(own.slice(6, 20));

    const rotated = await t.http.post(`/v1/webhooks/${created.id}/rotate-secret`).set(bearer(ownerToken)).send({});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(own);
    expect(new Date(rotated.body.previousSecretExpiresAt).getTime() - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const read = await t.http.get(`/v1/webhooks/${created.id}/secret`).set(bearer(ownerToken));
    expect(read.body.secret).toBe(rotated.body.secret);

    await publish(ownerToken, 'room.created', { roomId: 'r5' });
    const [request] = await hooks.waitFor(1);
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(own, request)).toMatchObject({ event: 'room.created' });
    expect(verify(rotated.body.secret, request)).toMatchObject({ event: 'room.created' });
  });

  it('sends a test payload now and answers with the attempt', async () => {
    const { ownerToken } = await createAccount(t);
    const hooks = await receiver(() => ({ status: 202, body: 'queued' }));
    const created = await endpoint(ownerToken, hooks.url, ['payment.completed'], { enabled: false });
    const sent = await t.http.post(`/v1/webhooks/${created.id}/test`).set(bearer(ownerToken)).send({});
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ succeeded: true, responseStatus: 202, responseBody: 'queued', error: null });
    expect(hooks.requests).toHaveLength(1);
    expect(verify(created.secret, hooks.requests[0])).toMatchObject({ id: sent.body.eventId, event: 'payment.completed', data: { currency: 'USD' } });
    const other = await t.http.post(`/v1/webhooks/${created.id}/test`).set(bearer(ownerToken)).send({ event: 'nothing.here' });
    expect(other.status).toBe(400);
    await eventually(
      () =>
        t.http
          .get('/v1/events')
          .set(bearer(ownerToken))
          .then((r) => r.body.data),
      (rows: unknown[]) => rows.length === 0,
      10_000,
    );
  });

  it('does not deliver twice when an event is published again with the same Idempotency-Key', async () => {
    const { ownerToken } = await createAccount(t);
    const hooks = await receiver();
    await endpoint(ownerToken, hooks.url, ['room.created']);
    const body = { event: 'room.created', data: { roomId: 'once' } };
    const first = await t.http.post('/v1/events').set(bearer(ownerToken)).set('Idempotency-Key', 'room-once').send(body);
    const second = await t.http.post('/v1/events').set(bearer(ownerToken)).set('Idempotency-Key', 'room-once').send(body);
    expect(second.body.id).toBe(first.body.id);
    await hooks.waitFor(1);
    await sleep(400);
    expect(hooks.requests).toHaveLength(1);
  });

  it('delivers events other modules publish inside their own transaction, right after it commits', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const hooks = await receiver();
    await endpoint(ownerToken, hooks.url, ['integration.*']);
    const events = t.app.get(EventsService);
    const em = t.app.get(EntityManager).fork();
    const startedAt = Date.now();
    await em.transactional(async (tx) => {
      await events.publish(tx, {
        accountId,
        livemode: true,
        type: 'integration.sync.failed',
        data: { integrationId: accountId, provider: 'hubspot', error: { message: 'x' } },
      });
    });
    await events.publishNow({ accountId, livemode: true, type: 'integration.connected', data: { integrationId: accountId, provider: 'hubspot' } });
    const requests = await hooks.waitFor(2, 5000);
    expect(Date.now() - startedAt).toBeLessThan(t.config.reconcileIntervalMs);
    expect(requests.map((request) => JSON.parse(request.body).event).sort()).toEqual(['integration.connected', 'integration.sync.failed']);
  });

  it('validates endpoints: https, known event types and filters', async () => {
    const { ownerToken } = await createAccount(t);
    const bad = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: 'not a url', events: ['room', 'nope.never'] });
    expect(bad.status).toBe(400);
    const unknown = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: 'https://93.184.215.14/x', events: ['nope.never'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'events', message: expect.stringContaining('nope.never') }]);
    const ftp = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: 'ftp://93.184.215.14/x', events: ['*'] });
    expect(ftp.status).toBe(400);
    expect(ftp.body.errors[0].path).toBe('url');
  });

  it('updates, lists and deletes endpoints; another account or mode gets 404', async () => {
    const { ownerToken } = await createAccount(t);
    const hooks = await receiver();
    const created = await endpoint(ownerToken, hooks.url, ['room.created']);
    const patched = await t.http
      .patch(`/v1/webhooks/${created.id}`)
      .set(bearer(ownerToken))
      .send({ events: ['session.*'], description: 'x', enabled: false });
    expect(patched.body).toMatchObject({ events: ['session.*'], description: 'x', enabled: false, disabledReason: 'manual' });
    const enabled = await t.http.patch(`/v1/webhooks/${created.id}`).set(bearer(ownerToken)).send({ enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
    const list = await t.http.get('/v1/webhooks').set(bearer(ownerToken));
    expect(list.body).toEqual({ data: [expect.objectContaining({ id: created.id })], nextCursor: null });
    expect(list.body.data[0].secret).toBeUndefined();

    const other = await createAccount(t);
    for (const path of [`/v1/webhooks/${created.id}`, `/v1/webhooks/${created.id}/secret`, `/v1/webhooks/${created.id}/deliveries`]) {
      expect((await t.http.get(path).set(bearer(other.ownerToken))).status).toBe(404);
    }
    expect((await t.http.get(`/v1/webhooks/${created.id}`).set(bearer(ownerToken)).set('Plugboard-Mode', 'test')).status).toBe(404);
    expect((await t.http.delete(`/v1/webhooks/${created.id}`).set(bearer(other.ownerToken))).status).toBe(404);
    expect((await t.http.delete(`/v1/webhooks/${created.id}`).set(bearer(ownerToken))).status).toBe(204);
    expect((await t.http.get(`/v1/webhooks/${created.id}`).set(bearer(ownerToken))).status).toBe(404);
  });

  it('needs webhooks.view to read and webhooks.manage to change or read the secret', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const hooks = await receiver();
    const created = await endpoint(ownerToken, hooks.url, ['room.created']);
    const host = await addMember(t, accountId, ownerToken, 'host');
    expect((await t.http.get('/v1/webhooks').set(bearer(host))).status).toBe(403);
    const role = await t.http
      .post('/v1/roles')
      .set(bearer(ownerToken))
      .send({ key: 'hook_viewer', name: 'Hook viewer', permissions: ['webhooks.view'] });
    expect(role.status).toBe(201);
    const viewer = await addMember(t, accountId, ownerToken, 'hook_viewer');
    expect((await t.http.get(`/v1/webhooks/${created.id}/deliveries`).set(bearer(viewer))).status).toBe(200);
    expect((await t.http.get(`/v1/webhooks/${created.id}/secret`).set(bearer(viewer))).status).toBe(403);
    expect(
      (
        await t.http
          .post('/v1/webhooks')
          .set(bearer(viewer))
          .send({ url: hooks.url, events: ['*'] })
      ).status,
    ).toBe(403);
    const developer = await addMember(t, accountId, ownerToken, 'developer');
    expect(
      (
        await t.http
          .post('/v1/webhooks')
          .set(bearer(developer))
          .send({ url: hooks.url, events: ['*'] })
      ).status,
    ).toBe(201);
  });

  it('needs a plan with webhooks; a downgrade disables endpoints and an upgrade restores exactly those', async () => {
    const admin = await t.token({ sub: 'operator', admin: true });
    const basic = await createAccount(t, 'basic');
    const refused = await t.http
      .post('/v1/webhooks')
      .set(bearer(basic.ownerToken))
      .send({ url: 'https://93.184.215.14/x', events: ['*'] });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ code: 'plan_limit', plan: 'basic', feature: 'webhooks' });

    const { accountId, ownerToken } = await createAccount(t);
    const hooks = await receiver();
    const active = await endpoint(ownerToken, hooks.url, ['room.created']);
    const manual = await endpoint(ownerToken, hooks.url, ['room.created'], { enabled: false });
    await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'basic' }).expect(200);
    const downgraded = (await t.http.get('/v1/webhooks').set(bearer(ownerToken))).body.data as { id: string }[];
    expect(downgraded.find((row) => row.id === active.id)).toMatchObject({ enabled: false, disabledReason: 'plan' });
    expect(downgraded.find((row) => row.id === manual.id)).toMatchObject({ enabled: false, disabledReason: 'manual' });
    const enabling = await t.http.patch(`/v1/webhooks/${active.id}`).set(bearer(ownerToken)).send({ enabled: true });
    expect(enabling.status).toBe(402);
    await publish(ownerToken, 'room.created', { roomId: 'while-basic' });

    await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'business' }).expect(200);
    const upgraded = (await t.http.get('/v1/webhooks').set(bearer(ownerToken))).body.data as { id: string }[];
    expect(upgraded.find((row) => row.id === active.id)).toMatchObject({ enabled: true, disabledReason: null });
    expect(upgraded.find((row) => row.id === manual.id)).toMatchObject({ enabled: false, disabledReason: 'manual' });
    await publish(ownerToken, 'room.created', { roomId: 'after-upgrade' });
    const [request] = await hooks.waitFor(1);
    expect(JSON.parse(request.body).data.roomId).toBe('after-upgrade');
  });
});

describe('webhooks: automatic disabling after continuous failure, and log retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX}disable`,
      ALLOW_INSECURE_WEBHOOKS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '250ms,250ms,250ms,250ms,250ms,250ms,250ms,250ms',
      WEBHOOK_DISABLE_AFTER: '1s',
      WEBHOOK_LOG_RETENTION: '3s',
      WEBHOOK_CLEANUP_INTERVAL: '500ms',
      RECONCILE_INTERVAL_MS: '500',
    });
  });
  afterAll(() => t.close());

  it('disables an endpoint failing for WEBHOOK_DISABLE_AFTER, with an event and an audit entry; old logs are deleted', async () => {
    const { ownerToken } = await createAccount(t);
    const failing = await receiver(() => ({ status: 500 }));
    const watcher = await receiver();
    const created = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: failing.url, events: ['room.created'] });
    await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: watcher.url, events: ['webhook.endpoint.disabled'] });
    await t.http
      .post('/v1/events')
      .set(bearer(ownerToken))
      .send({ event: 'room.created', data: { roomId: 'r' } })
      .expect(202);

    const [notice] = await watcher.waitFor(1, 10_000);
    expect(JSON.parse(notice.body).data).toMatchObject({ endpointId: created.body.id, reason: 'failing', failingSince: expect.any(String) });
    const first = failing.requests[0].receivedAt;
    expect(failing.requests.at(-1)!.receivedAt - first).toBeGreaterThanOrEqual(1000);
    expect(failing.requests.length).toBeLessThan(9);
    const fetched = await t.http.get(`/v1/webhooks/${created.body.id}`).set(bearer(ownerToken));
    expect(fetched.body).toMatchObject({ enabled: false, disabledReason: 'failing' });
    const audit = await t.http.get('/v1/audit-log?action=webhook_endpoint.disabled').set(bearer(ownerToken));
    expect(audit.body.data[0]).toMatchObject({ targetId: created.body.id, details: expect.objectContaining({ reason: 'failing' }) });
    const [delivery] = (await t.http.get(`/v1/webhooks/${created.body.id}/deliveries`).set(bearer(ownerToken))).body.data;
    expect(delivery.status).toBe('failed');

    await eventually(
      () =>
        t.http
          .get(`/v1/webhooks/${created.body.id}/deliveries`)
          .set(bearer(ownerToken))
          .then((r) => r.body.data),
      (rows: unknown[]) => rows.length === 0,
      10_000,
    );
    await eventually(
      () =>
        t.http
          .get('/v1/events')
          .set(bearer(ownerToken))
          .then((r) => r.body.data),
      (rows: unknown[]) => rows.length === 0,
      10_000,
    );
  });
});

describe('webhooks: a slow endpoint does not hold up the others', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX}slow`,
      ALLOW_INSECURE_WEBHOOKS: 'true',
      WEBHOOK_CONCURRENCY: '1',
      WEBHOOK_TIMEOUT_MS: '3000',
      WEBHOOK_RETRY_SCHEDULE: '10s',
    });
  });
  afterAll(() => t.close());

  it('delivers to and logs a fast endpoint while another one takes until its timeout', async () => {
    const { ownerToken } = await createAccount(t);
    const slow = await receiver(() => sleep(5000).then(() => ({ status: 200 })));
    const fast = await receiver();
    await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: slow.url, events: ['room.created'] })
      .expect(201);
    const fastEndpoint = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: fast.url, events: ['room.created'] });
    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      await t.http
        .post('/v1/events')
        .set(bearer(ownerToken))
        .send({ event: 'room.created', data: { roomId: `r${i}` } })
        .expect(202);
      await sleep(30);
    }
    await fast.waitFor(6, 10_000);
    expect(Date.now() - started).toBeLessThan(2500);
    const logged = await eventually(
      () =>
        t.http
          .get(`/v1/webhooks/${fastEndpoint.body.id}/deliveries?status=succeeded`)
          .set(bearer(ownerToken))
          .then((r) => r.body.data as unknown[]),
      (rows) => rows.length === 6,
    );
    expect(Date.now() - started).toBeLessThan(2900);
    expect(logged).toHaveLength(6);
  });
});

describe('webhooks: SSRF protection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX}ssrf`, ALLOW_PRIVATE_NETWORK: 'false' });
  });
  afterAll(() => t.close());

  it('refuses http, private, loopback, link-local, metadata and IPv6 transition URLs, and names resolving to them', async () => {
    const { hostname } = await import('node:os');
    const { lookup } = await import('node:dns/promises');
    const localName = hostname();
    expect((await lookup(localName)).address).toMatch(/^127\./);
    const { ownerToken } = await createAccount(t);
    for (const url of [
      'http://93.184.215.14/hooks',
      'https://10.1.2.3/hooks',
      'https://192.168.0.10/hooks',
      'https://127.0.0.1/hooks',
      'https://[::1]/hooks',
      'https://169.254.169.254/latest/meta-data',
      // IPv6 transition and deprecated forms that embed or reach internal addresses
      'https://[::127.0.0.1]/hooks',
      'https://[::ffff:127.0.0.1]/hooks',
      'https://[::ffff:0:0:7f00:1]/hooks',
      'https://[64:ff9b::7f00:1]/hooks',
      'https://[64:ff9b:1::7f00:1]/hooks',
      'https://[2002:7f00:1::]/hooks',
      'https://[2001::1]/hooks',
      'https://[fec0::1]/hooks',
      'https://[::a9fe:a9fe]/hooks',
      'https://metadata.google.internal/computeMetadata',
      'https://localhost/hooks',
      `https://${localName}/hooks`,
    ]) {
      const response = await t.http
        .post('/v1/webhooks')
        .set(bearer(ownerToken))
        .send({ url, events: ['*'] });
      expect({ url, status: response.status, path: response.body.errors?.[0]?.path }).toEqual({ url, status: 400, path: 'url' });
    }
  });

  it('checks the address again at every connect, so a name that later resolves to loopback gets nothing', async () => {
    const { hostname } = await import('node:os');
    const { ownerToken } = await createAccount(t);
    const hooks = await receiver();
    const created = await t.http
      .post('/v1/webhooks')
      .set(bearer(ownerToken))
      .send({ url: 'https://93.184.215.14/hooks', events: ['room.created'] });
    expect(created.status).toBe(201);
    // The name now resolves somewhere forbidden, as after a DNS change (rebinding).
    const port = new URL(hooks.url).port;
    await t.app
      .get(EntityManager)
      .fork()
      .execute(`update webhook_endpoints set url = ? where id = ?`, [`https://${hostname()}:${port}/hooks`, created.body.id]);
    const sent = await t.http.post(`/v1/webhooks/${created.body.id}/test`).set(bearer(ownerToken)).send({});
    expect(sent.body).toMatchObject({ succeeded: false, responseStatus: null, error: expect.stringMatching(/private or reserved/) });
    expect(hooks.requests).toHaveLength(0);
  });
});
