// Synced records at scale, against the built app (dist/) on a scratch PostgreSQL database: a full sync of
// RECORDS records, the same sync with 1 % of them changed (only those rows may be written), and reading
// the records through the HTTP API page by page (1,000 a page, the most it allows, following nextCursor).
//
// Uses DATABASE_URL (a server to create the scratch database on; default postgresql://postgres@127.0.0.1:5432/postgres)
// and REDIS_URL. RECORDS tunes the size.
import { randomUUID } from 'node:crypto';
import { benchEnvironment, scratchDatabase } from './scratch.js';

const RECORDS = Number(process.env.RECORDS ?? 100_000);
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;

const { default: pg } = await import('pg');
const { pino } = await import('pino');
const { SignJWT } = await import('jose');
const { loadConfig } = await import(dist('core/config/config.js'));
const { applyMigrations } = await import(dist('core/database/migrations.js'));
const { createApp } = await import(dist('app.js'));
const { SyncService } = await import(dist('modules/integrations/sync/sync.service.js'));

const scratch = await scratchDatabase('sync');
const db = new pg.Client({ connectionString: scratch.url });

const config = loadConfig({ ...process.env, ...benchEnvironment(scratch.url, JWT_SECRET), PLUGIN_ISOLATION: 'none' });
await applyMigrations(config, config.database.url, pino({ level: 'silent' }));
const app = await createApp({ config, databaseUrl: config.database.url }, { logs: false });
await app.listen(0, '127.0.0.1');
const origin = `http://127.0.0.1:${app.getHttpServer().address().port}`;
await db.connect();

try {
  const [accountId, connectionId] = [randomUUID(), randomUUID()];
  await db.query(`insert into accounts (id, name, plan, created_at, updated_at) values ($1, 'Bench', 'business', now(), now())`, [accountId]);
  await db.query(`insert into memberships (id, account_id, user_id, role, created_at) values ($1, $2, 'bench_owner', 'owner', now())`, [
    randomUUID(),
    accountId,
  ]);
  await db.query(
    `insert into integrations (id, account_id, livemode, provider, category, status, owner, tags, is_default, metadata, settings, auto_sync, refresh_failures, created_at, updated_at)
     values ($1, $2, true, 'stripe', 'payment', 'connected', 'account', '{}', true, '{}', '{}', false, 0, now(), now())`,
    [connectionId, accountId],
  );
  const token = await new SignJWT({ account_id: accountId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench_owner')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(JWT_SECRET));

  const customers = Array.from({ length: RECORDS }, (_, i) => ({
    id: `cus_${i}`,
    object: 'customer',
    email: `c${i}@acme.test`,
    name: `Customer ${i}`,
    balance: i % 1000,
  }));
  const syncs = app.get(SyncService);
  // The service's own store step: what a sync run does with the records a plugin returned.
  const sync = async (records) => {
    const runId = randomUUID();
    const started = performance.now();
    const { changes } = await syncs.store(connectionId, runId, { records: { customers: records } }, () => true);
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await db.query(`select count(*)::int as written from synced_records where last_sync_run_id = $1`, [runId]);
    return { seconds, changes: changes.customers, written: rows[0].written };
  };

  const first = await sync(customers);
  const changedCount = Math.round(RECORDS / 100);
  for (let i = 0; i < changedCount; i++) customers[i * 100].email = `changed${i}@acme.test`;
  const checkpoint = new Date(Date.now() - 1).toISOString();
  const second = await sync(customers);

  const read = async (query) => {
    let cursor = null;
    let records = 0;
    let pages = 0;
    const started = performance.now();
    do {
      const response = await fetch(`${origin}/v1/connections/${connectionId}/records?model=customers&limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = await response.json();
      if (response.status !== 200) throw new Error(`records answered ${response.status}: ${JSON.stringify(body)}`);
      records += body.data.length;
      pages++;
      cursor = body.nextCursor;
    } while (cursor);
    return { records, pages, seconds: (performance.now() - started) / 1000 };
  };
  // The server's first request pays for compiling its request path: not part of paging.
  await fetch(`${origin}/v1/connections/${connectionId}/records?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  // One page of changes takes tens of milliseconds: the median of five reads, not one sample of the machine's noise.
  const reads = [];
  for (let i = 0; i < 5; i++) reads.push(await read(`&modifiedAfter=${checkpoint}&filter=added,updated,deleted`));
  console.log(`changes reads (s): ${reads.map((r) => r.seconds.toFixed(3)).join(' ')}`);
  const changes = reads.sort((a, b) => a.seconds - b.seconds)[2];
  const all = await read('');

  const load = (await import('node:os'))
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(`synced records, ${RECORDS.toLocaleString('en')} records (load average ${load})`);
  console.table({
    'full sync, all new': {
      seconds: first.seconds.toFixed(2),
      added: first.changes.added,
      updated: first.changes.updated,
      deleted: first.changes.deleted,
      'rows written': first.written,
    },
    'same sync, 1 % changed': {
      seconds: second.seconds.toFixed(2),
      added: second.changes.added,
      updated: second.changes.updated,
      deleted: second.changes.deleted,
      'rows written': second.written,
    },
  });
  console.table({
    'changes since the checkpoint': {
      records: changes.records,
      pages: changes.pages,
      seconds: changes.seconds.toFixed(2),
      'records/s': Math.round(changes.records / changes.seconds),
    },
    'every record': { records: all.records, pages: all.pages, seconds: all.seconds.toFixed(2), 'records/s': Math.round(all.records / all.seconds) },
  });
} finally {
  await app.close();
  await db.end();
  await scratch.drop();
}
