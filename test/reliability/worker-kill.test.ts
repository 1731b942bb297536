import { ChildProcess, spawn } from 'node:child_process';
import { MikroORM } from '@mikro-orm/postgresql';
import { startTestApp, TEST_ENCRYPTION_KEYS, TEST_JWT_SECRET, TestApp } from '../support/test-app.js';
import { freePort, OwnRedis, startOwnRedis, waitUntil } from './support/servers.js';
import { webhookScenario } from './support/webhook-load.js';

/**
 * A worker process (the built `plugboard serve` with PLUGBOARD_ROLE=worker) SIGKILLed while it holds a
 * batch of deliveries in flight: its leases run out, the reconciler hands them to the next worker, and
 * every event arrives; none twice but those in flight at the kill.
 */
describe('a worker SIGKILLed mid-batch', () => {
  let redis: OwnRedis;
  let api: TestApp;
  const workers: ChildProcess[] = [];
  const env = (port: number) => ({
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    PLUGBOARD_ROLE: 'worker',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    ALLOW_PRIVATE_NETWORK: 'true',
    ALLOW_INSECURE_WEBHOOKS: 'true',
    MIGRATE_ON_START: 'false',
    RECONCILE_INTERVAL_MS: '300',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_RETRY_SCHEDULE: '300ms,1s,2s,5s,10s',
    LOG_LEVEL: 'warn',
  });
  const prefix = `pbkill${Date.now()}`;

  async function startWorker(): Promise<ChildProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/src/main.js', 'serve'], { env: env(port), stdio: ['ignore', 'ignore', 'inherit'] });
    workers.push(child);
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
        return fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
      'the worker to be ready',
    );
    return child;
  }

  beforeAll(async () => {
    redis = await startOwnRedis();
    api = await startTestApp({ PLUGBOARD_ROLE: 'api', REDIS_URL: redis.url, QUEUE_PREFIX: prefix, ALLOW_INSECURE_WEBHOOKS: 'true' });
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await api?.close();
    await redis?.destroy();
  });

  it('loses no delivery: the next worker sends what the killed one held', async () => {
    const first = await startWorker();
    // Each answer takes 800 ms, so the worker holds a batch of requests in flight when it is killed.
    const scenario = await webhookScenario(api, () => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 800)));
    try {
      await Promise.all(Array.from({ length: 60 }, (_, index) => scenario.publish(index)));
      await scenario.receiver.waitFor(1, 20_000);
      const deliveredBeforeKill = scenario.delivered().size;
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      expect(first.signalCode).toBe('SIGKILL');
      // In flight at the kill: deliveries the receiver had got whose success the killed worker never recorded.
      const received = [...scenario.delivered()];
      const [{ count }] = await api.app
        .get(MikroORM)
        .em.getConnection()
        .execute<Array<{ count: string }>>(`select count(*) as count from webhook_deliveries where event_id in (?) and status <> 'succeeded'`, [received]);
      const inFlight = Number(count);
      const restartedAt = Date.now();
      await startWorker();
      await scenario.waitForAll(45_000);
      const duplicates = scenario.receiver.requests.length - 60;
      console.log(
        `worker kill: ${deliveredBeforeKill} of 60 events had reached the receiver when the worker was killed; all 60 arrived ` +
          `${Date.now() - restartedAt} ms after a new worker started; ${duplicates} arrived twice, of ${inFlight} in flight at the kill`,
      );
      expect(scenario.delivered().size).toBe(60);
      expect(deliveredBeforeKill).toBeLessThan(60);
      expect(duplicates).toBeLessThanOrEqual(inFlight);
    } finally {
      await scenario.receiver.close();
    }
  });
});
