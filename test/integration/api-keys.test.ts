import { createHash } from 'node:crypto';
import pg from 'pg';
import { generateApiKey } from '../../src/modules/api-keys/api-key-format.js';
import { PERMISSIONS } from '../../src/modules/rbac/permissions.js';
import { addMember, bearer, createAccount, startTestApp, TestApp, uniqueId } from '../support/test-app.js';
import { sleep } from '../support/waiting.js';

const KEY_PATTERN = /^pb_(live|test)_[0-9A-Za-z]{38}$/;

describe('API keys', () => {
  let t: TestApp;
  let db: pg.Client;

  beforeAll(async () => {
    t = await startTestApp({ API_KEY_LAST_USED_FLUSH_MS: '100' });
    db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  async function createKey(app: TestApp, token: string, body: Record<string, unknown>) {
    const response = await app.http
      .post('/v1/api-keys')
      .set(bearer(token))
      .send({ name: uniqueId('key'), ...body });
    if (response.status !== 201) throw new Error(`key creation failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { id: string; key: string; name: string; mode: string; permissions: string[] };
  }

  const me = (app: TestApp, key: string, headers: Record<string, string> = {}) => app.http.get('/v1/me').set(bearer(key)).set(headers);

  it('shows the key once, and stores only its SHA-256, start and last4', async () => {
    const { ownerToken, accountId } = await createAccount(t);
    const created = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .set('Idempotency-Key', 'create-key-1')
      .send({ name: 'CRM sync', mode: 'live', permissions: ['integrations.view'] });
    expect(created.status).toBe(201);
    const { key, id } = created.body;
    expect(key).toMatch(KEY_PATTERN);
    expect(created.body).toMatchObject({ name: 'CRM sync', mode: 'live', permissions: ['integrations.view'], start: key.slice(0, 12), last4: key.slice(-4) });

    const listed = await t.http.get('/v1/api-keys').set(bearer(ownerToken));
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ id, start: key.slice(0, 12), last4: key.slice(-4), revokedAt: null })]);
    expect(listed.body.data[0]).not.toHaveProperty('key');
    const fetched = await t.http.get(`/v1/api-keys/${id}`).set(bearer(ownerToken));
    expect(fetched.body).not.toHaveProperty('key');
    expect(JSON.stringify([listed.body, fetched.body])).not.toContain(key.slice(12, -4));

    const { rows } = await db.query('select * from api_keys where account_id = $1', [accountId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    const secret = key.slice(12, -4);
    for (const table of ['api_keys', 'audit_log', 'idempotency_records']) {
      const found = await db.query(`select count(*)::int as n from ${table} t where t::text like $1`, [`%${secret}%`]);
      expect({ table, n: found.rows[0].n }).toEqual({ table, n: 0 });
    }

    // A retried creation replays the first response (kept encrypted) rather than minting a second key.
    const replay = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .set('Idempotency-Key', 'create-key-1')
      .send({ name: 'CRM sync', mode: 'live', permissions: ['integrations.view'] });
    expect(replay.status).toBe(201);
    expect(replay.body.key).toBe(key);
    expect((await db.query('select count(*)::int as n from api_keys where account_id = $1', [accountId])).rows[0].n).toBe(1);
  });

  it('authenticates with Authorization: Bearer <key> as the key, in its mode', async () => {
    const { ownerToken, accountId } = await createAccount(t);
    const live = await createKey(t, ownerToken, { mode: 'live', permissions: ['account.view', 'events.view'] });
    const test = await createKey(t, ownerToken, { mode: 'test' });
    const liveMe = await me(t, live.key);
    expect(liveMe.status).toBe(200);
    expect(liveMe.body).toMatchObject({
      apiKeyId: live.id,
      account: { id: accountId },
      livemode: true,
      role: null,
      permissions: ['events.view', 'account.view'],
    });
    expect(liveMe.body).not.toHaveProperty('userId');
    const testMe = await me(t, test.key);
    expect(testMe.body).toMatchObject({ apiKeyId: test.id, livemode: false });
    // Without a permission list the key gets what its creator holds.
    expect(testMe.body.permissions).toHaveLength(PERMISSIONS.length);
  });

  it('answers 401 with a reason for malformed, bad-checksum, unknown, revoked, expired and wrong-mode keys', async () => {
    const { ownerToken } = await createAccount(t);
    const good = await createKey(t, ownerToken, { mode: 'test' });
    const expiresAt = Date.now() + 1500;
    const expiring = await createKey(t, ownerToken, { mode: 'test', expiresAt: new Date(expiresAt).toISOString() });
    expect((await me(t, expiring.key)).status).toBe(200);
    const typo = good.key.slice(0, 20) + (good.key[20] === 'a' ? 'b' : 'a') + good.key.slice(21);
    const cases: [string, string, Record<string, string>?][] = [
      ['pb_test_tooShort', 'key_malformed'],
      [typo, 'key_checksum_mismatch'],
      [generateApiKey('pb', 'test').key, 'key_unknown'],
      [good.key, 'key_wrong_mode', { 'Plugboard-Mode': 'live' }],
    ];
    for (const [key, reason, headers] of cases) {
      const response = await me(t, key, headers);
      expect({ status: response.status, code: response.body.code, reason: response.body.reason }).toEqual({ status: 401, code: 'unauthenticated', reason });
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await me(t, good.key, { 'Plugboard-Mode': 'test' })).status).toBe(200);

    const revoked = await t.http.post(`/v1/api-keys/${good.id}/revoke`).set(bearer(ownerToken));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await me(t, good.key)).body).toMatchObject({ status: 401, reason: 'key_revoked' });

    await sleep(Math.max(0, expiresAt - Date.now() + 50));
    expect((await me(t, expiring.key)).body).toMatchObject({ status: 401, reason: 'key_expired' });

    const past = await t.http.post('/v1/api-keys').set(bearer(ownerToken)).send({ name: 'old', mode: 'test', expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.errors).toEqual([expect.objectContaining({ path: 'expiresAt' })]);
  });

  it('limits a key to its permissions, which never exceed its creator’s', async () => {
    const { ownerToken, accountId } = await createAccount(t);
    const viewer = await createKey(t, ownerToken, { mode: 'live', permissions: ['api_keys.view'] });
    expect((await t.http.get('/v1/api-keys').set(bearer(viewer.key))).status).toBe(200);
    const denied = await t.http.post('/v1/api-keys').set(bearer(viewer.key)).send({ name: 'x', mode: 'live' });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'permission_denied', permission: 'api_keys.manage' });
    expect((await t.http.get('/v1/audit-log').set(bearer(viewer.key))).status).toBe(403);
    expect((await t.http.get('/v1/members').set(bearer(viewer.key))).status).toBe(403);

    const manager = await createKey(t, ownerToken, { mode: 'live', permissions: ['api_keys.view', 'api_keys.manage'] });
    const escalation = await t.http
      .post('/v1/api-keys')
      .set(bearer(manager.key))
      .send({ name: 'x', mode: 'live', permissions: ['members.manage'] });
    expect(escalation.status).toBe(403);
    expect(escalation.body.permission).toBe('members.manage');
    const child = await createKey(t, manager.key, { mode: 'live' });
    expect(child.permissions).toEqual(['api_keys.view', 'api_keys.manage']);

    const developer = await addMember(t, accountId, ownerToken, 'developer');
    const tooMuch = await t.http
      .post('/v1/api-keys')
      .set(bearer(developer))
      .send({ name: 'x', mode: 'live', permissions: ['members.view'] });
    expect(tooMuch.status).toBe(403);
    const unknown = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'x', mode: 'live', permissions: ['everything'] });
    expect(unknown.status).toBe(400);
  });

  it('rolls a key: same name and permissions, the old key working only for the overlap', async () => {
    const { ownerToken } = await createAccount(t);
    const original = await createKey(t, ownerToken, { mode: 'live', name: 'Billing', permissions: ['events.view'] });
    const rolled = await t.http.post(`/v1/api-keys/${original.id}/roll`).set(bearer(ownerToken)).send({ expireOldInSeconds: 1 });
    expect(rolled.status).toBe(201);
    expect(rolled.body).toMatchObject({ name: 'Billing', mode: 'live', permissions: ['events.view'] });
    expect(rolled.body.key).toMatch(KEY_PATTERN);
    expect(rolled.body.id).not.toBe(original.id);
    expect((await me(t, rolled.body.key)).status).toBe(200);
    expect((await me(t, original.key)).status).toBe(200);
    const old = await t.http.get(`/v1/api-keys/${original.id}`).set(bearer(ownerToken));
    expect(Date.parse(old.body.expiresAt)).toBeLessThanOrEqual(Date.now() + 1000);
    const again = await t.http.post(`/v1/api-keys/${original.id}/roll`).set(bearer(ownerToken)).send({});
    expect(again.status).toBe(409);
    await sleep(1100);
    expect((await me(t, original.key)).body).toMatchObject({ status: 401, reason: 'key_expired' });
    expect((await me(t, rolled.body.key)).status).toBe(200);

    // Without an overlap the old key stops at once.
    const immediate = await t.http.post(`/v1/api-keys/${rolled.body.id}/roll`).set(bearer(ownerToken));
    expect(immediate.status).toBe(201);
    expect((await me(t, rolled.body.key)).body).toMatchObject({ status: 401, reason: 'key_expired' });
    expect((await me(t, immediate.body.key)).status).toBe(200);

    await t.http.post(`/v1/api-keys/${immediate.body.id}/revoke`).set(bearer(ownerToken));
    expect((await t.http.post(`/v1/api-keys/${immediate.body.id}/roll`).set(bearer(ownerToken))).status).toBe(409);
  });

  it('revokes on a second instance within one second (Redis pub/sub, not the cache TTL)', async () => {
    const second = await startTestApp({ API_KEY_CACHE_TTL_MS: '600000' });
    try {
      const { ownerToken } = await createAccount(t);
      const cached = await createKey(t, ownerToken, { mode: 'live' });
      const revoked = await createKey(t, ownerToken, { mode: 'live' });
      expect((await me(second, cached.key)).status).toBe(200);
      expect((await me(second, revoked.key)).status).toBe(200);

      // The second instance answers from its own cache: a database change alone does not reach it,
      // while the first instance, which never saw the key, reads the database.
      await db.query('update api_keys set revoked_at = now() where id = $1', [cached.id]);
      expect((await me(second, cached.key)).status).toBe(200);
      expect((await me(t, cached.key)).body).toMatchObject({ status: 401, reason: 'key_revoked' });

      const started = Date.now();
      expect((await t.http.post(`/v1/api-keys/${revoked.id}/revoke`).set(bearer(ownerToken))).status).toBe(200);
      let response = await me(second, revoked.key);
      while (response.status === 200 && Date.now() - started < 1000) {
        await sleep(10);
        response = await me(second, revoked.key);
      }
      expect(Date.now() - started).toBeLessThan(1000);
      expect(response.body).toMatchObject({ status: 401, reason: 'key_revoked' });
      // The invalidation drops the account's entries, so the other key's revocation shows too.
      expect((await me(second, cached.key)).body).toMatchObject({ status: 401, reason: 'key_revoked' });
    } finally {
      await second.close();
    }
  });

  it('keeps test and live keys to their own mode', async () => {
    const { ownerToken } = await createAccount(t);
    const live = await createKey(t, ownerToken, { mode: 'live' });
    const test = await createKey(t, ownerToken, { mode: 'test' });
    expect((await me(t, live.key)).body.livemode).toBe(true);
    expect((await me(t, test.key)).body.livemode).toBe(false);

    const seenByTest = await t.http.get('/v1/api-keys').set(bearer(test.key));
    expect(seenByTest.body.data.map((key: { id: string }) => key.id)).toEqual([test.id]);
    const seenByOwner = await t.http.get('/v1/api-keys').set(bearer(ownerToken));
    expect(seenByOwner.body.data).toHaveLength(2);
    expect((await t.http.get('/v1/api-keys?mode=live').set(bearer(ownerToken))).body.data.map((key: { id: string }) => key.id)).toEqual([live.id]);
    expect((await t.http.get(`/v1/api-keys/${live.id}`).set(bearer(test.key))).status).toBe(404);
    expect((await t.http.post(`/v1/api-keys/${live.id}/revoke`).set(bearer(test.key))).status).toBe(404);
    const crossMode = await t.http.post('/v1/api-keys').set(bearer(test.key)).send({ name: 'x', mode: 'live' });
    expect(crossMode.status).toBe(403);

    const child = await createKey(t, test.key, { mode: 'test' });
    await createKey(t, live.key, { mode: 'live' });
    const audit = await t.http.get('/v1/audit-log?action=api_key.created').set(bearer(ownerToken));
    expect(audit.body.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ actorType: 'api_key', actorId: test.id, targetId: child.id, livemode: false })]),
    );
    const testAudit = await t.http.get('/v1/audit-log').set(bearer(test.key));
    expect(testAudit.status).toBe(200);
    expect(testAudit.body.data.length).toBeGreaterThan(0);
    expect(testAudit.body.data.every((entry: { livemode: boolean }) => entry.livemode === false)).toBe(true);
    const liveAudit = await t.http.get('/v1/audit-log').set(bearer(live.key));
    expect(liveAudit.body.data.some((entry: { actorId: string }) => entry.actorId === test.id)).toBe(false);
  });

  it('audits creation, roll and revocation with who did them', async () => {
    const { ownerToken, ownerId } = await createAccount(t);
    const key = await createKey(t, ownerToken, { mode: 'live' });
    const rolled = await t.http.post(`/v1/api-keys/${key.id}/roll`).set(bearer(ownerToken)).send({ expireOldInSeconds: 60 });
    await t.http.post(`/v1/api-keys/${rolled.body.id}/revoke`).set(bearer(ownerToken));
    const audit = await t.http.get('/v1/audit-log').set(bearer(ownerToken));
    const entries = audit.body.data.filter((entry: { action: string }) => entry.action.startsWith('api_key.'));
    expect(entries).toEqual([
      expect.objectContaining({ action: 'api_key.revoked', actorType: 'member', actorId: ownerId, targetId: rolled.body.id }),
      expect.objectContaining({
        action: 'api_key.rolled',
        actorId: ownerId,
        targetId: key.id,
        details: expect.objectContaining({ replacedById: rolled.body.id }),
      }),
      expect.objectContaining({ action: 'api_key.created', actorId: ownerId, targetId: key.id }),
    ]);
  });

  it('on Basic allows one test key and no live keys (402), and follows plan changes at use time', async () => {
    const { ownerToken } = await createAccount(t, 'basic');
    await createKey(t, ownerToken, { mode: 'test' });
    const second = await t.http.post('/v1/api-keys').set(bearer(ownerToken)).send({ name: 'x', mode: 'test' });
    expect(second.status).toBe(402);
    expect(second.body).toMatchObject({ code: 'plan_limit', plan: 'basic', feature: 'api_keys.test', limit: 1 });
    const live = await t.http.post('/v1/api-keys').set(bearer(ownerToken)).send({ name: 'x', mode: 'live' });
    expect(live.status).toBe(402);
    expect(live.body).toMatchObject({ code: 'plan_limit', feature: 'api_keys.live', limit: 0 });

    const admin = await t.token({ sub: 'operator', admin: true });
    const business = await createAccount(t, 'business');
    const oldest = await createKey(t, business.ownerToken, { mode: 'test' });
    const newer = await createKey(t, business.ownerToken, { mode: 'test' });
    const liveKey = await createKey(t, business.ownerToken, { mode: 'live' });
    for (const key of [oldest, newer, liveKey]) expect((await me(t, key.key)).status).toBe(200);
    // A roll keeps its place: the rolled oldest key still comes first.
    const rolledOldest = (await t.http.post(`/v1/api-keys/${oldest.id}/roll`).set(bearer(business.ownerToken)).send({ expireOldInSeconds: 600 })).body;

    const downgrade = await t.http.patch(`/v1/accounts/${business.accountId}`).set(bearer(admin)).send({ plan: 'basic' });
    expect(downgrade.status).toBe(200);
    expect((await me(t, liveKey.key)).body).toMatchObject({ status: 402, code: 'plan_limit', feature: 'api_keys.live', limit: 0 });
    expect((await me(t, newer.key)).body).toMatchObject({ status: 402, code: 'plan_limit', feature: 'api_keys.test', limit: 1 });
    expect((await me(t, oldest.key)).status).toBe(200);
    expect((await me(t, rolledOldest.key)).status).toBe(200);
    // Listing (reading) is not refused by plan; a second test key may not be created.
    expect((await t.http.get('/v1/api-keys').set(bearer(business.ownerToken))).body.data).toHaveLength(4);

    const upgrade = await t.http.patch(`/v1/accounts/${business.accountId}`).set(bearer(admin)).send({ plan: 'business' });
    expect(upgrade.status).toBe(200);
    for (const key of [liveKey, newer, rolledOldest]) expect((await me(t, key.key)).status).toBe(200);

    await t.http.patch(`/v1/accounts/${business.accountId}`).set(bearer(admin)).send({ plan: 'basic' });
    expect((await me(t, newer.key)).status).toBe(402);
    await t.http.post(`/v1/api-keys/${rolledOldest.id}/revoke`).set(bearer(business.ownerToken));
    await t.http.post(`/v1/api-keys/${oldest.id}/revoke`).set(bearer(business.ownerToken));
    expect((await me(t, newer.key)).status).toBe(200);
  });

  it('refuses key management to a host member and answers 404 for another account’s key', async () => {
    const { ownerToken, accountId } = await createAccount(t);
    const key = await createKey(t, ownerToken, { mode: 'live' });
    const host = await addMember(t, accountId, ownerToken, 'host');
    for (const request of [
      t.http.get('/v1/api-keys').set(bearer(host)),
      t.http.post('/v1/api-keys').set(bearer(host)).send({ name: 'x', mode: 'test' }),
      t.http.post(`/v1/api-keys/${key.id}/revoke`).set(bearer(host)),
      t.http.post(`/v1/api-keys/${key.id}/roll`).set(bearer(host)),
    ]) {
      const response = await request;
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('permission_denied');
    }
    const other = await createAccount(t);
    expect((await t.http.get(`/v1/api-keys/${key.id}`).set(bearer(other.ownerToken))).status).toBe(404);
    expect((await t.http.post(`/v1/api-keys/${key.id}/revoke`).set(bearer(other.ownerToken))).status).toBe(404);
    expect((await me(t, key.key)).status).toBe(200);
  });

  it('records lastUsedAt in batches, not with a write per request', async () => {
    const { ownerToken } = await createAccount(t);
    const key = await createKey(t, ownerToken, { mode: 'live' });
    const lazy = await startTestApp({ API_KEY_LAST_USED_FLUSH_MS: '3600000' });
    try {
      for (let i = 0; i < 3; i++) expect((await me(lazy, key.key)).status).toBe(200);
      const before = await db.query('select last_used_at from api_keys where id = $1', [key.id]);
      expect(before.rows[0].last_used_at).toBeNull();
    } finally {
      await lazy.close();
    }
    const flushedAtShutdown = await db.query('select last_used_at from api_keys where id = $1', [key.id]);
    expect(Date.now() - flushedAtShutdown.rows[0].last_used_at.getTime()).toBeLessThan(10_000);

    const usedAt = Date.now();
    await sleep(5);
    expect((await me(t, key.key)).status).toBe(200);
    await sleep(300);
    const listed = await t.http.get(`/v1/api-keys/${key.id}`).set(bearer(ownerToken));
    expect(Date.parse(listed.body.lastUsedAt)).toBeGreaterThan(usedAt);
  });
});
