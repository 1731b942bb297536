// Webhook pipeline end to end against the built app: events published over HTTP (POST /v1/events),
// fanned out to FANOUT endpoints, signed, delivered to a local receiver that verifies every signature
// with the standardwebhooks library, and logged in PostgreSQL. Two phases:
// Events are published with a live API key (as the host platform's servers would).
//   latency:    LATENCY_RATE deliveries/s for LATENCY_SECONDS — publish-to-receive percentiles
//   throughput: THROUGHPUT_RATE deliveries/s offered for THROUGHPUT_SECONDS — delivered/s sustained
//   worker drain: the worker is paused while DRAIN_EVENTS events are published, then resumed —
//               the delivery side's own capacity, apart from the API's
// then checks that nothing was lost (every event reached every endpoint, and every delivery is logged
// as succeeded).
//
// The app runs as API_PROCESSES API processes and WORKER_PROCESSES worker processes side by side
// (PLUGBOARD_ROLE=api / worker, as in production; the publishers take the API processes in turn);
// SPLIT=false runs a single `all` process instead.
//
// Env: DATABASE_URL (server to create a scratch database on; default local), REDIS_URL, FANOUT (1
// endpoint per event), LATENCY_RATE (500), LATENCY_SECONDS (20), THROUGHPUT_RATE (2000: above the 1,500/s target, so the figure shows whether it is met),
// THROUGHPUT_SECONDS (60), DRAIN_EVENTS (1500), SPLIT (true), API_PROCESSES (1), WORKER_PROCESSES (1).
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';

const FANOUT = Number(process.env.FANOUT ?? 1);
const SPLIT = process.env.SPLIT !== 'false';
const API_PROCESSES = SPLIT ? Number(process.env.API_PROCESSES ?? 1) : 1;
const WORKER_PROCESSES = SPLIT ? Number(process.env.WORKER_PROCESSES ?? 1) : 0;
const DRAIN_EVENTS = Number(process.env.DRAIN_EVENTS ?? 1500);
const LATENCY_RATE = Number(process.env.LATENCY_RATE ?? 500);
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 20);
const THROUGHPUT_RATE = Number(process.env.THROUGHPUT_RATE ?? 2000);
const THROUGHPUT_SECONDS = Number(process.env.THROUGHPUT_SECONDS ?? 60);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
const PREFIX = `pbbenchwh${Date.now()}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---- receiver -------------------------------------------------------------------------------
const received = new Map(); // "eventId endpointPath" -> count
let receivedTotal = 0;
let badSignatures = 0;
let latencies = [];
let verifier;
const receiver = createHttpServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const now = Date.now();
    try {
      const payload = verifier.verify(body, req.headers);
      latencies.push(now - payload.data.sentAt);
      const key = `${payload.id} ${req.url}`;
      received.set(key, (received.get(key) ?? 0) + 1);
      receivedTotal++;
      res.writeHead(200).end();
    } catch {
      badSignatures++;
      res.writeHead(400).end();
    }
  });
});
receiver.keepAliveTimeout = 60_000;

// ---- setup ----------------------------------------------------------------------------------
const adminUrl = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres');
const dbName = `plugboard_bench_webhooks_${Date.now()}`;
const admin = new pg.Client({ connectionString: adminUrl.toString() });
await admin.connect();
await admin.query(`create database "${dbName}"`);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;

await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverBase = `http://127.0.0.1:${receiver.address().port}`;
const apiBases = [];
for (let i = 0; i < API_PROCESSES; i++) apiBases.push(`http://127.0.0.1:${await freePort()}`);
const base = apiBases[0];
const secret = 'whsec_' + Buffer.alloc(32, 3).toString('base64');
verifier = new Webhook(secret);

