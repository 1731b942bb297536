import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { MetricsService } from '../../src/core/metrics/metrics.service.js';
import { QUEUES } from '../../src/core/queue/queues.js';
import { WebhookReceiver } from '../fixtures/webhook-receiver.js';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

/** The value of one sample in a Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ALLOW_INSECURE_WEBHOOKS: 'true', WEBHOOK_RETRY_SCHEDULE: '100ms,100ms', WEBHOOK_TIMEOUT_MS: '300' });
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const response = await t.http.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    return response.text;
  };

  it('times HTTP requests by route template and status, never by raw path', async () => {
    const { accountId } = await createAccount(t);
    const admin = await t.token({ sub: 'operator', admin: true });
    await t.http.get(`/v1/accounts/${accountId}`).set('Authorization', `Bearer ${admin}`).expect(200);
    await t.http.get(`/v1/accounts/${accountId}`).expect(401);
    // A segment no metric value can contain by chance (digits could: a memory size held "12345").
    await t.http.get('/no/such/route/raw-segment').expect(404);
    const text = await scrape();
    expect(sample(text, 'plugboard_http_request_duration_seconds_count', { method: 'GET', route: '/v1/accounts/:id', status: '200' })).toBe(1);
    expect(sample(text, 'plugboard_http_request_duration_seconds_count', { method: 'GET', route: '/v1/accounts/:id', status: '401' })).toBe(1);
    expect(sample(text, 'plugboard_http_request_duration_seconds_count', { method: 'POST', route: '/v1/accounts', status: '201' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'plugboard_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(accountId);
    expect(text).not.toContain('raw-segment');
    expect(text).toContain('plugboard_process_cpu_user_seconds_total');
  });

  it('reports queue depths by state and job durations by queue and outcome', async () => {
    const queue = t.app.get<Queue>(getQueueToken(QUEUES.maintenance), { strict: false });
    const name = `metrics-${Date.now()}`;
    void queue.process(name, 2, async (job) => {
      if (job.data.fail) throw new Error('planned failure');
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    const finished = (job: { finished(): Promise<unknown> }) => job.finished().catch(() => undefined);
    await finished(await queue.add(name, { fail: false }));
    await finished(await queue.add(name, { fail: true }, { attempts: 1 }));
    const delayed = await queue.add(name, { fail: false }, { delay: 60_000 });
    try {
      const text = await scrape();
      expect(sample(text, 'plugboard_queue_job_duration_seconds_count', { queue: QUEUES.maintenance, outcome: 'completed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'plugboard_queue_job_duration_seconds_count', { queue: QUEUES.maintenance, outcome: 'failed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'plugboard_queue_job_duration_seconds_sum', { queue: QUEUES.maintenance, outcome: 'completed' })).toBeGreaterThan(0.01);
      expect(sample(text, 'plugboard_queue_jobs', { queue: QUEUES.maintenance, state: 'delayed' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'plugboard_queue_jobs', { queue: QUEUES.maintenance, state: 'waiting' })).toBeDefined();
    } finally {
      await delayed.remove();
    }
  });

  it('counts webhook delivery attempts by outcome', async () => {
    const { ownerToken } = await createAccount(t);
    const replies = [
      () => new Promise<{ status: number }>((resolve) => setTimeout(() => resolve({ status: 200 }), 1000)),
      () => ({ status: 500 }),
      () => ({ status: 200 }),
    ];
    const hooks = await WebhookReceiver.start((_request, index) => replies[Math.min(index, 2)]());
    try {
      const endpoint = await t.http
        .post('/v1/webhooks')
        .set('Authorization', `Bearer ${ownerToken}`)
        .send({ url: hooks.url, events: ['room.created'] });
      expect(endpoint.status).toBe(201);
      // Counted from here: other suites' deliveries left due in the run's database may be attempted (and fail) meanwhile.
      const before = await scrape();
      const counted = (text: string, outcome: string) =>
        (sample(text, 'plugboard_webhook_deliveries_total', { outcome }) ?? 0) - (sample(before, 'plugboard_webhook_deliveries_total', { outcome }) ?? 0);
      await t.http
        .post('/v1/events')
        .set('Authorization', `Bearer ${ownerToken}`)
        .send({ event: 'room.created', data: { roomId: 'r' } })
        .expect(202);
      await hooks.waitFor(3);
      let text = await scrape();
      for (let tries = 0; tries < 40 && counted(text, 'succeeded') === 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        text = await scrape();
      }
      expect(counted(text, 'timed_out')).toBe(1);
      expect(counted(text, 'failed')).toBeGreaterThanOrEqual(1);
      expect(counted(text, 'succeeded')).toBe(1);
      // This endpoint's own log is exact: three attempts, the last one through (recorded a moment after it is counted).
      const logged = async () =>
        (await t.http.get(`/v1/webhooks/${endpoint.body.id}/deliveries`).set('Authorization', `Bearer ${ownerToken}`)).body.data as Array<{ status: string }>;
      let deliveries = await logged();
      for (let tries = 0; tries < 40 && deliveries[0]?.status === 'pending'; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        deliveries = await logged();
      }
      expect(deliveries).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 3 })]);
    } finally {
      await hooks.close();
    }
  });

  it('exposes the counters other modules increment', async () => {
    const metrics = t.app.get(MetricsService);
    metrics.tokenRefresh('google-calendar', 'revoked');
    metrics.pluginCall('@acme/plugboard-crm', 'timed_out', 30);
    const text = await scrape();
    expect(sample(text, 'plugboard_token_refreshes_total', { provider: 'google-calendar', outcome: 'revoked' })).toBe(1);
    expect(sample(text, 'plugboard_plugin_calls_total', { plugin: '@acme/plugboard-crm', outcome: 'timed_out' })).toBe(1);
    expect(sample(text, 'plugboard_plugin_call_duration_seconds_sum', { plugin: '@acme/plugboard-crm', outcome: 'timed_out' })).toBe(30);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: 'scrape-secret-0123456789' });
  });
  afterAll(() => t.close());

  it('answers only a scraper presenting the token', async () => {
    const missing = await t.http.get('/metrics');
    expect(missing.status).toBe(401);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect((await t.http.get('/metrics').set('Authorization', 'Bearer wrong-secret-0123456789')).status).toBe(401);
    const admin = await t.token({ sub: 'operator', admin: true });
    expect((await t.http.get('/metrics').set('Authorization', `Bearer ${admin}`)).status).toBe(401);
    const allowed = await t.http.get('/metrics').set('Authorization', 'Bearer scrape-secret-0123456789');
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('plugboard_http_request_duration_seconds');
  });
});
