// Throughput of the everyday API routes against the built app (dist/) on PostgreSQL and Redis, each
// compared with GET /health/live (public, no database work) measured in the same run.
//
// One server in a child process (the load generator must not share its event loop), a fresh Business
// account with an API key and its owner's JWT, and 50 connections of the echo fixture provider (an
// API-key provider whose verify calls nothing) copied into a scratch PLUGINS_DIR, next to the bundled
// plugins: 50 providers, all listed by GET /v1/providers?limit=50. The connections belong to 50 end
// users, so the account has no default shared connection and GET /v1/integrations lists none. The
// write, PATCH /v1/connections/{id}, changes one connection's settings per request, going round the 50.
//
// The server's own CPU time per request (user and system, from its process.cpuUsage) is printed next to
// the throughput, and PostgreSQL's (every postgres process of the machine, from /proc, on Linux): on two
// shared cores, the load generator's work grows with the size of the answers (autocannon decodes every
// body as text), so throughput alone understates what a large answer costs the server; and work moved
// into a query is still work on the same cores.
//
// autocannon, 20 connections, SECONDS per route after WARMUP seconds; p50 and p99 from every response
// time at full precision (autocannon's own histogram rounds to whole milliseconds). With ROUNDS > 1
// the routes are measured back to back in each round and the median over rounds is reported, the
// ratio to /health/live taken within a round. Targets (from the performance issue) are printed next to
// the figures; only a non-2xx answer fails the bench.
//
// ROUTES=<route id>,… measures only those routes (with /health/live always, for the ratios).
// PROFILE=<route id> (e.g. integrations-jwt) also records a CPU profile of the server while that
// route is measured, writes it to PROFILE_DIR (default: a temporary directory) and prints the
// functions with the most self time.
//
// Uses DATABASE_URL (a server to create a scratch database on; default postgresql://postgres@127.0.0.1:5432/postgres)
// and REDIS_URL.
import { fork } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchClient, benchEnvironment, messageFrom, postgresCpu, scratchDatabase } from './scratch.js';

