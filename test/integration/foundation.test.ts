import { addMember, createAccount, startTestApp, TestApp } from '../support/test-app.js';
import { sleep } from '../support/waiting.js';

describe('foundation: accounts, members, auth and errors over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('creates an account whose owner is a member, and lists it for instance admins', async () => {
    const { accountId, ownerId, ownerToken } = await createAccount(t, 'basic');
    const admin = await t.token({ sub: 'operator', admin: true });
    const fetched = await t.http.get(`/v1/accounts/${accountId}`).set('Authorization', `Bearer ${admin}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: accountId, plan: 'basic' });
    const members = await t.http.get('/v1/members').set('Authorization', `Bearer ${ownerToken}`);
    expect(members.status).toBe(200);
    expect(members.body.data).toEqual([expect.objectContaining({ userId: ownerId, role: 'owner' })]);
    expect(members.body.nextCursor).toBeNull();
  });

  it('refuses instance routes to account members', async () => {
    const { ownerToken } = await createAccount(t);
    const response = await t.http.get('/v1/accounts').set('Authorization', `Bearer ${ownerToken}`);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('permission_denied');
  });

  it('rejects a token with a bad signature, an expired token and a missing token with 401', async () => {
    const { accountId, ownerId } = await createAccount(t);
    const good = await t.token({ sub: ownerId, account: accountId });
    const tampered = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    const expired = await t.token({ sub: ownerId, account: accountId, expiresIn: Math.floor(Date.now() / 1000) - 60 });
    for (const [token, reason] of [
      [tampered, 'token_invalid'],
      [expired, 'token_expired'],
    ]) {
      const response = await t.http.get('/v1/members').set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({ code: 'unauthenticated', reason });
    }
    const missing = await t.http.get('/v1/members');
    expect(missing.status).toBe(401);
  });

  it('stops accepting a token it verified once as soon as the token expires', async () => {
    const { accountId, ownerId } = await createAccount(t);
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const shortLived = await t.token({ sub: ownerId, account: accountId, expiresIn: expiresAt });
    expect((await t.http.get('/v1/me').set('Authorization', `Bearer ${shortLived}`)).status).toBe(200);
    await sleep(expiresAt * 1000 - Date.now() + 50);
    const response = await t.http.get('/v1/me').set('Authorization', `Bearer ${shortLived}`);
    expect(response.status).toBe(401);
    expect(response.body.reason).toBe('token_expired');
  });

  it('answers 403 to a valid token whose subject is not a member of the account', async () => {
    const { accountId } = await createAccount(t);
    const stranger = await t.token({ sub: 'stranger', account: accountId });
    const response = await t.http.get('/v1/me').set('Authorization', `Bearer ${stranger}`);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('permission_denied');
  });

  it('answers problem+json with every bad field for validation errors', async () => {
    const admin = await t.token({ sub: 'operator', admin: true });
    const response = await t.http.post('/v1/accounts').set('Authorization', `Bearer ${admin}`).send({ name: '', extra: 1 });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.code).toBe('validation_failed');
    const paths = response.body.errors.map((error: { path: string }) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'ownerId', 'extra']));
  });

  it('answers 400 for malformed JSON and 413 for a body over the limit', async () => {
    const admin = await t.token({ sub: 'operator', admin: true });
    const malformed = await t.http.post('/v1/accounts').set('Authorization', `Bearer ${admin}`).set('Content-Type', 'application/json').send('{"name":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('validation_failed');
    const huge = await t.http
      .post('/v1/accounts')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: 'x'.repeat(2 * 1024 * 1024), ownerId: 'o' });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('payload_too_large');
  });

  it('answers unknown routes with a 404 problem and echoes X-Request-Id', async () => {
    const response = await t.http.get('/v1/nothing-here').set('X-Request-Id', 'req-abc-123');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'not_found', status: 404 });
    expect(response.headers['x-request-id']).toBe('req-abc-123');
    const generated = await t.http.get('/health/live');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 404 for a malformed or unknown account id', async () => {
    const admin = await t.token({ sub: 'operator', admin: true });
    expect((await t.http.get('/v1/accounts/not-a-uuid').set('Authorization', `Bearer ${admin}`)).status).toBe(404);
    expect((await t.http.get(`/v1/accounts/${crypto.randomUUID()}`).set('Authorization', `Bearer ${admin}`)).status).toBe(404);
  });

  it('pages lists with limit and cursor', async () => {
    const { ownerToken, accountId } = await createAccount(t);
    for (let i = 0; i < 3; i++) await addMember(t, accountId, ownerToken, 'host');
    const first = await t.http.get('/v1/members?limit=2').set('Authorization', `Bearer ${ownerToken}`);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t.http.get(`/v1/members?limit=2&cursor=${first.body.nextCursor}`).set('Authorization', `Bearer ${ownerToken}`);
    expect(second.body.data).toHaveLength(2);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((member: { userId: string }) => member.userId);
    expect(new Set(ids).size).toBe(4);
    const bad = await t.http.get('/v1/members?limit=101').set('Authorization', `Bearer ${ownerToken}`);
    expect(bad.status).toBe(400);
  });

  it('replays a creating POST with the same Idempotency-Key and refuses it with another body', async () => {
    const { ownerToken } = await createAccount(t);
    const send = (userId: string) =>
      t.http.post('/v1/members').set('Authorization', `Bearer ${ownerToken}`).set('Idempotency-Key', 'add-member-1').send({ userId, role: 'host' });
    const first = await send('same_user');
    const again = await send('same_user');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await send('other_user');
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('conflict');
  });

  it('reports readiness of the database and Redis', async () => {
    const response = await t.http.get('/health/ready');
    expect(response.status).toBe(200);
    expect(response.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });
});
