import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { EntityManager } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import { WebhookReceiver } from '../fixtures/webhook-receiver.js';
import { createAccount, startTestApp, TEST_ENCRYPTION_KEYS, TEST_JWT_SECRET, TestApp } from '../support/test-app.js';

const PREFIX = `${process.env.TEST_QUEUE_PREFIX}noloss`;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A real worker process (PLUGBOARD_ROLE=worker) running the sources, started and killed by the test. */
async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', './test/support/swc-loader.mjs', 'src/main.ts', 'serve'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PLUGBOARD_ROLE: 'worker',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      MIGRATE_ON_START: 'false',
      REDIS_URL,
      QUEUE_PREFIX: PREFIX,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      ALLOW_PRIVATE_NETWORK: 'true',
      ALLOW_INSECURE_WEBHOOKS: 'true',
      RECONCILE_INTERVAL_MS: '500',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** What FLUSHALL does to this installation, without touching other runs sharing the Redis: drop every key of our prefix. */
async function flushQueuePrefix(redis: Redis): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: `${PREFIX}:*`, count: 500 })) {
    if ((keys as string[]).length > 0) deleted += await redis.del(...(keys as string[]));
  }
  return deleted;
}

describe('webhooks: nothing is lost when the worker is killed and Redis is flushed', () => {
  let t: TestApp;
  let redis: Redis;
  const workers: ChildProcess[] = [];
  let hooks: WebhookReceiver;
  beforeAll(async () => {
    t = await startTestApp({ PLUGBOARD_ROLE: 'api', QUEUE_PREFIX: PREFIX, ALLOW_INSECURE_WEBHOOKS: 'true' });
    redis = new Redis(REDIS_URL);
    hooks = await WebhookReceiver.start(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { status: 200 };
    });
  });
  afterAll(async () => {
    await Promise.all(workers.map(kill));
    await flushQueuePrefix(redis);
    redis.disconnect();
    await hooks.close();
    await t.close();
  });

  it('delivers every event at least once after a SIGKILLed worker and a flushed Redis', async () => {
    const { ownerToken } = await createAccount(t);
    const created = await t.http
      .post('/v1/webhooks')
      .set('Authorization', `Bearer ${ownerToken}`)
      .send({ url: hooks.url, events: ['room.created'] });
    expect(created.status).toBe(201);
    const published: string[] = [];
    const publish = async (count: number, from: number) => {
      for (let batch = 0; batch < count; batch += 20) {
        const responses = await Promise.all(
          Array.from({ length: Math.min(20, count - batch) }, (_, i) =>
            t.http
              .post('/v1/events')
              .set('Authorization', `Bearer ${ownerToken}`)
              .send({ event: 'room.created', data: { roomId: `room_${from + batch + i}` } }),
          ),
        );
        for (const response of responses) {
          expect(response.status).toBe(202);
          published.push(response.body.id);
        }
      }
    };

    workers.push(await startWorker());
    const publishing = publish(60, 0);
    await hooks.waitFor(15, 20_000);
    await kill(workers[0]);
    await flushQueuePrefix(redis);
    await publishing;
    // What is published while no worker runs is enqueued, then flushed too.
    await publish(40, 60);
    const delivered = new Set(hooks.requests.map((request) => request.headers['webhook-id']));
    expect(delivered.size).toBeLessThan(100);
    expect(await flushQueuePrefix(redis)).toBeGreaterThan(0);

    workers.push(await startWorker());
    const deadline = Date.now() + 40_000;
    const received = () => new Set(hooks.requests.map((request) => request.headers['webhook-id'] as string));
    while (received().size < published.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(published.filter((id) => !received().has(id))).toEqual([]);
    const statuses = () =>
      t.app
        .get(EntityManager)
        .fork()
        .execute<{ status: string; n: string }[]>(`select status, count(*) as n from webhook_deliveries where endpoint_id = ? group by status`, [
          created.body.id,
        ]);
    // The last outcomes are committed just after the receiver answers.
    while ((await statuses()).length > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await statuses()).toEqual([{ status: 'succeeded', n: '100' }]);
  }, 60_000);
});