const serverEnv = {
  ...process.env,
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  DATABASE_URL: dbUrl.toString(),
  DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '20',
  REDIS_URL,
  QUEUE_PREFIX: PREFIX,
  AUTH_JWT_SECRET: JWT_SECRET,
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 5).toString('base64')}`,
  ALLOW_PRIVATE_NETWORK: 'true',
  ALLOW_INSECURE_WEBHOOKS: 'true',
  RATE_LIMIT_PER_MINUTE: '0',
  LOG_LEVEL: 'warn',
};
const migrate = spawn(process.execPath, ['dist/src/main.js', 'migrate'], { env: serverEnv, stdio: ['ignore', 'ignore', 'inherit'] });
await new Promise((resolve) => migrate.once('exit', resolve));
const serve = (role, port) =>
  spawn(process.execPath, ['dist/src/main.js', 'serve'], {
    env: { ...serverEnv, PORT: String(port), PLUGBOARD_ROLE: role },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
const servers = await Promise.all(apiBases.map((apiBase) => serve(SPLIT ? 'api' : 'all', new URL(apiBase).port)));
const workers = [];
for (let i = 0; i < WORKER_PROCESSES; i++) workers.push(await serve('worker', await freePort()));
servers.push(...workers);
const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
const sign = (claims, sub) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(JWT_SECRET));

async function call(method, path, token, body, origin = base) {
  const response = await request(`${origin}${path}`, {
    method,
    dispatcher,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? JSON.parse(text) : null };
}

let exitCode = 0;
try {
  for (let i = 0; ; i++) {
    if (servers.some((server) => server.exitCode !== null)) throw new Error('serve exited');
    try {
      if ((await Promise.all(apiBases.map((apiBase) => fetch(`${apiBase}/health/ready`)))).every((response) => response.status === 200)) break;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  const adminToken = await sign({ instance_admin: true }, 'bench-operator');
  const account = await call('POST', '/v1/accounts', adminToken, { name: 'Bench', plan: 'business', ownerId: 'bench-owner' });
  if (account.status !== 201) throw new Error(`account: ${account.status} ${JSON.stringify(account.body)}`);
  const ownerToken = await sign({ account_id: account.body.id }, 'bench-owner');
  for (let i = 0; i < FANOUT; i++) {
    const created = await call('POST', '/v1/webhooks', ownerToken, { url: `${receiverBase}/endpoint-${i}`, events: ['room.*'], secret });
    if (created.status !== 201) throw new Error(`endpoint: ${created.status} ${JSON.stringify(created.body)}`);
  }
  // The host platform publishes from its servers with a live API key limited to events.publish.
  const key = await call('POST', '/v1/api-keys', ownerToken, { name: 'bench publisher', mode: 'live', permissions: ['events.publish'] });
  if (key.status !== 201) throw new Error(`api key: ${key.status} ${JSON.stringify(key.body)}`);
  const token = key.body.key;

  const published = [];
  let publishErrors = 0;
  let inFlight = 0;
  const publishLatencies = [];
  let publishes = 0;
  async function publishOne() {
    inFlight++;
    const started = Date.now();
    try {
      const origin = apiBases[publishes++ % apiBases.length];
      const response = await call('POST', '/v1/events', token, { event: 'room.created', data: { roomId: `r${published.length}`, sentAt: started } }, origin);
      if (response.status === 202) published.push(response.body.id);
      else publishErrors++;
      publishLatencies.push(Date.now() - started);
    } catch {
      publishErrors++;
    } finally {
      inFlight--;
    }
  }

  /** Open loop: events are offered at the rate whatever the server does (capped in flight). */
  async function offer(deliveriesPerSecond, seconds, onSecond) {
    const eventsPerSecond = deliveriesPerSecond / FANOUT;
    const started = Date.now();
    let sent = 0;
    let nextReport = started + 1000;
    const pending = new Set();
    while (Date.now() - started < seconds * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * eventsPerSecond);
      while (sent < due && inFlight < 256) {
        const p = publishOne();
        pending.add(p);
        p.finally(() => pending.delete(p));
        sent++;
      }
      if (Date.now() >= nextReport) {
        onSecond?.();
        nextReport += 1000;
      }
      await sleep(2);
    }
    await Promise.all(pending);
    return sent;
  }

  // Warm-up: connections, JIT, caches.
  await offer(200, 3);
  await sleep(1000);

  // Phase 1: latency at LATENCY_RATE.
  latencies = [];
  publishLatencies.length = 0;
  const expectedBefore = published.length * FANOUT;
  const offeredLatency = await offer(LATENCY_RATE, LATENCY_SECONDS);
  const drainDeadline = Date.now() + 30_000;
  while (receivedTotal < published.length * FANOUT && Date.now() < drainDeadline) await sleep(50);
  const sortedLatency = [...latencies].sort((a, b) => a - b);
  const sortedPublish = [...publishLatencies].sort((a, b) => a - b);
  const layout = SPLIT
    ? `${API_PROCESSES} api and ${WORKER_PROCESSES} worker process${WORKER_PROCESSES === 1 ? '' : 'es'}`
    : 'one process (PLUGBOARD_ROLE=all)';
  console.log(
    `setup: ${layout}, ${FANOUT} endpoint${FANOUT === 1 ? '' : 's'} per event, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).availableParallelism()} cores`,
  );
  console.log(
    `latency phase: ${LATENCY_RATE} deliveries/s offered (${offeredLatency} events x ${FANOUT} endpoints in ${LATENCY_SECONDS} s); ` +
      `${receivedTotal - expectedBefore} received`,
  );
  console.log(
    `  publish-to-receive ms: p50 ${percentile(sortedLatency, 50)}, p90 ${percentile(sortedLatency, 90)}, p99 ${percentile(sortedLatency, 99)}, max ${sortedLatency.at(-1)}`,
  );
  console.log(`  POST /v1/events ms: p50 ${percentile(sortedPublish, 50)}, p99 ${percentile(sortedPublish, 99)}`);

  // Phase 2: throughput.
  await sleep(1000);
  latencies = [];
  publishLatencies.length = 0;
  const perSecond = [];
  let lastCount = receivedTotal;
  const throughputStart = Date.now();
  const offered = await offer(THROUGHPUT_RATE, THROUGHPUT_SECONDS, () => {
    perSecond.push(receivedTotal - lastCount);
    lastCount = receivedTotal;
  });
  const offerEnded = Date.now();
  const backlogAtEnd = published.length * FANOUT - receivedTotal;
  const drainUntil = Date.now() + 120_000;
  while (receivedTotal < published.length * FANOUT && Date.now() < drainUntil) await sleep(100);
  const drainedAt = Date.now();
  const steady = perSecond.slice(5);
  const sortedSteady = [...steady].sort((a, b) => a - b);
  const sortedThroughputLatency = [...latencies].sort((a, b) => a - b);
  console.log(`throughput phase: ${THROUGHPUT_RATE} deliveries/s offered for ${THROUGHPUT_SECONDS} s (${offered} events, ${publishErrors} publish errors)`);
  console.log(
    `  delivered/s over the offer window: mean ${(steady.reduce((a, b) => a + b, 0) / Math.max(1, steady.length)).toFixed(0)}, ` +
      `min ${sortedSteady[0]}, median ${percentile(sortedSteady, 50)} (first 5 s excluded)`,
  );
  console.log(
    `  backlog when the offer stopped: ${backlogAtEnd} deliveries; drained ${((drainedAt - offerEnded) / 1000).toFixed(1)} s later; ` +
      `overall ${((receivedTotal - expectedBefore - offeredLatency * FANOUT) / ((drainedAt - throughputStart) / 1000)).toFixed(0)} deliveries/s`,
  );
  console.log(
    `  publish-to-receive ms: p50 ${percentile(sortedThroughputLatency, 50)}, p99 ${percentile(sortedThroughputLatency, 99)}; ` +
      `POST /v1/events p99 ${percentile(
        [...publishLatencies].sort((a, b) => a - b),
        99,
      )} ms`,
  );

  // Phase 3: the delivery side alone. The workers are stopped (SIGSTOP) while a backlog is published,
  // then resumed; how fast it drains is what the worker processes can fan out, sign, send and log.
  if (SPLIT && DRAIN_EVENTS > 0) {
    await sleep(1000);
    for (const worker of workers) worker.kill('SIGSTOP');
    const backlogFrom = receivedTotal;
    for (let sent = 0; sent < DRAIN_EVENTS; sent += 20) await Promise.all(Array.from({ length: 20 }, () => publishOne()));
    const backlog = published.length * FANOUT - receivedTotal;
    const arrivedWhileStopped = receivedTotal - backlogFrom;
    const resumed = Date.now();
    for (const worker of workers) worker.kill('SIGCONT');
    const drainLimit = Date.now() + 120_000;
    while (receivedTotal < published.length * FANOUT && Date.now() < drainLimit) await sleep(20);
    const seconds = (Date.now() - resumed) / 1000;
    console.log(
      `worker drain: a backlog of ${backlog} deliveries (${arrivedWhileStopped} arrived while the worker was stopped) delivered in ` +
        `${seconds.toFixed(1)} s by ${WORKER_PROCESSES} worker process${WORKER_PROCESSES === 1 ? '' : 'es'}: ${(backlog / seconds).toFixed(0)} deliveries/s`,
    );
  }

  // Zero lost: every event reached every endpoint, and every delivery is logged as succeeded.
  const missing = [];
  for (const id of published) for (let i = 0; i < FANOUT; i++) if (!received.has(`${id} /endpoint-${i}`)) missing.push(`${id}@${i}`);
  const duplicates = [...received.values()].filter((count) => count > 1).length;
  await sleep(1000);
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  await db.connect();
  const { rows } = await db.query(`select status, count(*)::int as n from webhook_deliveries group by status order by status`);
  const attempts = (await db.query(`select count(*)::int as n from webhook_attempts`)).rows[0].n;
  await db.end();
  console.log(
    `no loss: ${published.length} events x ${FANOUT} = ${published.length * FANOUT} expected, ${missing.length} missing, ${duplicates} delivered twice, ` +
      `${badSignatures} bad signatures; log: ${rows.map((row) => `${row.status} ${row.n}`).join(', ')}, ${attempts} attempts`,
  );
  if (missing.length > 0 || badSignatures > 0) exitCode = 1;
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  for (const server of servers) {
    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
  }
  receiver.closeAllConnections();
  receiver.close();
  await dispatcher.close();
  const redis = new Redis(REDIS_URL);
  for await (const keys of redis.scanStream({ match: `${PREFIX}:*`, count: 500 })) if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await admin.query(`drop database if exists "${dbName}" with (force)`);
  await admin.end();
}
process.exit(exitCode);
