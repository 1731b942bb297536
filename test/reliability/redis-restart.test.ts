import { startTestApp, TestApp } from '../support/test-app.js';
import { OwnRedis, startOwnRedis } from './support/servers.js';
import { webhookScenario } from './support/webhook-load.js';

/**
 * Redis killed, flushed and started empty while events are published: Bull loses every queued job, but
 * PostgreSQL holds the deliveries and the reconciler enqueues them again — every event still arrives.
 */
describe('Redis restarted and flushed while webhooks are being delivered', () => {
  let redis: OwnRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startOwnRedis();
    t = await startTestApp({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `pbrel${Date.now()}`,
      ALLOW_INSECURE_WEBHOOKS: 'true',
      RECONCILE_INTERVAL_MS: '300',
      WEBHOOK_RETRY_SCHEDULE: '300ms,1s,2s,3s,5s,10s,20s',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.destroy();
  });

  it('delivers every acknowledged event once Redis is back', async () => {
    // The receiver fails until Redis is back: every delivery published before the flush is waiting in
    // Bull as a delayed retry when Redis loses it.
    let receiverUp = false;
    const scenario = await webhookScenario(t, () => (receiverUp ? { status: 200 } : { status: 500 }));
    try {
      let index = 0;
      for (; index < 20; index++) await scenario.publish(index);
      await scenario.receiver.waitFor(20);
      await redis.flush();
      await redis.stop();
      const whileDown = Date.now();
      for (; index < 23; index++) await scenario.publish(index);
      const publishDuringOutageMs = Date.now() - whileDown;
      await redis.start();
      receiverUp = true;
      for (; index < 40; index++) await scenario.publish(index);
      const recoveredAt = Date.now();
      await scenario.waitForAll(30_000);
      console.log(
        `redis restart: ${scenario.published.length} events, ${scenario.receiver.requests.length} requests received, ` +
          `3 publishes while Redis was down took ${publishDuringOutageMs} ms, all delivered ${Date.now() - recoveredAt} ms after the last publish`,
      );
      expect(scenario.delivered().size).toBe(40);
      expect((await t.http.get('/health/ready')).status).toBe(200);
    } finally {
      await scenario.receiver.close();
    }
  });
});
