import { BUILT_IN_ROLES } from '../../src/modules/rbac/permissions.js';
import { buildOpenApiDocument } from '../../src/core/openapi/openapi.js';
import { addMember, createAccount, startTestApp, TestApp } from '../support/test-app.js';

/**
 * What each operation needs, written down independently of the decorators: a route tagged with the wrong
 * permission (or a new route nobody placed here) fails the test below.
 */
const EXPECTED_PERMISSIONS: Record<string, string> = {
  'GET /v1/audit-log': 'audit.view',
  'GET /v1/roles': 'roles.manage',
  'POST /v1/roles': 'roles.manage',
  'PATCH /v1/roles/{key}': 'roles.manage',
  'DELETE /v1/roles/{key}': 'roles.manage',
  'GET /v1/permissions': 'roles.manage',
  'GET /v1/accounts': 'instance_admin',
  'POST /v1/accounts': 'instance_admin',
  'GET /v1/accounts/{id}': 'instance_admin',
  'PATCH /v1/accounts/{id}': 'instance_admin',
  'GET /v1/me': 'account',
  'GET /v1/members': 'members.view',
  'POST /v1/members': 'members.manage',
  'PATCH /v1/members/{userId}': 'members.manage',
  'DELETE /v1/members/{userId}': 'members.manage',
  'GET /v1/api-keys': 'api_keys.view',
  'POST /v1/api-keys': 'api_keys.manage',
  'GET /v1/api-keys/{id}': 'api_keys.view',
  'POST /v1/api-keys/{id}/revoke': 'api_keys.manage',
  'POST /v1/api-keys/{id}/roll': 'api_keys.manage',
  'GET /v1/event-types': 'events.view',
  'GET /v1/events': 'events.view',
  'POST /v1/events': 'events.publish',
  'GET /v1/webhooks': 'webhooks.view',
  'POST /v1/webhooks': 'webhooks.manage',
  'GET /v1/webhooks/{id}': 'webhooks.view',
  'PATCH /v1/webhooks/{id}': 'webhooks.manage',
  'DELETE /v1/webhooks/{id}': 'webhooks.manage',
  'GET /v1/webhooks/{id}/secret': 'webhooks.manage',
  'POST /v1/webhooks/{id}/rotate-secret': 'webhooks.manage',
  'POST /v1/webhooks/{id}/test': 'webhooks.manage',
  'GET /v1/webhooks/{id}/deliveries': 'webhooks.view',
  'GET /v1/webhooks/{id}/deliveries/{deliveryId}': 'webhooks.view',
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry': 'webhooks.manage',
  'POST /v1/webhooks/{id}/recover': 'webhooks.manage',
  'GET /v1/providers': 'integrations.view',
  'GET /v1/providers/{id}': 'integrations.view',
  'GET /v1/integrations': 'integrations.view',
  'GET /v1/integrations/{provider}': 'integrations.view',
  'PUT /v1/integrations/{provider}': 'integrations.manage',
  'PATCH /v1/integrations/{provider}': 'integrations.manage',
  'POST /v1/integrations/{provider}/disconnect': 'integrations.manage',
  'POST /v1/integrations/{provider}/oauth/start': 'integrations.manage',
  'POST /v1/integrations/{provider}/refresh': 'integrations.manage',
  'POST /v1/integrations/{provider}/health-check': 'integrations.manage',
  'POST /v1/integrations/{provider}/sync': 'integrations.manage',
  'GET /v1/integrations/{provider}/syncs': 'integrations.view',
  'GET /v1/integrations/{provider}/records': 'integrations.view',
  'POST /v1/integrations/{provider}/actions/{action}': 'integrations.manage',
  'GET /v1/integrations/{provider}/proxy/{path}': 'integrations.manage',
  'POST /v1/integrations/{provider}/proxy/{path}': 'integrations.manage',
  'PUT /v1/integrations/{provider}/proxy/{path}': 'integrations.manage',
  'PATCH /v1/integrations/{provider}/proxy/{path}': 'integrations.manage',
  'DELETE /v1/integrations/{provider}/proxy/{path}': 'integrations.manage',
  'GET /v1/connections': 'integrations.view|connections.manage',
  'POST /v1/connections': 'integrations.view|connections.manage',
  'POST /v1/connections/oauth/start': 'integrations.view|connections.manage',
  'GET /v1/connections/{id}': 'integrations.view|connections.manage',
  'PATCH /v1/connections/{id}': 'integrations.view|connections.manage',
  'DELETE /v1/connections/{id}': 'integrations.view|connections.manage',
  'POST /v1/connections/{id}/default': 'integrations.view|connections.manage',
  'POST /v1/connections/{id}/oauth/start': 'integrations.view|connections.manage',
  'POST /v1/connections/{id}/refresh': 'integrations.view|connections.manage',
  'POST /v1/connections/{id}/health-check': 'integrations.view|connections.manage',
  'POST /v1/connections/{id}/sync': 'integrations.view|connections.manage',
  'GET /v1/connections/{id}/sync-runs': 'integrations.view|connections.manage',
  'GET /v1/connections/{id}/records': 'integrations.view|connections.manage',
  'POST /v1/connections/{id}/actions/{action}': 'integrations.view|connections.manage',
  'GET /v1/connections/{id}/proxy/{path}': 'integrations.view|connections.manage',
  'POST /v1/connections/{id}/proxy/{path}': 'integrations.view|connections.manage',
  'PUT /v1/connections/{id}/proxy/{path}': 'integrations.view|connections.manage',
  'PATCH /v1/connections/{id}/proxy/{path}': 'integrations.view|connections.manage',
  'DELETE /v1/connections/{id}/proxy/{path}': 'integrations.view|connections.manage',
  'POST /v1/connect-sessions': 'connections.manage',
  'GET /v1/branding': 'integrations.view|connections.manage',
  'PUT /v1/branding': 'connections.manage',
  'GET /v1/connect/session': 'public',
  'POST /v1/connect/connections': 'public',
  'POST /v1/connect/oauth/start': 'public',
  'GET /v1/oauth/callback': 'public',
  'GET /v1/sso/callback': 'public',
  'POST /v1/console/links': 'account',
  'POST /v1/console/sessions': 'public',
  'GET /v1/console/sessions/current': 'public',
  'DELETE /v1/console/sessions/current': 'public',
  'GET /v1/sso/{provider}/authorize': 'public',
  'POST /v1/sso/token': 'sso.exchange',
  'GET /mcp': 'mcp.use',
  'POST /mcp': 'mcp.use',
  'POST /v1/hooks/{integrationId}': 'public',
  'GET /v1/feeds/{integrationId}/{file}': 'public',
  'GET /v1/onboarding': 'integrations.view',
  'POST /v1/onboarding/skip': 'integrations.manage',
  'DELETE /v1/onboarding/skip/{provider}': 'integrations.manage',
  'POST /v1/onboarding/complete': 'integrations.manage',
  'PUT /v1/onboarding/levels/{provider}': 'integrations.manage',
  'GET /v1/accounts/{accountId}/onboarding/levels': 'instance_admin',
  'PUT /v1/accounts/{accountId}/onboarding/levels/{provider}': 'instance_admin',
  'GET /v1/feature-flags': 'integrations.view',
  'GET /v1/feature-flags/evaluate': 'integrations.view|account.view',
  'GET /v1/feature-flags/{key}': 'integrations.view',
  'PATCH /v1/feature-flags/{key}': 'integrations.manage',
  'GET /v1/notices': 'integrations.view',
  'GET /v1/notices/settings': 'integrations.view',
  'PUT /v1/notices/settings': 'integrations.manage',
  'GET /v1/notices/preferences': 'integrations.view',
  'PUT /v1/notices/preferences': 'integrations.view',
  'GET /v1/notices/{id}': 'integrations.view',
  'POST /v1/notices/{id}/dismiss': 'integrations.manage',
  'GET /v1/plugins': 'instance_admin',
  'POST /v1/plugins': 'instance_admin',
  'POST /v1/plugins/{name}/enable': 'instance_admin',
  'POST /v1/plugins/{name}/disable': 'instance_admin',
  'DELETE /v1/plugins/{name}': 'instance_admin',
  'GET /v1/marketplace': 'instance_admin',
};

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface Operation {
  method: Method;
  path: string;
  permission: string;
  /** Set on the typed copies of the generic routes, one per loaded provider and action. */
  provider?: string;
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
        .map((method) => {
          const operation = item[method] as unknown as Record<string, unknown>;
          return { method, path, permission: operation['x-permission'] as string, provider: operation['x-plugboard-provider'] as string | undefined };
        }),
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

  it('tags every operation with the permission the expected table gives it', () => {
    const tagged = Object.fromEntries(operations.filter((o) => !o.provider).map((o) => [`${o.method.toUpperCase()} ${o.path}`, o.permission]));
    expect(tagged).toEqual(EXPECTED_PERMISSIONS);
  });

  it("gives each provider's typed operations the permission of the generic route they fill in", () => {
    const typed = operations.filter((o) => o.provider);
    expect(typed.length).toBeGreaterThan(10);
    for (const operation of typed) {
      const generic = operation.path
        .replace(`/v1/integrations/${operation.provider}`, '/v1/integrations/{provider}')
        .replace(/\/actions\/[^/]+$/, '/actions/{action}');
      expect([operation.path, operation.permission]).toEqual([operation.path, EXPECTED_PERMISSIONS[`${operation.method.toUpperCase()} ${generic}`]]);
    }
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
      const allowed =
        operation.permission === 'account' || operation.permission.split('|').some((permission) => (permissions as readonly string[]).includes(permission));
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
