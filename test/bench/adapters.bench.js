// Express against Fastify as Nest's HTTP adapter, each under Plugboard's request stack: the same
// middleware (metrics, security headers, no-store), nestjs-pino's request logger, a passport
// authentication guard verifying a cached API key (SHA-256 and a map lookup, as ApiKeyVerifier does),
// an authorization guard reading the route's metadata, a pass-through interceptor, the global
// validation pipe on a query DTO, and one prepared PostgreSQL statement per list — measured side by
// side for /health/live, an empty list and a list of 50 rows shaped like connections.
//
// Plugboard's own modules are Express-bound (33 files use Express's request and response), so this is
// the stack rebuilt on both adapters rather than the app moved: what it measures is what the adapter
// itself costs under that stack. Each adapter runs in its own child process.
//
// Env: SECONDS (5) per route and adapter, ROUNDS (3), DATABASE_URL (a server to create a scratch database on), LOG_LEVEL (warn).
import { createHash } from 'node:crypto';
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { messageFrom, scratchDatabase } from './scratch.js';

const SECONDS = Number(process.env.SECONDS ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = 20;
const KEYS = { full: 'pb_live_bench_key_full_0123456789', empty: 'pb_live_bench_key_empty_0123456789' };
const ADAPTERS = ['express', 'fastify'];

if (process.argv[2] === '--serve') await serve(process.argv[3]);
else await main();

/** The child: a Nest app on one adapter, answering the three routes. */
async function serve(adapterName) {
  const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;
  await import('reflect-metadata');
  const { Controller, Get, Injectable, Module, Query, Req, SetMetadata } = await import('@nestjs/common');
  const { APP_GUARD, APP_INTERCEPTOR, NestFactory, Reflector } = await import('@nestjs/core');
  const { AuthGuard, PassportModule, PassportStrategy } = await import('@nestjs/passport');
  const { Strategy } = await import('passport-custom');
  const { Type } = await import('class-transformer');
  const { IsInt, IsOptional, Max, Min } = await import('class-validator');
  const { LoggerModule } = await import('nestjs-pino');
  const { default: pg } = await import('pg');
  const { loadConfig } = await import(dist('core/config/config.js'));
  const { httpLoggerParams } = await import(dist('core/logging/logging.js'));
  const { httpMetrics } = await import(dist('core/metrics/http-metrics.js'));
  const { MetricsService } = await import(dist('core/metrics/metrics.service.js'));
  const { securityHeaders } = await import(dist('core/http/browser-policy.js'));
  const { createValidationPipe } = await import(dist('core/http/validation.js'));

  const config = loadConfig(process.env);
  const pool = new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: 10 });
  const decorate = (decorators, target, key) => Reflect.decorate(decorators, target, key, key && Object.getOwnPropertyDescriptor(target, key));

  // Authentication as the api-key strategy does it once the key is cached.
  const keys = new Map(
    Object.entries(KEYS).map(([name, key]) => [
      createHash('sha256').update(key).digest('hex'),
      { kind: 'api_key', accountId: name === 'full' ? process.env.BENCH_ACCOUNT : crypto.randomUUID(), livemode: true, permissions: ['integrations.view'] },
    ]),
  );
  class KeyStrategy extends PassportStrategy(Strategy, 'bench-key') {
    async validate(request) {
      const header = request.headers.authorization ?? '';
      return keys.get(createHash('sha256').update(header.slice('Bearer '.length)).digest('hex')) ?? null;
    }
  }
  decorate([Injectable()], KeyStrategy);
  const IS_PUBLIC = 'isPublic';
  class Authentication extends AuthGuard(['bench-key']) {
    constructor(reflector) {
      super();
      this.reflector = reflector;
    }
    canActivate(context) {
      if (this.reflector.getAllAndOverride(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
      return super.canActivate(context);
    }
  }
  decorate([Injectable(), Reflect.metadata('design:paramtypes', [Reflector])], Authentication);
  class Authorization {
    constructor(reflector) {
      this.reflector = reflector;
    }
    async canActivate(context) {
      const targets = [context.getHandler(), context.getClass()];
      if (this.reflector.getAllAndOverride(IS_PUBLIC, targets)) return true;
      const permission = this.reflector.getAllAndOverride('permission', targets);
      const request = context.switchToHttp().getRequest();
      request.caller = { ...request.user, permissions: new Set(request.user.permissions) };
      return request.caller.permissions.has(permission);
    }
  }
  decorate([Injectable(), Reflect.metadata('design:paramtypes', [Reflector])], Authorization);
  class PassThrough {
    intercept(_context, next) {
      return next.handle();
    }
  }
  decorate([Injectable()], PassThrough);

  class ListQuery {}
  decorate([IsOptional(), Type(() => Number), IsInt(), Min(1), Max(100), Reflect.metadata('design:type', Number)], ListQuery.prototype, 'limit');

  const statement = (caller, limit) => ({
    name: 'bench_items',
    text: 'select * from items where account_id = $1 and livemode = $2 order by created_at desc, id desc limit $3',
    values: [caller.accountId, caller.livemode, limit + 1],
  });
  const iso = (value) => (value === null ? null : new Date(value).toISOString());
  class Routes {
    live() {
      return { status: 'ok' };
    }
    async list(query, request) {
      const limit = query.limit ?? 20;
      const { rows } = await pool.query(statement(request.caller, limit));
      const data = rows.slice(0, limit).map((row) => ({
        id: row.id,
        provider: row.provider,
        status: row.status,
        owner: row.owner,
        endUserId: row.end_user_id,
        tags: row.tags,
        label: row.label,
        settings: row.settings,
        metadata: row.metadata,
        connectedAt: iso(row.connected_at),
        createdAt: iso(row.created_at),
      }));
      return { data, nextCursor: rows.length > limit ? data.at(-1).id : null };
    }
  }
  decorate([Get('health/live'), SetMetadata(IS_PUBLIC, true)], Routes.prototype, 'live');
  decorate(
    [Get('v1/items'), SetMetadata('permission', 'integrations.view'), Reflect.metadata('design:paramtypes', [ListQuery, Object])],
    Routes.prototype,
    'list',
  );
  Query()(Routes.prototype, 'list', 0);
  Req()(Routes.prototype, 'list', 1);
  decorate([Controller()], Routes);

  class BenchModule {}
  decorate(
    [
      Module({
        imports: [LoggerModule.forRoot(httpLoggerParams(config)), PassportModule],
        controllers: [Routes],
        providers: [
          KeyStrategy,
          { provide: APP_GUARD, useClass: Authentication },
          { provide: APP_GUARD, useClass: Authorization },
          { provide: APP_INTERCEPTOR, useClass: PassThrough },
        ],
      }),
    ],
    BenchModule,
  );

  let app;
  if (adapterName === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(BenchModule, new FastifyAdapter(), { logger: false });
    // Express gives middleware `request.path`; Plugboard's security headers read it.
    app.use((request, _response, next) => {
      request.path = request.url.split('?', 1)[0];
      next();
    });
  } else {
    app = await NestFactory.create(BenchModule, { logger: false });
    app.set('x-powered-by', false);
    app.set('etag', false);
  }
  app.use(httpMetrics(new MetricsService()));
  app.use(securityHeaders(config));
  app.use('/v1', (_request, response, next) => {
    response.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.useGlobalPipes(createValidationPipe());
  await app.listen(0, '127.0.0.1');
  process.send({ port: app.getHttpServer().address().port });
}

async function main() {
  const { default: autocannon } = await import('autocannon');
  const { default: pg } = await import('pg');
  const loadAtStart = loadavg();
  const scratch = await scratchDatabase('adapters');
  const accountId = crypto.randomUUID();
  const db = new pg.Client({ connectionString: scratch.url });
  await db.connect();
  await db.query(`create table items (
    id uuid primary key, account_id uuid not null, livemode boolean not null, provider text not null, status text not null,
    owner text not null, end_user_id text, tags text[] not null, label text, settings jsonb not null, metadata jsonb not null,
    connected_at timestamptz, created_at timestamptz not null)`);
  await db.query('create index on items (account_id, livemode, created_at desc, id desc)');
  for (let i = 0; i < 50; i++) {
    await db.query(
      `insert into items values ($1, $2, true, 'fixture_echo', 'connected', 'end_user', $3, '{bench}', $4, $5, '{"accountName":"Echo"}', now(), now())`,
      [crypto.randomUUID(), accountId, `user_${i}`, `Bench ${i}`, { greeting: `hello ${i}` }],
    );
  }
  await db.end();

  const routes = [
    { id: 'health', path: '/health/live', key: KEYS.full, label: 'GET /health/live' },
    { id: 'empty', path: '/v1/items?limit=50', key: KEYS.empty, label: 'GET /v1/items?limit=50, API key, none' },
    { id: 'list', path: '/v1/items?limit=50', key: KEYS.full, label: 'GET /v1/items?limit=50, API key, 50 rows' },
  ];
  // Both servers run side by side, idle while the other is measured; each round measures every route on
  // both, alternating which goes first, and the table reports the median over rounds.
  const children = {};
  const samples = { express: {}, fastify: {} };
  try {
    for (const adapter of ADAPTERS) {
      children[adapter] = fork(fileURLToPath(import.meta.url), ['--serve', adapter], {
        env: {
          ...process.env,
          NODE_ENV: 'production',
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
          AUTH_JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
          ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 9).toString('base64')}`,
          DATABASE_URL: scratch.url,
          BENCH_DATABASE_URL: scratch.url,
          BENCH_ACCOUNT: accountId,
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    }
    const ports = {};
    for (const adapter of ADAPTERS) ports[adapter] = await messageFrom(children[adapter], 'port');
    const run = (adapter, route, duration) =>
      new Promise((resolve, reject) =>
        autocannon(
          {
            url: `http://127.0.0.1:${ports[adapter]}`,
            requests: [{ method: 'GET', path: route.path, headers: { authorization: `Bearer ${route.key}` } }],
            connections: CONNECTIONS,
            duration,
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        ),
      );
    for (const adapter of ADAPTERS) for (const route of routes) await run(adapter, route, 2);
    for (let round = 0; round < ROUNDS; round++) {
      for (const route of routes) {
        for (const adapter of round % 2 === 0 ? ADAPTERS : [...ADAPTERS].reverse()) {
          const result = await run(adapter, route, SECONDS);
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${adapter} ${route.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          (samples[adapter][route.id] ??= []).push({ rps: result.requests.average, p99: result.latency.p99 });
          console.log(
            `round ${round + 1}  ${adapter.padEnd(8)} ${route.label.padEnd(42)} ${result.requests.average.toFixed(0).padStart(6)} req/s  p99 ${result.latency.p99} ms`,
          );
        }
      }
    }
  } finally {
    for (const child of Object.values(children)) {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    }
    await scratch.drop();
  }
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
  const results = {};
  for (const adapter of ADAPTERS) {
    results[adapter] = {};
    for (const route of routes) {
      const measured = samples[adapter][route.id];
      results[adapter][route.id] = { rps: median(measured.map((sample) => sample.rps)), p99: median(measured.map((sample) => sample.p99)) };
    }
  }
  const loadAtEnd = loadavg();

  console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per route, median of ${ROUNDS} rounds; the same request stack on each adapter\n`);
  console.log('| route | Express req/s | Fastify req/s | Fastify / Express | Express vs its /health/live | Fastify vs its /health/live |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const route of routes) {
    const express = results.express[route.id];
    const fastify = results.fastify[route.id];
    console.log(
      `| ${route.label} | ${express.rps.toFixed(0)} (p99 ${express.p99} ms) | ${fastify.rps.toFixed(0)} (p99 ${fastify.p99} ms) | ` +
        `${(fastify.rps / express.rps).toFixed(2)} | ${(express.rps / results.express.health.rps).toFixed(2)} | ${(fastify.rps / results.fastify.health.rps).toFixed(2)} |`,
    );
  }
  const load = (values) => values.map((value) => value.toFixed(2)).join(' / ');
  console.log(`\nload average (1 / 5 / 15 min): ${load(loadAtStart)} at the start, ${load(loadAtEnd)} at the end`);
}
