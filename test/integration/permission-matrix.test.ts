import { BUILT_IN_ROLES } from '../../src/modules/rbac/permissions.js';
import { buildOpenApiDocument } from '../../src/core/openapi/openapi.js';
import { addMember, createAccount, startTestApp, TestApp } from '../support/test-app.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface Operation {
  method: Method;
  path: string;
  permission: string;
}

/**
 * Every operation in the OpenAPI document, called as every built-in role: a role without the
 * operation's permission gets 403 permission_denied, a role with it gets past authorization. A new
 * route without a declared permission fails this test.
 */
describe('permission matrix over every documented operation', () => {
  let t: TestApp;
  let operations: Operation[];
  const tokens: Record<string, string> = {};
  let instanceAdmin: string;

  beforeAll(async () => {
    t = await startTestApp();
    const document = buildOpenApiDocument(t.app);
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      (['get', 'post', 'put', 'patch', 'delete'] as Method[])
        .filter((method) => item[method])
        .map((method) => ({ method, path, permission: (item[method] as unknown as Record<string, unknown>)['x-permission'] as string })),
    );
    const { accountId, ownerToken } = await createAccount(t, 'business');
    tokens.owner = ownerToken;
    for (const role of ['admin', 'developer', 'host']) tokens[role] = await addMember(t, accountId, ownerToken, role);
    instanceAdmin = await t.token({ sub: 'operator', admin: true });
  });
  afterAll(() => t.close());

  const call = (operation: Operation, token?: string) => {
    const url = operation.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
    const request = t.http[operation.method](url);
    if (token) request.set('Authorization', `Bearer ${token}`);
    return ['post', 'put', 'patch'].includes(operation.method) ? request.send({}) : request;
  };

  it('documents a permission (or public / instance_admin / account) for every operation', () => {
    expect(operations.length).toBeGreaterThan(10);
    expect(operations.filter((operation) => !operation.permission).map((o) => `${o.method} ${o.path}`)).toEqual([]);
  });

  it('refuses every non-public operation without credentials', async () => {
    for (const operation of operations.filter((o) => o.permission !== 'public')) {
      const response = await call(operation);
      expect([operation.path, response.status]).toEqual([operation.path, 401]);
    }
  });

  it.each(BUILT_IN_ROLES.map((role) => [role.key, role.permissions] as const))('allows and denies exactly by the %s role', async (role, permissions) => {
    for (const operation of operations.filter((o) => o.permission !== 'public')) {
      const response = await call(operation, tokens[role]);
      const allowed = operation.permission === 'account' || (permissions as readonly string[]).includes(operation.permission);
      const outcome = `${operation.method.toUpperCase()} ${operation.path} → ${response.status} ${response.body?.code ?? ''}`;
      if (allowed) {
        expect([401, 403]).not.toContain(response.status);
      } else {
        expect(outcome).toMatch(/ 403 permission_denied$/);
      }
    }
  });

  it('lets only instance administrators call instance operations', async () => {
    for (const operation of operations.filter((o) => o.permission === 'instance_admin')) {
      const response = await call(operation, instanceAdmin);
      expect([`${operation.method} ${operation.path}`, [401, 403].includes(response.status)]).toEqual([`${operation.method} ${operation.path}`, false]);
    }
  });
});
