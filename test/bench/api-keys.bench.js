// What an API key adds to a request, against the built app (dist/) on PostgreSQL and Redis.
//
// The server runs in a child process (the load generator must not share its event loop) with one
// extra route, GET /bench/whoami: @AuthorizeAccount(), no database work, so it costs exactly the
// guards (authentication with the key, authorization, rate limit) plus routing. It is compared with
// GET /health/live (public, no credentials) and with GET /v1/me (a real route that also reads the
// account, its usage and builds the CASL rules).
//
// Latency: autocannon with 1 connection, every response time recorded at full precision (autocannon's
// own histogram rounds to whole milliseconds). Throughput: autocannon with 10 connections.
// Then a micro-benchmark of the api-key strategy's validate() with a warm cache, in the server process.
//
// Uses DATABASE_URL (a server to create a scratch database on; default postgresql://postgres@127.0.0.1:5432/postgres)
// and REDIS_URL. LAT_SECONDS, TP_SECONDS, ROUNDS tune the run.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchClient, benchEnvironment, messageFrom, scratchDatabase } from './scratch.js';

const LAT_SECONDS = Number(process.env.LAT_SECONDS ?? 4);
const TP_SECONDS = Number(process.env.TP_SECONDS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MICRO_ITERATIONS = Number(process.env.MICRO_ITERATIONS ?? 200_000);
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

if (process.argv[2] === '--serve') await serve();
else await main();

/** The child: the built app plus the bench route, on the scratch database. */
async function serve() {
  const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;
  const { Controller, Get } = await import('@nestjs/common');
  const { pino } = await import('pino');
  const { loadConfig } = await import(dist('core/config/config.js'));
  const { applyMigrations } = await import(dist('core/database/migrations.js'));
  const { createApp } = await import(dist('app.js'));
  const { AppModule } = await import(dist('app.module.js'));
  const { AuthorizeAccount } = await import(dist('modules/rbac/authorize.decorator.js'));
  const { CurrentCaller } = await import(dist('core/auth/caller.js'));
  const { ApiKeyStrategy } = await import(dist('modules/api-keys/api-key.strategy.js'));
  const { MemberJwtStrategy } = await import(dist('core/auth/member-jwt.strategy.js'));
  const { CallerFactory } = await import(dist('modules/rbac/caller.factory.js'));
  const { apiKeyPattern, hashApiKey, parseApiKey } = await import(dist('modules/api-keys/api-key-format.js'));

  class BenchController {
    whoami(caller) {
      return { accountId: caller.accountId, apiKeyId: caller.apiKeyId, livemode: caller.livemode };
    }
  }
  const method = Object.getOwnPropertyDescriptor(BenchController.prototype, 'whoami');
  Object.defineProperty(
    BenchController.prototype,
    'whoami',
    Reflect.decorate([Get('whoami'), AuthorizeAccount()], BenchController.prototype, 'whoami', method),
  );
  CurrentCaller()(BenchController.prototype, 'whoami', 0);
  Controller('bench')(BenchController);
  const register = AppModule.register.bind(AppModule);
  AppModule.register = (runtime) => {
    const module = register(runtime);
    return { ...module, controllers: [...(module.controllers ?? []), BenchController] };
  };

  const config = loadConfig(process.env);
  await applyMigrations(config, config.database.url, pino({ level: 'silent' }));
  const app = await createApp({ config, databaseUrl: config.database.url }, { logs: false });
  await app.listen(0, '127.0.0.1');
  process.send({ port: app.getHttpServer().address().port });

  process.on('message', async ({ key, jwt }) => {
    const express = app.getHttpAdapter().getInstance();
    const requestWith = (token) => ({ headers: { authorization: `Bearer ${token}` }, header: () => undefined, app: express });
    const strategy = app.get(ApiKeyStrategy);
    const memberStrategy = app.get(MemberJwtStrategy);
    const callers = app.get(CallerFactory);
    const pattern = apiKeyPattern(config.apiKeyPrefix);
    const keyRequest = requestWith(key);
    const measure = async (run) => {
      for (let i = 0; i < 20_000; i++) await run();
      const started = process.hrtime.bigint();
      for (let i = 0; i < MICRO_ITERATIONS; i++) await run();
      return Number(process.hrtime.bigint() - started) / MICRO_ITERATIONS;
    };
    const results = {
      'format + checksum (regex, CRC32)': await measure(() => parseApiKey(pattern, key)),
      'SHA-256 of the key': await measure(() => hashApiKey(key)),
      'api-key strategy validate(), warm cache': await measure(() => strategy.validate(keyRequest)),
      'validate() + CallerFactory.forAccount()': await measure(async () => callers.forAccount(await strategy.validate(keyRequest), undefined)),
      'member-jwt strategy validate() (for comparison)': await measure(() => memberStrategy.validate(requestWith(jwt))),
    };
    process.send({ micro: results });
    await app.close();
    process.exit(0);
  });
}

async function main() {
  const { default: autocannon } = await import('autocannon');

  const scratch = await scratchDatabase('keys');

  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    // Request logging and rate limiting are not what is measured: both off, for every route alike.
    env: { ...process.env, ...benchEnvironment(scratch.url, JWT_SECRET) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const message = (field) => messageFrom(child, field);

  try {
    const port = await message('port');
    const origin = `http://127.0.0.1:${port}`;
    const { ownerToken, key } = await (await benchClient(origin, JWT_SECRET)).account();
    const auth = { authorization: `Bearer ${key}` };

    const routes = [
      { label: 'GET /health/live, no credentials', path: '/health/live', headers: {} },
      { label: 'GET /bench/whoami, API key', path: '/bench/whoami', headers: auth },
      { label: 'GET /v1/me, API key', path: '/v1/me', headers: auth },
    ];
    const run = (route, connections, duration, onResponse) =>
      new Promise((resolve, reject) => {
        const instance = autocannon({ url: origin + route.path, headers: route.headers, connections, duration }, (error, result) =>
          error ? reject(error) : resolve(result),
        );
        if (onResponse) instance.on('response', onResponse);
      });
    const latency = async (route) => {
      const times = [];
      let failures = 0;
      await run(route, 1, LAT_SECONDS, (_client, status, _bytes, time) => (status === 200 ? times.push(time) : failures++));
      if (failures > 0) throw new Error(`${route.label}: ${failures} non-200 responses`);
      times.sort((a, b) => a - b);
      return { p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)], n: times.length };
    };
    const throughput = async (route) => {
      const result = await run(route, 10, TP_SECONDS);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${route.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      return result.requests.average;
    };

    for (const route of routes) await run(route, 10, 3);
    // The machine is shared: each round measures the three routes back to back, the differences are
    // taken within a round, and the median over rounds is reported.
    const rounds = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const measured = [];
      for (const route of routes) {
        const lat = await latency(route);
        const rps = await throughput(route);
        measured.push({ ...lat, rps });
        console.log(
          `round ${round}  ${route.label.padEnd(34)} p50 ${ms(lat.p50)}  p99 ${ms(lat.p99)}  (${lat.n} sequential requests)   ${rps.toFixed(0)} req/s at 10 connections`,
        );
      }
      rounds.push(measured);
    }

    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.log(`\nmedian over ${ROUNDS} rounds of the difference to ${routes[0].label}:`);
    for (const [index, label] of [
      [1, 'API key + guards (GET /bench/whoami)'],
      [2, 'API key + GET /v1/me'],
    ]) {
      const p50 = median(rounds.map((round) => round[index].p50 - round[0].p50));
      const p99 = median(rounds.map((round) => round[index].p99 - round[0].p99));
      const ratio = median(rounds.map((round) => round[index].rps / round[0].rps));
      const serverTime = median(rounds.map((round) => (1 / round[index].rps - 1 / round[0].rps) * 1e6));
      console.log(
        `  ${label.padEnd(38)} adds p50 ${ms(p50)}  p99 ${ms(p99)}  throughput ${ratio.toFixed(2)}x (${serverTime >= 0 ? '+' : ''}${serverTime.toFixed(0)} µs of server time per request)`,
      );
    }

    child.send({ key, jwt: ownerToken });
    const micro = await message('micro');
    console.log(`\nverification itself, in the server process (${MICRO_ITERATIONS} iterations each, warm cache):`);
    for (const [label, ns] of Object.entries(micro)) console.log(`  ${label.padEnd(50)} ${(ns / 1000).toFixed(2)} µs`);
    const validate = micro['api-key strategy validate(), warm cache'] / 1e6;
    console.log(
      `\ntarget: key verification adds < 0.2 ms at the median; the strategy's validate() costs ${ms(validate)} (${validate < 0.2 ? 'met' : 'NOT met'})`,
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    await scratch.drop();
  }
}

function ms(value) {
  return `${value.toFixed(3)} ms`;
}