const SECONDS = Number(process.env.SECONDS ?? 8);
const WARMUP = Number(process.env.WARMUP ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const CONNECTIONS = 20;
const ITEMS = 50;
const PROFILE = process.env.PROFILE;
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

if (process.argv[2] === '--serve') await serve();
else await main();

/** The child: the built app as `serve` builds it, on the scratch database. */
async function serve() {
  const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;
  const { pino } = await import('pino');
  const { loadConfig } = await import(dist('core/config/config.js'));
  const { applyMigrations } = await import(dist('core/database/migrations.js'));
  const { createApp, listen } = await import(dist('app.js'));

  const config = loadConfig(process.env);
  await applyMigrations(config, config.database.url, pino({ level: 'silent' }));
  const app = await createApp({ config, databaseUrl: config.database.url }, { logs: false });
  await listen(app, '127.0.0.1', 0);
  process.send({ port: app.getHttpServer().address().port });

  let session;
  process.on('message', async ({ profile, cpu }) => {
    if (cpu) process.send({ cpuUsage: process.cpuUsage() });
    else if (profile === 'start') {
      const { Session } = await import('node:inspector/promises');
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
      process.send({ profiling: true });
    } else if (profile === 'stop') {
      const { profile: recorded } = await session.post('Profiler.stop');
      session.disconnect();
      process.send({ recorded });
    }
  });
}

async function main() {
  const { default: autocannon } = await import('autocannon');

  const loadAtStart = loadavg();
  const scratch = await scratchDatabase('api');
  const work = mkdtempSync(join(tmpdir(), 'plugboard-bench-api-'));
  cpSync(fileURLToPath(new URL('../fixtures/plugins/echo', import.meta.url)), join(work, 'plugins', 'echo'), { recursive: true });

  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: {
      ...process.env,
      // Request logging and rate limiting are not what is measured: both off, for every route alike.
      ...benchEnvironment(scratch.url, JWT_SECRET),
      DATA_DIR: join(work, 'data'),
      PLUGINS_DIR: join(work, 'plugins'),
      // The fixture is not signed; the bundled plugins load as in production.
      PLUGIN_SIGNATURE_POLICY: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const message = (field) => messageFrom(child, field);

  try {
    const port = await message('port');
    const origin = `http://127.0.0.1:${port}`;
    const { call, account } = await benchClient(origin, JWT_SECRET);
    const { ownerToken: jwt, key } = await account();
    const connectionIds = [];
    for (let i = 0; i < ITEMS; i++) {
      const connection = await call('POST', '/v1/connections', key, {
        provider: 'fixture_echo',
        owner: 'end_user',
        endUserId: `user_${i}`,
        label: `Bench ${i}`,
        tags: ['bench'],
        credentials: { apiKey: `key-${i}` },
        settings: { greeting: `hello ${i}` },
      });
      connectionIds.push(connection.id);
    }

    const apiKey = { authorization: `Bearer ${key}` };
    const member = { authorization: `Bearer ${jwt}` };
    let patches = 0;
    const routes = [
      { id: 'health', path: '/health/live', credentials: 'none', headers: {} },
      // Uncompressed: autocannon decodes every body it receives as UTF-8 text, which a gzip body makes its slowest case.
      { id: 'providers', path: `/v1/providers?limit=${ITEMS}`, credentials: 'API key', headers: apiKey, min: 0.5 },
      { id: 'webhooks', path: '/v1/webhooks', credentials: 'API key', headers: apiKey },
      { id: 'integrations', path: '/v1/integrations', credentials: 'API key', headers: apiKey },
      { id: 'connections', path: `/v1/connections?limit=${ITEMS}`, credentials: 'API key', headers: apiKey, min: 0.5 },
      { id: 'me', path: '/v1/me', credentials: 'API key', headers: apiKey, min: 0.4 },
      { id: 'integrations-jwt', path: '/v1/integrations', credentials: 'member JWT', headers: member, min: 0.4 },
      { id: 'connections-jwt', path: `/v1/connections?limit=${ITEMS}`, credentials: 'member JWT', headers: member, min: 0.4 },
      {
        id: 'patch',
        method: 'PATCH',
        path: '/v1/connections/{id}',
        credentials: 'API key',
        headers: { ...apiKey, 'content-type': 'application/json' },
        // Round the 50 connections, a new value each time: a real write every request, no row contended by all 20 connections.
        setupRequest: (request) => {
          const n = patches++;
          return { ...request, path: `/v1/connections/${connectionIds[n % ITEMS]}`, body: JSON.stringify({ settings: { greeting: `hello ${n}` } }) };
        },
      },
      {
        id: 'events',
        method: 'POST',
        path: '/v1/events',
        credentials: 'API key',
        headers: { ...apiKey, 'content-type': 'application/json' },
        // No endpoint subscribes in this account: the event is stored and fanned out to nobody.
        body: JSON.stringify({ event: 'room.created', data: { roomId: 'bench' } }),
      },
    ];
    if (process.env.ROUTES) {
      const wanted = new Set(['health', ...process.env.ROUTES.split(',')]);
      routes.splice(0, routes.length, ...routes.filter((route) => wanted.has(route.id)));
    }
    // How many items each list answers, for the table.
    for (const route of routes.filter((route) => !route.method && route.path.startsWith('/v1/'))) {
      const body = await call('GET', route.path, route.headers.authorization.slice('Bearer '.length));
      route.items = Array.isArray(body.data) ? body.data.length : undefined;
    }
    const label = (route) =>
      `${route.method ?? 'GET'} ${route.path} (${route.credentials}${route.items === undefined ? '' : `, ${route.items === 0 ? 'none' : `${route.items} items`}`})`;

    const run = (route, duration, onResponse) =>
      new Promise((resolve, reject) => {
        const request = { method: route.method ?? 'GET', path: route.path, headers: route.headers, body: route.body };
        if (route.setupRequest) request.setupRequest = route.setupRequest;
        const instance = autocannon({ url: origin, requests: [request], connections: CONNECTIONS, duration }, (error, result) =>
          error ? reject(error) : resolve(result),
        );
        if (onResponse) instance.on('response', onResponse);
      });
    const serverCpu = async () => {
      child.send({ cpu: true });
      const { user, system } = await message('cpuUsage');
      return user + system;
    };
    const measure = async (route) => {
      const times = [];
      const [cpuBefore, postgresBefore] = [await serverCpu(), postgresCpu()];
      const result = await run(route, SECONDS, (_client, _status, _bytes, time) => times.push(time));
      const [cpu, postgres] = [(await serverCpu()) - cpuBefore, postgresCpu() - postgresBefore];
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(`${label(route)}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
      }
      times.sort((a, b) => a - b);
      return {
        rps: result.requests.average,
        p50: quantile(times, 0.5),
        p99: quantile(times, 0.99),
        cpu: cpu / result.requests.total,
        postgres: postgres / result.requests.total,
      };
    };

    // The server's first requests pay for compiling their paths: not part of what is measured.
    for (const route of routes) await run(route, WARMUP);
    const rounds = [];
    let recorded;
    for (let round = 1; round <= ROUNDS; round++) {
      const measured = {};
      for (const route of routes) {
        const profiled = PROFILE === route.id && round === 1;
        if (profiled) {
          child.send({ profile: 'start' });
          await message('profiling');
        }
        measured[route.id] = await measure(route);
        if (profiled) {
          child.send({ profile: 'stop' });
          recorded = await message('recorded');
        }
        if (ROUNDS > 1) {
          const { rps, p50, p99 } = measured[route.id];
          console.log(`round ${round}  ${label(route).padEnd(56)} ${rps.toFixed(0).padStart(6)} req/s  p50 ${ms(p50)}  p99 ${ms(p99)}`);
        }
      }
      rounds.push(measured);
    }
    const loadAtEnd = loadavg();

    const median = (values) =>
      quantile(
        [...values].sort((a, b) => a - b),
        0.5,
      );
    console.log(
      `\n${CONNECTIONS} connections, ${SECONDS} s per route${ROUNDS > 1 ? `, median of ${ROUNDS} rounds` : ''}; ` +
        `targets: API-key lists of ${ITEMS} items ≥ 0.5 × /health/live, member-JWT routes and /v1/me ≥ 0.4 ×, p99 < 4 × p50 everywhere\n`,
    );
    console.log('| route | req/s | p50 | p99 | vs /health/live | server CPU per request | PostgreSQL CPU per request | target | |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---|---|');
    for (const route of routes) {
      const rps = median(rounds.map((round) => round[route.id].rps));
      const p50 = median(rounds.map((round) => round[route.id].p50));
      const p99 = median(rounds.map((round) => round[route.id].p99));
      const ratio = median(rounds.map((round) => round[route.id].rps / round.health.rps));
      const cpu = median(rounds.map((round) => round[route.id].cpu));
      const postgres = median(rounds.map((round) => round[route.id].postgres));
      const met = p99 < 4 * p50 && (route.min === undefined || ratio >= route.min);
      const target = `${route.min === undefined ? '' : `≥ ${route.min.toFixed(1)} ×, `}p99 < 4 × p50`;
      console.log(
        `| ${label(route)} | ${rps.toFixed(0)} | ${ms(p50)} | ${ms(p99)} | ${ratio.toFixed(2)} | ${cpu.toFixed(0)} µs | ${Number.isNaN(postgres) ? '—' : `${postgres.toFixed(0)} µs`} | ${target} | ${met ? 'met' : 'NOT met'} |`,
      );
    }
    const load = (values) => values.map((value) => value.toFixed(2)).join(' / ');
    console.log(`\nload average (1 / 5 / 15 min): ${load(loadAtStart)} at the start, ${load(loadAtEnd)} at the end`);

    if (recorded) {
      const dir = process.env.PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'plugboard-bench-profile-'));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `api-${PROFILE}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(recorded));
      printProfile(recorded, file);
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    await scratch.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The functions with the most self time in a V8 CPU profile, and self time by package. */
function printProfile(profile, file) {
  const interval = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    interval.set(profile.samples[i], (interval.get(profile.samples[i]) ?? 0) + delta);
  }
  const total = [...interval.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map();
  const byPlace = new Map();
  for (const node of profile.nodes) {
    const self = interval.get(node.id) ?? 0;
    if (self === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
    const name = `${functionName || '(anonymous)'}  ${where ? `${where}:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + self);
    const place = !where
      ? functionName
      : (where.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ??
        (where.startsWith('node:') ? 'node:*' : where.startsWith('dist/') ? 'dist (Plugboard)' : where));
    byPlace.set(place, (byPlace.get(place) ?? 0) + self);
  }
  const top = (map, count) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => `  ${((micros / total) * 100).toFixed(1).padStart(5)} %  ${name}`)
      .join('\n');
  console.log(`\nCPU profile of the server during ${PROFILE}: ${file} (${(total / 1e6).toFixed(1)} s sampled)`);
  console.log(`self time by function:\n${top(byFunction, 25)}`);
  console.log(`self time by package:\n${top(byPlace, 15)}`);
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function ms(value) {
  return `${value.toFixed(2)} ms`;
}
