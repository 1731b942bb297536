import { BUILT_IN_ROLES, PERMISSIONS } from '../../src/modules/rbac/permissions.js';
import { bearer, createAccount, startTestApp, TestApp, uniqueId } from '../support/test-app.js';

/**
 * Every route that creates, changes, rolls, revokes or deletes something carrying permissions (API keys,
 * members, roles), walked as every built-in role, a few custom roles and API keys, against fresh targets
 * of every kind. A model of the rule — the caller must hold every permission the target holds or would
 * hold, and owners are touched only by owners — predicts each answer; after every success the test also
 * checks that no caller ended up with, or handed out, a permission it lacks.
 */
const CUSTOM_ROLES: Record<string, string[]> = {
  member_admin: ['members.manage', 'members.view', 'roles.manage'],
  key_manager: ['api_keys.manage', 'api_keys.view', 'events.publish'],
  role_manager: ['roles.manage', 'members.view', 'events.view'],
};
const ROLE_PERMISSIONS: Record<string, readonly string[]> = {
  ...Object.fromEntries(BUILT_IN_ROLES.map((role) => [role.key, role.permissions])),
  ...CUSTOM_ROLES,
};
const ASSIGNABLE_ROLES = Object.keys(ROLE_PERMISSIONS);
const PERMISSION_SETS: Record<string, string[]> = {
  narrow: ['events.view'],
  keys: ['api_keys.manage', 'api_keys.view'],
  members: ['members.manage', 'members.view'],
  everything: [...PERMISSIONS],
};

interface Actor {
  name: string;
  token: string;
  /** Null for API keys: they hold permissions, not a role. */
  role: string | null;
  permissions: ReadonlySet<string>;
  apiKeyId?: string;
}

interface Case {
  label: string;
  allowed: boolean;
  run: () => Promise<{ status: number; body: Record<string, unknown> }>;
  /** After a success: what the caller now holds or handed out, which must be within its permissions. */
  granted?: (body: Record<string, unknown>) => Promise<string[]>;
}

const within = (permissions: Iterable<string>, holder: ReadonlySet<string>) => [...permissions].every((permission) => holder.has(permission));

