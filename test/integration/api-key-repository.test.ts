import pg from 'pg';
import { hashApiKey } from '../../src/modules/api-keys/api-key-format.js';
import { ApiKeyRepository } from '../../src/modules/api-keys/api-key.repository.js';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';
import { PlansService } from '../../src/modules/plans/index.js';

/** The API-key SQL against PostgreSQL: lookup with plan rank, active lineages, lastUsedAt writes. */
describe('ApiKeyRepository', () => {
  let t: TestApp;
  let db: pg.Client;
  let keys: ApiKeyRepository;
  beforeAll(async () => {
    t = await startTestApp();
    keys = t.app.get(ApiKeyRepository);
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const createKey = async (token: string, mode: 'live' | 'test') =>
    (await t.http.post('/v1/api-keys').set(bearer(token)).send({ name: 'k', mode })).body as { id: string; key: string };

  it('finds a key by its hash with its place among the account’s active lineages of its mode', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const first = await createKey(ownerToken, 'live');
    const test = await createKey(ownerToken, 'test');
    const second = await createKey(ownerToken, 'live');
    expect(await keys.findByHash(hashApiKey(first.key))).toMatchObject({ id: first.id, account_id: accountId, livemode: true, revoked_at: null });
    expect(Number((await keys.findByHash(hashApiKey(first.key)))!.plan_rank)).toBe(0);
    expect(Number((await keys.findByHash(hashApiKey(second.key)))!.plan_rank)).toBe(1);
    expect(Number((await keys.findByHash(hashApiKey(test.key)))!.plan_rank)).toBe(0);
    await t.http.post(`/v1/api-keys/${first.id}/revoke`).set(bearer(ownerToken));
    expect(Number((await keys.findByHash(hashApiKey(second.key)))!.plan_rank)).toBe(0);
    expect(await keys.findByHash(hashApiKey('pb_live_unknown'))).toBeUndefined();
  });

  it('counts active lineages per mode: a roll counts once, revoked and expired keys not at all', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const rolled = await createKey(ownerToken, 'live');
    await t.http.post(`/v1/api-keys/${rolled.id}/roll`).set(bearer(ownerToken)).send({ expireOldInSeconds: 600 });
    const revoked = await createKey(ownerToken, 'live');
    await t.http.post(`/v1/api-keys/${revoked.id}/revoke`).set(bearer(ownerToken));
    const expired = await createKey(ownerToken, 'test');
    await createKey(ownerToken, 'test');
    await db.query(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [expired.id]);
    // The usage the plan checks, which the api-keys module counts in the plans module's one statement.
    expect(await t.app.get(PlansService).usage(accountId, true)).toEqual({ 'api_keys.live': 1, 'api_keys.test': 1 });
  });

  it('writes lastUsedAt in batches and never moves it backwards', async () => {
    const { ownerToken } = await createAccount(t);
    const a = await createKey(ownerToken, 'live');
    const b = await createKey(ownerToken, 'live');
    const later = Date.parse('2026-12-06T12:00:00Z');
    await keys.writeLastUsed([
      [a.id, later],
      [b.id, later - 1000],
    ]);
    await keys.writeLastUsed([[a.id, later - 60_000]]);
    const { rows } = await db.query(`select id, last_used_at from api_keys where id = any($1)`, [[a.id, b.id]]);
    const lastUsed = Object.fromEntries(rows.map((row) => [row.id, row.last_used_at.getTime()]));
    expect(lastUsed).toEqual({ [a.id]: later, [b.id]: later - 1000 });
  });
});
