import { startTestApp, TestApp } from '../support/test-app.js';
import { OwnPostgres, startOwnPostgres, waitUntil } from './support/servers.js';

/**
 * PostgreSQL stopped and started again under load: while it is down the API answers 503 with
 * Retry-After (never a 500, never a hang), it recovers without a restart, and every write it
 * acknowledged is still there.
 */
describe('PostgreSQL stopped and restarted under load', () => {
  let postgres: OwnPostgres;
  let t: TestApp;
  let closed = false;
  let admin: string;

  beforeAll(async () => {
    postgres = await startOwnPostgres();
    t = await startTestApp({ DATABASE_URL: postgres.url });
    admin = await t.token({ sub: 'operator', admin: true });
  });
  afterAll(async () => {
    if (!closed) await t?.close();
    await postgres?.destroy();
  });

  it('answers 503 with Retry-After while it is down, recovers by itself and loses no acknowledged write', async () => {
    type Phase = 'before' | 'down' | 'recovering' | 'after';
    let phase: Phase = 'before';
    const seen: Record<Phase, Map<number, number>> = { before: new Map(), down: new Map(), recovering: new Map(), after: new Map() };
    const problems: string[] = [];
    const acknowledged: string[] = [];
    let stopLoad = false;
    let sequence = 0;

    const worker = async () => {
      while (!stopLoad) {
        const current = phase;
        const write = sequence++ % 2 === 0 || acknowledged.length === 0;
        const startedAt = Date.now();
        const response = write
          ? await t.http
              .post('/v1/accounts')
              .set('Authorization', `Bearer ${admin}`)
              .send({ name: `Load ${sequence}`, plan: 'basic', ownerId: `load_${sequence}` })
          : await t.http.get(`/v1/accounts/${acknowledged[acknowledged.length - 1]}`).set('Authorization', `Bearer ${admin}`);
        const elapsed = Date.now() - startedAt;
        seen[current].set(response.status, (seen[current].get(response.status) ?? 0) + 1);
        if (response.status === 201) acknowledged.push(response.body.id);
        if (response.status >= 500 && response.status !== 503) problems.push(`${current}: ${response.status} ${JSON.stringify(response.body)}`);
        if (response.status === 503) {
          if (!response.headers['retry-after']) problems.push(`${current}: 503 without Retry-After`);
          if (response.body.code !== 'unavailable' || !String(response.headers['content-type']).includes('application/problem+json')) {
            problems.push(`${current}: 503 that is not an unavailable problem: ${JSON.stringify(response.body)}`);
          }
        }
        if (elapsed > 10_000) problems.push(`${current}: a request took ${elapsed} ms`);
        if (current === 'down' && response.status < 500) problems.push(`down: answered ${response.status} without a database`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));

    await new Promise((resolve) => setTimeout(resolve, 1000));
    phase = 'recovering'; // requests in flight while the server stops may end either way
    await postgres.stop();
    phase = 'down';
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers['retry-after']).toBeDefined();
    expect((await t.http.get('/health/live')).status).toBe(200);

    phase = 'recovering';
    await postgres.start();
    const recoveryMs = await waitUntil(
      async () => (await t.http.get('/v1/accounts?limit=1').set('Authorization', `Bearer ${admin}`)).status === 200,
      20_000,
      'the API to answer again',
    );
    phase = 'after';
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stopLoad = true;
    await load;

    console.log(
      `postgres outage: recovered ${recoveryMs} ms after restart; statuses ${JSON.stringify(
        Object.fromEntries(Object.entries(seen).map(([name, counts]) => [name, Object.fromEntries(counts)])),
      )}`,
    );
    expect(problems.slice(0, 10)).toEqual([]);
    expect(seen.before.get(201)).toBeGreaterThan(0);
    expect(seen.down.get(503)).toBeGreaterThan(0);
    expect([...seen.after.keys()].every((status) => status < 300)).toBe(true);
    expect(seen.after.get(201)).toBeGreaterThan(0);
    expect((await t.http.get('/health/ready')).status).toBe(200);

    for (const id of acknowledged) {
      const response = await t.http.get(`/v1/accounts/${id}`).set('Authorization', `Bearer ${admin}`);
      expect({ id, status: response.status }).toEqual({ id, status: 200 });
    }

    // Connections that died inside transactions go back to the pool: shutting down (which waits for
    // every pooled connection) finishes instead of hanging on them.
    const closing = Date.now();
    await Promise.race([t.close(), new Promise((_, reject) => setTimeout(() => reject(new Error('the app did not shut down within 20 s')), 20_000).unref())]);
    closed = true;
    console.log(`postgres outage: the app shut down ${Date.now() - closing} ms after the test`);
  });
});
