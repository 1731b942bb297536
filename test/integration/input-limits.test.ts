import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

const as = (token: string) => ({ Authorization: `Bearer ${token}` });

/** JSON text of an object `levels` deep: `{"a":{"a":…{}}}`. */
function nestedJson(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

/** The pids of this process's children whose command line mentions `needle` (plugin processes name their folder). */
function childPids(needle: string): string[] {
  return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(needle))
    .map((line) => line.trim().split(/\s+/)[0]);
}

describe('input depth and size limits', () => {
  let t: TestApp;
  let db: pg.Client;
  beforeAll(async () => {
    t = await startTestApp();
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('refuses bodies nested 5,000 levels with 400 naming the limit on every route that takes JSON', async () => {
    const { ownerToken } = await createAccount(t);
    const admin = await t.token({ sub: 'operator', admin: true });
    await t.http.put('/v1/integrations/ical_feed').set(as(ownerToken)).send({}).expect(200);
    const deep = nestedJson(5000);
    const attempts = [
      t.http.post('/v1/events').set(as(ownerToken)).type('json').send(`{"event":"session.started","data":${deep}}`),
      t.http.post('/v1/accounts').set(as(admin)).type('json').send(`{"name":"Deep","plan":"business","ownerId":"o","extra":${deep}}`),
      t.http.put('/v1/integrations/ical_feed').set(as(ownerToken)).type('json').send(`{"settings":${deep}}`),
      t.http.post('/v1/integrations/ical_feed/actions/render').set(as(ownerToken)).type('json').send(`{"input":${deep}}`),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', detail: 'The request body is nested deeper than 32 levels (the limit)' });
    }
  });

  it('accepts 32 levels and refuses 33; refuses more than JSON_MAX_KEYS keys and items', async () => {
    const { ownerToken } = await createAccount(t);
    // The body is level 1 and data level 2, so 30 more levels under data make 32.
    const publish = (data: string) => t.http.post('/v1/events').set(as(ownerToken)).type('json').send(`{"event":"session.started","data":${data}}`);
    expect((await publish(`{"sessionId":"s1","a":${nestedJson(30)}}`)).status).toBe(202);
    const deeper = await publish(`{"sessionId":"s1","a":${nestedJson(31)}}`);
    expect(deeper.status).toBe(400);
    expect(deeper.body.errors).toEqual([{ path: 'data', message: 'is nested deeper than 32 levels (the limit)' }]);
    const wide = await publish(JSON.stringify({ sessionId: 's1', many: Array.from({ length: 10_000 }, (_, index) => index) }));
    expect(wide.status).toBe(400);
    expect(wide.body.detail).toContain('JSON_MAX_KEYS');
  });

  it("renders feeds beside an event stored 2,000 levels deep: that account's feed leaves it out, another's stays 200 throughout, the plugin process never restarts", async () => {
    const probed = await createAccount(t);
    const healthy = await createAccount(t);
    const feedPath = async (token: string) =>
      new URL((await t.http.put('/v1/integrations/ical_feed').set(as(token)).send({}).expect(200)).body.metadata.feedUrl).pathname;
    const probedFeed = await feedPath(probed.ownerToken);
    const healthyFeed = await feedPath(healthy.ownerToken);
    for (const { ownerToken } of [probed, healthy]) {
      await t.http
        .post('/v1/events')
        .set(as(ownerToken))
        .send({ event: 'session.started', data: { sessionId: 'sess_1', title: 'Kick-off', startedAt: '2026-12-01T10:00:00Z' } })
        .expect(202);
    }
    // The API refuses such data now; an instance may hold it from before.
    const deepData = `{"sessionId":"sess_deep","title":"Deep","nested":${nestedJson(2000)}}`;
    await db.query(
      `insert into events (id, account_id, livemode, type, data, source, created_at) values (gen_random_uuid(), $1, true, 'session.started', $2::jsonb, 'api', now())`,
      [probed.accountId, deepData],
    );
    const [pid] = childPids('ical-feed');
    expect(pid).toBeDefined();

    const statuses = { probed: [] as number[], healthy: [] as number[] };
    for (let round = 0; round < 32; round++) {
      const [probedResponse, healthyResponse] = await Promise.all([t.http.get(probedFeed), t.http.get(healthyFeed)]);
      statuses.probed.push(probedResponse.status);
      statuses.healthy.push(healthyResponse.status);
      if (round === 0) {
        expect(probedResponse.text).toContain('SUMMARY:Kick-off');
        expect(probedResponse.text).not.toContain('Deep');
      }
    }
    expect(statuses.healthy).toEqual(Array(32).fill(200));
    expect(statuses.probed).toEqual(Array(32).fill(200));
    expect(childPids('ical-feed')).toEqual([pid]);
  });
});
