import { subject } from '@casl/ability';
import pg from 'pg';
import type { AccountCaller } from '../../src/core/auth/caller.js';
import { AccessService } from '../../src/modules/rbac/access.service.js';
import { PERMISSIONS } from '../../src/modules/rbac/permissions.js';
import { addMember, bearer, createAccount, startTestApp, TestApp, uniqueId } from '../support/test-app.js';
import { sleep } from '../support/waiting.js';

describe('roles, members, /v1/me and the audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('describes the caller with role, permissions, packed rules, plan, limits and usage', async () => {
    const { accountId, ownerToken } = await createAccount(t, 'basic');
    const host = await addMember(t, accountId, ownerToken, 'host');
    const me = await t.http.get('/v1/me').set(bearer(host));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      account: { id: accountId },
      role: 'host',
      permissions: ['events.view', 'account.view'],
      plan: 'basic',
      livemode: true,
      limits: { webhooks: 0, 'api_keys.test': 1, 'api_keys.live': 0, 'integrations.payment': 1, 'integrations.default': 0 },
    });
    expect(me.body.userId).toEqual(expect.any(String));
    expect(me.body.rules).toEqual(expect.arrayContaining([expect.arrayContaining(['view', 'account'])]));
    expect(me.body.permissions).not.toContain('integrations.view');
    const test = await t.http.get('/v1/me').set(bearer(host)).set('Plugboard-Mode', 'test');
    expect(test.body.livemode).toBe(false);
  });

  it('shares an ability among callers alike in role, permissions, plan and usage, and builds a new one when any differs', async () => {
    const access = t.app.get(AccessService);
    const [one, two] = [await createAccount(t, 'basic'), await createAccount(t, 'basic')];
    const caller = (accountId: string, extra: Partial<AccountCaller> = {}): AccountCaller => ({
      kind: 'member',
      userId: 'shared-user',
      instanceAdmin: false,
      accountId,
      livemode: true,
      role: 'developer',
      permissions: new Set(['integrations.view', 'webhooks.view']),
      plan: 'basic',
      ...extra,
    });
    // The account and the mode are not the ability's: two accounts' members alike share it.
    expect(access.uncounted(caller(one.accountId))).toBe(access.uncounted(caller(two.accountId, { livemode: false })));
    const other = access.uncounted(caller(one.accountId, { userId: 'someone-else' }));
    expect(other).not.toBe(access.uncounted(caller(one.accountId)));
    expect(other.can('configure', subject('Connection', { owner: 'member', memberId: 'someone-else' }))).toBe(true);
    expect(other.can('configure', subject('Connection', { owner: 'member', memberId: 'shared-user' }))).toBe(false);
    const fewer = access.uncounted(caller(one.accountId, { permissions: new Set(['webhooks.view']) }));
    expect(fewer.can('view', 'Connection')).toBe(false);
    expect(access.uncounted(caller(one.accountId, { plan: 'business' }))).not.toBe(access.uncounted(caller(one.accountId)));

    // Usage is part of it: a Basic account's one calendar connection takes the plan's only place.
    const counted = async () => (await access.context(caller(one.accountId, { permissions: new Set(['integrations.manage', 'integrations.view']) }))).ability;
    const before = await counted();
    expect(before.can('connect', subject('Integration', { category: 'calendar', counted: false }))).toBe(true);
    expect(await counted()).toBe(before);
    await t.http.post('/v1/connections').set(bearer(one.ownerToken)).send({ provider: 'ical_feed' }).expect(201);
    const after = await counted();
    expect(after).not.toBe(before);
    expect(after.can('connect', subject('Integration', { category: 'calendar', counted: false }))).toBe(false);
  });

  it('counts usage only for a plan with a limit to reach, or when asked for it, as /v1/me is', async () => {
    const access = t.app.get(AccessService);
    const { accountId, ownerToken } = await createAccount(t, 'business');
    await t.http.post('/v1/connections').set(bearer(ownerToken)).send({ provider: 'ical_feed' }).expect(201);
    const caller = (plan: string): AccountCaller => ({
      kind: 'member',
      userId: 'usage-user',
      instanceAdmin: false,
      accountId,
      livemode: true,
      role: 'admin',
      permissions: new Set(['integrations.manage', 'integrations.view']),
      plan,
    });
    // Business only allows or refuses: nothing is counted, and the verdicts are the same.
    const business = caller('business');
    const uncounted = await access.context(business);
    expect(uncounted.usage).toEqual({});
    expect(uncounted.ability.can('connect', subject('Integration', { category: 'calendar', counted: false }))).toBe(true);
    const shown = await access.context(business, { withUsage: true });
    expect(shown.usage).toEqual({ 'integrations.calendar': 1 });
    expect(shown.ability).toBe(uncounted.ability);
    // Basic limits calendars to one: counted, and that one place is taken.
    const basic = await access.context(caller('basic'));
    expect(basic.usage).toEqual({ 'integrations.calendar': 1 });
    expect(basic.ability.can('connect', subject('Integration', { category: 'calendar', counted: false }))).toBe(false);
    const me = await t.http.get('/v1/me').set(bearer(ownerToken)).expect(200);
    expect(me.body.usage).toEqual({ 'integrations.calendar': 1 });
  });

  it('lists the permission catalog and built-in roles, and refuses to change built-in roles', async () => {
    const { ownerToken } = await createAccount(t);
    const permissions = await t.http.get('/v1/permissions?limit=100').set(bearer(ownerToken));
    expect(permissions.body.data).toHaveLength(PERMISSIONS.length);
    const roles = await t.http.get('/v1/roles').set(bearer(ownerToken));
    expect(roles.body.data.map((role: { key: string }) => role.key)).toEqual(['owner', 'admin', 'developer', 'host']);
    expect(roles.body.data.find((role: { key: string }) => role.key === 'host').permissions).not.toContain('integrations.view');
    expect((await t.http.patch('/v1/roles/admin').set(bearer(ownerToken)).send({ name: 'x' })).status).toBe(409);
    expect((await t.http.delete('/v1/roles/owner').set(bearer(ownerToken))).status).toBe(409);
    expect((await t.http.post('/v1/roles').set(bearer(ownerToken)).send({ key: 'host', name: 'Mine', permissions: [] })).status).toBe(409);
  });

  it('creates, uses, updates and deletes a custom role; a role in use cannot be deleted', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    const created = await t.http
      .post('/v1/roles')
      .set(bearer(ownerToken))
      .send({ key: 'auditor', name: 'Auditor', permissions: ['audit.view', 'members.view'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'auditor', builtIn: false });
    const auditor = await addMember(t, accountId, ownerToken, 'auditor');
    expect((await t.http.get('/v1/audit-log').set(bearer(auditor))).status).toBe(200);
    expect((await t.http.get('/v1/roles').set(bearer(auditor))).status).toBe(403);
    expect((await t.http.delete('/v1/roles/auditor').set(bearer(ownerToken))).status).toBe(409);
    const updated = await t.http
      .patch('/v1/roles/auditor')
      .set(bearer(ownerToken))
      .send({ permissions: ['members.view'] });
    expect(updated.status).toBe(200);
    const denied = await t.http.get('/v1/audit-log').set(bearer(auditor));
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'permission_denied', permission: 'audit.view' });
    expect(
      (
        await t.http
          .post('/v1/roles')
          .set(bearer(ownerToken))
          .send({ key: 'bad', name: 'Bad', permissions: ['root.everything'] })
      ).status,
    ).toBe(400);
  });

  it('refuses to grant a permission the caller does not hold, in a role or a membership', async () => {
    const { accountId, ownerToken } = await createAccount(t);
    await t.http
      .post('/v1/roles')
      .set(bearer(ownerToken))
      .send({ key: 'people', name: 'People', permissions: ['members.view', 'members.manage', 'roles.manage'] });
    const people = await addMember(t, accountId, ownerToken, 'people');
    const escalateRole = await t.http
      .post('/v1/roles')
      .set(bearer(people))
      .send({ key: 'sneaky', name: 'Sneaky', permissions: ['integrations.manage'] });
    expect(escalateRole.status).toBe(403);
    expect(escalateRole.body.permission).toBe('integrations.manage');
    const escalateMember = await t.http
      .post('/v1/members')
      .set(bearer(people))
      .send({ userId: uniqueId('u'), role: 'admin' });
    expect(escalateMember.status).toBe(403);
    expect(
      (
        await t.http
          .post('/v1/members')
          .set(bearer(people))
          .send({ userId: uniqueId('u'), role: 'people' })
      ).status,
    ).toBe(201);
  });

  it('never removes or demotes the last owner', async () => {
    const { accountId, ownerId, ownerToken } = await createAccount(t);
    expect((await t.http.patch(`/v1/members/${ownerId}`).set(bearer(ownerToken)).send({ role: 'admin' })).status).toBe(409);
    expect((await t.http.delete(`/v1/members/${ownerId}`).set(bearer(ownerToken))).status).toBe(409);
    const secondOwnerId = uniqueId('owner2');
    await t.http.post('/v1/members').set(bearer(ownerToken)).send({ userId: secondOwnerId, role: 'owner' });
    expect((await t.http.patch(`/v1/members/${ownerId}`).set(bearer(ownerToken)).send({ role: 'admin' })).status).toBe(200);
    const second = await t.token({ sub: secondOwnerId, account: accountId });
    expect((await t.http.delete(`/v1/members/${secondOwnerId}`).set(bearer(second))).status).toBe(409);
  });

  it('keeps accounts apart: another account’s member is not found', async () => {
    const first = await createAccount(t);
    const second = await createAccount(t);
    const response = await t.http.patch(`/v1/members/${second.ownerId}`).set(bearer(first.ownerToken)).send({ role: 'host' });
    expect(response.status).toBe(404);
  });

  it('audits who did what, filtered by action and time', async () => {
    const { ownerId, ownerToken, accountId } = await createAccount(t);
    const before = new Date(Date.now() - 1000).toISOString();
    await addMember(t, accountId, ownerToken, 'developer');
    const log = await t.http.get(`/v1/audit-log?action=member.added&since=${before}`).set(bearer(ownerToken));
    expect(log.status).toBe(200);
    expect(log.body.data).toHaveLength(1);
    expect(log.body.data[0]).toMatchObject({ action: 'member.added', actorType: 'member', actorId: ownerId, details: { role: 'developer' } });
  });

  it('changes an account plan as an instance admin, audited', async () => {
    const { accountId, ownerToken } = await createAccount(t, 'business');
    const admin = await t.token({ sub: 'operator', admin: true });
    const changed = await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'basic' });
    expect(changed.status).toBe(200);
    expect(changed.body.plan).toBe('basic');
    expect((await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'platinum' })).status).toBe(400);
    const log = await t.http.get('/v1/audit-log?action=account.plan_changed').set(bearer(ownerToken));
    expect(log.body.data[0]).toMatchObject({ actorId: 'operator', details: { from: 'business', to: 'basic' } });
    expect((await t.http.get('/v1/me').set(bearer(ownerToken))).body.plan).toBe('basic');
  });

  it('changes a member’s access on a second replica within one second (Redis pub/sub, not the cache TTL)', async () => {
    const second = await startTestApp({ MEMBER_CACHE_TTL_MS: '600000' });
    const db = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
    /** Polls the second replica until `settled` holds, for at most a second. */
    const onSecond = async (token: string, path: string, settled: (response: { status: number; body: any }) => boolean) => {
      const started = Date.now();
      let response = await second.http.get(path).set(bearer(token));
      while (!settled(response) && Date.now() - started < 1000) {
        await sleep(10);
        response = await second.http.get(path).set(bearer(token));
      }
      return response;
    };
    try {
      const { accountId, ownerToken } = await createAccount(t, 'business');
      await t.http
        .post('/v1/roles')
        .set(bearer(ownerToken))
        .send({ key: 'auditor', name: 'Auditor', permissions: ['audit.view'] });
      const auditor = await addMember(t, accountId, ownerToken, 'auditor');
      const developer = await addMember(t, accountId, ownerToken, 'developer');
      expect((await second.http.get('/v1/audit-log').set(bearer(auditor))).status).toBe(200);
      expect((await second.http.get('/v1/me').set(bearer(developer))).body).toMatchObject({ role: 'developer', plan: 'business' });

      // The second replica answers from its cache: a database change alone does not reach it.
      await db.query(`update accounts set name = 'Renamed behind its back' where id = $1`, [accountId]);
      expect((await second.http.get('/v1/me').set(bearer(developer))).body.account.name).not.toBe('Renamed behind its back');

      // A custom role losing a permission, through the API of the first replica.
      await t.http
        .patch('/v1/roles/auditor')
        .set(bearer(ownerToken))
        .send({ permissions: ['members.view'] });
      expect((await onSecond(auditor, '/v1/audit-log', (response) => response.status !== 200)).status).toBe(403);

      // A member's role, then the account's plan, then the membership itself.
      const developerId = (await t.http.get('/v1/me').set(bearer(developer))).body.userId;
      await t.http.patch(`/v1/members/${developerId}`).set(bearer(ownerToken)).send({ role: 'host' });
      expect((await onSecond(developer, '/v1/me', (response) => response.body.role === 'host')).body.role).toBe('host');
      const admin = await t.token({ sub: 'operator', admin: true });
      await t.http.patch(`/v1/accounts/${accountId}`).set(bearer(admin)).send({ plan: 'basic' });
      expect((await onSecond(developer, '/v1/me', (response) => response.body.plan === 'basic')).body).toMatchObject({
        plan: 'basic',
        account: { name: 'Renamed behind its back' },
      });
      await t.http.delete(`/v1/members/${developerId}`).set(bearer(ownerToken));
      expect((await onSecond(developer, '/v1/me', (response) => response.status !== 200)).status).toBe(403);
    } finally {
      await db.end();
      await second.close();
    }
  });
});