describe('no caller gains or hands out a permission it lacks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function setUpAccount() {
    const { accountId, ownerToken } = await createAccount(t);
    for (const [key, permissions] of Object.entries(CUSTOM_ROLES)) {
      const created = await t.http.post('/v1/roles').set(bearer(ownerToken)).send({ key, name: key, permissions });
      expect(created.status).toBe(201);
    }
    const addMember = async (role: string) => {
      const userId = uniqueId(role);
      const added = await t.http.post('/v1/members').set(bearer(ownerToken)).send({ userId, role });
      expect(added.status).toBe(201);
      return { userId, token: await t.token({ sub: userId, account: accountId }) };
    };
    const createKey = async (token: string, permissions: string[]) => {
      const created = await t.http.post('/v1/api-keys').set(bearer(token)).send({ name: 'target', mode: 'live', permissions });
      expect(created.status).toBe(201);
      return created.body as { id: string; key: string };
    };
    const developer = await addMember('developer');
    return { accountId, ownerToken, developerToken: developer.token, addMember, createKey };
  }

  /** The callers: each built-in and custom role, an owner's key limited to managing keys and members, and a developer's key. */
  async function actorsOf(account: Awaited<ReturnType<typeof setUpAccount>>): Promise<Actor[]> {
    const actors: Actor[] = [];
    for (const role of ASSIGNABLE_ROLES) {
      const { token } = role === 'owner' ? { token: account.ownerToken } : await account.addMember(role);
      actors.push({ name: role, token, role, permissions: new Set(ROLE_PERMISSIONS[role]) });
    }
    const managerPermissions = [...PERMISSION_SETS.keys, ...PERMISSION_SETS.members, 'roles.manage'];
    const ownersKey = await account.createKey(account.ownerToken, managerPermissions);
    actors.push({ name: "owner's managing key", token: ownersKey.key, role: null, permissions: new Set(managerPermissions), apiKeyId: ownersKey.id });
    const developersKey = await account.createKey(account.developerToken, [...ROLE_PERMISSIONS.developer]);
    actors.push({
      name: "developer's key",
      token: developersKey.key,
      role: null,
      permissions: new Set(ROLE_PERMISSIONS.developer),
      apiKeyId: developersKey.id,
    });
    return actors;
  }

  function keyCases(account: Awaited<ReturnType<typeof setUpAccount>>, actor: Actor): Case[] {
    const cases: Case[] = [];
    const creators: Record<string, { token: string; permissions: readonly string[] }> = {
      owner: { token: account.ownerToken, permissions: ROLE_PERMISSIONS.owner },
      developer: { token: account.developerToken, permissions: ROLE_PERMISSIONS.developer },
    };
    for (const [setName, permissions] of Object.entries(PERMISSION_SETS)) {
      cases.push({
        label: `create a key holding ${setName}`,
        allowed: actor.permissions.has('api_keys.manage') && within(permissions, actor.permissions),
        run: () => t.http.post('/v1/api-keys').set(bearer(actor.token)).send({ name: 'new', mode: 'live', permissions }),
        granted: (body) => Promise.resolve(body.permissions as string[]),
      });
      for (const [creatorName, creator] of Object.entries(creators)) {
        if (!within(permissions, new Set(creator.permissions))) continue;
        const authority = new Set([...permissions, ...creator.permissions]);
        for (const action of ['roll', 'revoke'] as const) {
          cases.push({
            label: `${action} a key holding ${setName} made by the ${creatorName}`,
            allowed: actor.permissions.has('api_keys.manage') && within(authority, actor.permissions),
            run: async () => {
              const target = await account.createKey(creator.token, permissions);
              return t.http.post(`/v1/api-keys/${target.id}/${action}`).set(bearer(actor.token)).send({});
            },
            granted: async (body) => (action === 'roll' ? (await t.http.get('/v1/me').set(bearer(body.key as string))).body.permissions : []),
          });
        }
      }
    }
    return cases;
  }

  function memberCases(account: Awaited<ReturnType<typeof setUpAccount>>, actor: Actor): Case[] {
    const cases: Case[] = [];
    const mayManage = actor.permissions.has('members.manage');
    const isOwner = actor.role === 'owner';
    for (const role of ASSIGNABLE_ROLES) {
      cases.push({
        label: `add a member as ${role}`,
        allowed: mayManage && within(ROLE_PERMISSIONS[role], actor.permissions) && (role !== 'owner' || isOwner),
        run: () =>
          t.http
            .post('/v1/members')
            .set(bearer(actor.token))
            .send({ userId: uniqueId('new'), role }),
        granted: () => Promise.resolve([...ROLE_PERMISSIONS[role]]),
      });
      for (const targetRole of ASSIGNABLE_ROLES) {
        cases.push({
          label: `change a ${targetRole} to ${role}`,
          allowed:
            mayManage &&
            within(ROLE_PERMISSIONS[role], actor.permissions) &&
            within(ROLE_PERMISSIONS[targetRole], actor.permissions) &&
            ((role !== 'owner' && targetRole !== 'owner') || isOwner),
          run: async () => {
            const target = await account.addMember(targetRole);
            return t.http.patch(`/v1/members/${target.userId}`).set(bearer(actor.token)).send({ role });
          },
          granted: () => Promise.resolve([...ROLE_PERMISSIONS[role]]),
        });
      }
      cases.push({
        label: `remove a ${role}`,
        allowed: mayManage && within(ROLE_PERMISSIONS[role], actor.permissions) && (role !== 'owner' || isOwner),
        run: async () => {
          const target = await account.addMember(role);
          return t.http.delete(`/v1/members/${target.userId}`).set(bearer(actor.token));
        },
      });
      if (actor.role) {
        // A member changing their own role: a twin of the actor, so the actor itself stays as it is.
        cases.push({
          label: `change their own role to ${role}`,
          allowed: mayManage && within(ROLE_PERMISSIONS[role], actor.permissions) && (role !== 'owner' || isOwner),
          run: async () => {
            const twin = await account.addMember(actor.role!);
            return t.http.patch(`/v1/members/${twin.userId}`).set(bearer(twin.token)).send({ role });
          },
          granted: () => Promise.resolve([...ROLE_PERMISSIONS[role]]),
        });
      }
    }
    return cases;
  }

  function roleCases(account: Awaited<ReturnType<typeof setUpAccount>>, actor: Actor): Case[] {
    const cases: Case[] = [];
    const mayManage = actor.permissions.has('roles.manage');
    const freshRole = async (permissions: string[]) => {
      const key = uniqueId('role').replace(/[^a-z0-9_]/g, '');
      const created = await t.http.post('/v1/roles').set(bearer(account.ownerToken)).send({ key, name: key, permissions });
      expect(created.status).toBe(201);
      return key;
    };
    for (const [setName, permissions] of Object.entries(PERMISSION_SETS)) {
      cases.push({
        label: `create a role holding ${setName}`,
        allowed: mayManage && within(permissions, actor.permissions),
        run: () => {
          const key = uniqueId('role').replace(/[^a-z0-9_]/g, '');
          return t.http.post('/v1/roles').set(bearer(actor.token)).send({ key, name: key, permissions });
        },
        granted: (body) => Promise.resolve(body.permissions as string[]),
      });
      for (const [targetName, targetPermissions] of Object.entries(PERMISSION_SETS)) {
        cases.push({
          label: `change a role holding ${targetName} to ${setName}`,
          allowed: mayManage && within(permissions, actor.permissions) && within(targetPermissions, actor.permissions),
          run: async () =>
            t.http
              .patch(`/v1/roles/${await freshRole(targetPermissions)}`)
              .set(bearer(actor.token))
              .send({ permissions }),
          granted: (body) => Promise.resolve(body.permissions as string[]),
        });
      }
      cases.push({
        label: `delete a role holding ${setName}`,
        allowed: mayManage && within(permissions, actor.permissions),
        run: async () => t.http.delete(`/v1/roles/${await freshRole(permissions)}`).set(bearer(actor.token)),
      });
    }
    return cases;
  }

  it('answers every permission-carrying route exactly as the rule says, for every kind of caller', async () => {
    const account = await setUpAccount();
    const actors = await actorsOf(account);
    const mismatches: string[] = [];
    let allowed = 0;
    let refused = 0;
    for (const actor of actors) {
      for (const testCase of [...keyCases(account, actor), ...memberCases(account, actor), ...roleCases(account, actor)]) {
        const response = await testCase.run();
        const succeeded = response.status >= 200 && response.status < 300;
        const line = `${actor.name}: ${testCase.label} → ${response.status} ${(response.body?.code as string) ?? ''}`;
        if (succeeded !== testCase.allowed || (!succeeded && response.status !== 403)) {
          mismatches.push(`${line} (expected ${testCase.allowed ? 'success' : '403'})`);
          continue;
        }
        if (succeeded) {
          allowed++;
          const granted = (await testCase.granted?.(response.body)) ?? [];
          const beyond = granted.filter((permission) => !actor.permissions.has(permission));
          if (beyond.length > 0) mismatches.push(`${line}: handed out ${beyond.join(', ')}`);
        } else {
          refused++;
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The walk must exercise both sides of the rule, or it proves nothing.
    expect(allowed).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  }, 300_000);

  it('caps how long a rolled key keeps working at API_KEY_MAX_OVERLAP', async () => {
    const { ownerToken } = await createAccount(t);
    const key = (await t.http.post('/v1/api-keys').set(bearer(ownerToken)).send({ name: 'k', mode: 'live' })).body;
    const tooLong = await t.http.post(`/v1/api-keys/${key.id}/roll`).set(bearer(ownerToken)).send({ expireOldInSeconds: 3601 });
    expect([tooLong.status, tooLong.body.code, tooLong.body.errors?.[0]?.path]).toEqual([400, 'validation_failed', 'expireOldInSeconds']);
    const rolled = await t.http.post(`/v1/api-keys/${key.id}/roll`).set(bearer(ownerToken)).send({ expireOldInSeconds: 3600 });
    expect(rolled.status).toBe(201);
    const old = await t.http.get(`/v1/api-keys/${key.id}`).set(bearer(ownerToken));
    expect(new Date(old.body.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it('lets a key revoke itself whoever made it', async () => {
    const { ownerToken } = await createAccount(t);
    const key = (
      await t.http
        .post('/v1/api-keys')
        .set(bearer(ownerToken))
        .send({ name: 'k', mode: 'live', permissions: ['api_keys.manage'] })
    ).body;
    const revoked = await t.http.post(`/v1/api-keys/${key.id}/revoke`).set(bearer(key.key));
    expect(revoked.status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(key.key))).status).toBe(401);
  });
});
