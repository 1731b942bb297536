import { jest } from '@jest/globals';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { clerkSecretKey, clerkWebhookSecret, startFakeClerk, svixSignature, type FakeClerk, type FakeClerkUser } from '../fixtures/providers/clerk.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let clerk: Json;
let fake: FakeClerk;
const WEBHOOK_SECRET = clerkWebhookSecret();

beforeAll(async () => {
  plugin = await loadBundledPlugin('clerk');
  clerk = plugin.providers[0];
  fake = await startFakeClerk();
});
afterAll(() => fake.close());
afterEach(() => jest.restoreAllMocks());

const harness = (credentials: Record<string, unknown> = { secretKey: fake.secretKey, webhookSecret: WEBHOOK_SECRET }) =>
  createHarness(plugin, { provider: 'clerk', credentials, http: forwardTo(fake.origins) });

const since = (before: number) => fake.state.requests.slice(before);

async function failure(call: Promise<unknown>): Promise<Error & { code?: string; retryAfterSeconds?: number }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { code?: string; retryAfterSeconds?: number };
  }
  throw new Error('the call succeeded');
}

describe('clerk plugin', () => {
  let ana: FakeClerkUser;
  let bo: FakeClerkUser;
  let orgId: string;

  beforeAll(() => {
    ana = fake.state.addUser({
      email: 'ana@example.com',
      first_name: 'Ana',
      last_name: 'Lima',
      username: 'ana',
      public_metadata: { plan: 'pro' },
      last_sign_in_at: Date.UTC(2026, 0, 4),
    });
    bo = fake.state.addUser({ email: 'bo@example.com', first_name: 'Bo' });
    const cy = fake.state.addUser({ email: 'cy@example.com' });
    const acme = fake.state.addOrganization('Acme Events', { created_by: ana.id });
    const globex = fake.state.addOrganization('Globex');
    orgId = acme.id;
    fake.state.addMembership(acme, ana, 'org:admin');
    fake.state.addMembership(acme, bo);
    fake.state.addMembership(acme, cy);
    fake.state.addMembership(globex, ana);
  });

  it('declares an identity provider with the secret key as bearer, a pinned API version, and per-instance limits', () => {
    expect(clerk).toMatchObject({
      id: 'clerk',
      category: 'identity',
      baseUrl: 'https://api.clerk.com/v1',
      auth: { type: 'api_key', apply: { headers: { Authorization: 'Bearer {secretKey}', 'Clerk-API-Version': '2025-11-10' } } },
      rateLimits: [{ requests: 100, windowMs: 10_000, scope: 'account', accountKey: 'instanceId' }],
    });
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(clerk.auth.credentialsSchema);
    expect(credentials({ secretKey: clerkSecretKey('live'), webhookSecret: WEBHOOK_SECRET })).toBe(true);
    expect(credentials({ secretKey: clerkSecretKey('test') })).toBe(true);
    expect(credentials({ secretKey: 'pk_test_Y2xlcmsuZXhhbXBsZS5jb20k' })).toBe(false);
    expect(credentials({ secretKey: clerkSecretKey(), webhookSecret: 'not-a-secret' })).toBe(false);
    const getUser = ajv.compile(clerk.actions.getUser.inputSchema);
    expect(getUser({ userId: 'user_29w83sxmDNGwOuEthce5gg56FcC', includeOrganizations: true })).toBe(true);
    expect(getUser({ userId: 'usr_1' })).toBe(false);
    const memberships = ajv.compile(clerk.actions.listOrganizationMemberships.inputSchema);
    expect(memberships({ organizationId: 'org_2abc123def456', limit: 500, offset: 10 })).toBe(true);
    expect(memberships({ organizationId: 'org_2abc123def456', limit: 501 })).toBe(false);
    expect(memberships({ organizationId: 'user_2abc' })).toBe(false);
  });

  it('verifies with the instance behind the key, sending the key as bearer and the API version', async () => {
    const before = fake.state.requests.length;
    await expect(harness().verify()).resolves.toEqual({
      displayName: `Clerk development instance ${fake.state.instance.id}`,
      metadata: { instanceId: fake.state.instance.id, environmentType: 'development', liveKey: false, webhooks: true },
    });
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'GET', path: '/v1/instance' });
    expect(request.headers.authorization).toBe(`Bearer ${fake.secretKey}`);
    expect(request.headers['clerk-api-version']).toBe('2025-11-10');
  });

  it('refuses an unknown secret key with Clerk’s message and what to do, without echoing the key', async () => {
    const wrong = clerkSecretKey();
    const error = await failure(harness({ secretKey: wrong }).verify());
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message:
        'Clerk: The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct. (clerk_key_invalid) Copy the Secret Key from API Keys in the Clerk Dashboard.',
    });
    expect(error.message).not.toContain(wrong);
    await expect(harness({ secretKey: wrong }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('checks health with one user', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(since(before).map((request) => [request.path, request.query])).toEqual([['/v1/users', { limit: '1' }]]);
  });

  it('reads a user with the primary email, and their organizations on request', async () => {
    const user = await harness().action<Json>('getUser', { userId: ana.id });
    expect(user).toEqual({
      id: ana.id,
      email: 'ana@example.com',
      emailAddresses: ['ana@example.com'],
      name: 'Ana Lima',
      firstName: 'Ana',
      lastName: 'Lima',
      username: 'ana',
      externalId: null,
      imageUrl: 'https://img.clerk.com/default',
      banned: false,
      locked: false,
      publicMetadata: { plan: 'pro' },
      organizationIds: null,
      lastSignInAt: '2026-01-04T00:00:00.000Z',
      lastActiveAt: null,
      createdAt: new Date(ana.created_at).toISOString(),
      updatedAt: new Date(ana.updated_at).toISOString(),
    });
    const before = fake.state.requests.length;
    const withOrganizations = await harness().action<Json>('getUser', { userId: ana.id, includeOrganizations: true });
    expect(since(before).map((request) => request.path)).toEqual([`/v1/users/${ana.id}`, `/v1/users/${ana.id}/organization_memberships`]);
    expect(withOrganizations.organizationIds).toEqual(
      fake.state.memberships.filter((membership) => membership.userId === ana.id).map((membership) => membership.organizationId),
    );
    expect(withOrganizations.organizationIds).toHaveLength(2);
  });

  it('refuses an unknown user with Clerk’s not-found error', async () => {
    await expect(harness().action('getUser', { userId: 'user_0000000000000000000000000' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Clerk: Resource not found (resource_not_found)',
    });
  });

  it('pages an organization’s memberships with limit and offset, and the total', async () => {
    const before = fake.state.requests.length;
    const first = await harness().action<Json>('listOrganizationMemberships', { organizationId: orgId, limit: 2 });
    expect(since(before)[0]).toMatchObject({ path: `/v1/organizations/${orgId}/memberships`, query: { limit: '2', offset: '0', order_by: 'created_at' } });
    expect(first).toMatchObject({ totalCount: 3, nextOffset: 2 });
    expect(first.memberships.map((membership: Json) => [membership.userId, membership.role])).toEqual([
      [ana.id, 'org:admin'],
      [bo.id, 'org:member'],
    ]);
    expect(first.memberships[0]).toMatchObject({ organizationId: orgId, identifier: 'ana@example.com', firstName: 'Ana', roleName: 'Admin' });
    const second = await harness().action<Json>('listOrganizationMemberships', { organizationId: orgId, limit: 2, offset: 2 });
    expect(second).toMatchObject({ totalCount: 3, nextOffset: null, memberships: [{ identifier: 'cy@example.com' }] });
    await expect(harness().action('listOrganizationMemberships', { organizationId: 'org_missing000000000000000000' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Clerk: Resource not found (resource_not_found)',
    });
  });

  it('reads every page of a large organization with all', async () => {
    const big = fake.state.addOrganization('Big Conference');
    for (let index = 0; index < 620; index += 1) fake.state.addMembership(big, fake.state.addUser({ email: `member${index}@example.com` }));
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('listOrganizationMemberships', { organizationId: big.id, all: true });
    expect(since(before).map((request) => request.query.offset)).toEqual(['0', '500']);
    expect(result).toMatchObject({ totalCount: 620, nextOffset: null });
    expect(new Set(result.memberships.map((membership: Json) => membership.id)).size).toBe(620);
  });

  it('answers Clerk’s 429 as a rate limit with its Retry-After', async () => {
    fake.state.throttle = 1;
    await expect(harness().action('getUser', { userId: ana.id })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 7,
      message: 'Clerk: Too many requests, please try again later. (too_many_requests)',
    });
  });

  it('syncs every user by the created_at cursor, organizations and memberships, then only users changed since', async () => {
    for (let index = 0; index < 450; index += 1) fake.state.addUser({ email: `extra${index}@example.com` });
    const before = fake.state.requests.length;
    const first = await harness().sync();
    const userPages = since(before).filter((request) => request.path === '/v1/users');
    expect(userPages.map((request) => request.query)).toEqual([
      { limit: '500', order_by: '-created_at' },
      { limit: '500', order_by: '-created_at', starting_after: expect.stringMatching(/^user_/) },
      { limit: '500', order_by: '-created_at', starting_after: expect.stringMatching(/^user_/) },
    ]);
    const users = first.records!.users;
    expect(users).toHaveLength(fake.state.users.length);
    expect(new Set(users.map((user) => user.id)).size).toBe(fake.state.users.length);
    expect(users.find((user) => user.id === ana.id)).toMatchObject({ email: 'ana@example.com', organizationIds: expect.arrayContaining([orgId]) });
    expect(first.records!.organizations.find((organization) => organization.id === orgId)).toMatchObject({
      name: 'Acme Events',
      slug: 'acme-events',
      membersCount: 3,
      memberUserIds: expect.arrayContaining([ana.id, bo.id]),
      createdBy: ana.id,
    });
    expect(first.records!.memberships).toHaveLength(fake.state.memberships.length);
    expect(since(before).find((request) => request.path === '/v1/organization_memberships')!.query).toMatchObject({
      limit: '500',
      offset: '0',
      order_by: 'created_at',
    });
    const newest = Math.max(...fake.state.users.map((user) => user.updated_at));
    expect(first.highWaterMarks).toEqual({ users: new Date(newest).toISOString() });

    // Later: the clock moves on, two users change.
    for (let index = 0; index < 120; index += 1) fake.state.addOrganization(`Filler ${index}`);
    fake.state.touchUser(bo, { last_name: 'Brown' });
    fake.state.touchUser(ana, { username: 'ana.lima' });
    const again = fake.state.requests.length;
    const second = await harness().sync({ highWaterMarks: first.highWaterMarks });
    const incremental = since(again).filter((request) => request.path === '/v1/users');
    expect(incremental.map((request) => request.query)).toEqual([{ limit: '500', offset: '0', order_by: '-updated_at' }]);
    const changed = second.records!.users;
    // The two changed users first (newest change first), then those changed in the minute before the last mark.
    expect(changed.slice(0, 2).map((user) => user.id)).toEqual([ana.id, bo.id]);
    expect(changed[1]).toMatchObject({ name: 'Bo Brown' });
    const mark = Date.parse(first.highWaterMarks!.users);
    expect(changed.length).toBeLessThan(70);
    expect(changed.slice(2).every((user) => Date.parse(user.updatedAt as string) >= mark - 60_000)).toBe(true);
    expect(fake.state.users.filter((user) => user.updated_at >= mark - 60_000)).toHaveLength(changed.length);
    expect(second.highWaterMarks).toEqual({ users: new Date(ana.updated_at).toISOString() });
  });

  describe('webhooks', () => {
    // Svix's documented example ("Verifying Webhooks Manually" / the svix libraries' verify example).
    const VECTOR = {
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const vectorRequest = (overrides: Record<string, string> = {}, rawBody = VECTOR.body) => ({
      headers: { 'svix-id': VECTOR.id, 'svix-timestamp': String(VECTOR.timestamp), 'svix-signature': VECTOR.signature, ...overrides },
      rawBody,
    });
    const withSecret = (secret = VECTOR.secret) => harness({ secretKey: fake.secretKey, webhookSecret: secret });

    it('accepts Svix’s documented test vector within five minutes, and refuses it tampered, late or with another secret', async () => {
      expect(svixSignature(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
      jest.spyOn(Date, 'now').mockReturnValue(VECTOR.timestamp * 1000 + 30_000);
      expect(await withSecret().webhookVerify(vectorRequest())).toBe(true);
      expect(await withSecret().webhookVerify(vectorRequest({}, '{"test": 2432232315}'))).toBe(false);
      expect(await withSecret().webhookVerify(vectorRequest({ 'svix-id': 'msg_other' }))).toBe(false);
      expect(await withSecret(clerkWebhookSecret()).webhookVerify(vectorRequest())).toBe(false);
      expect(await withSecret().webhookVerify(vectorRequest({ 'svix-signature': VECTOR.signature.replace('v1,', 'v2,') }))).toBe(false);
      expect(await harness({ secretKey: fake.secretKey }).webhookVerify(vectorRequest())).toBe(false);

      jest.spyOn(Date, 'now').mockReturnValue(VECTOR.timestamp * 1000 + 301_000);
      expect(await withSecret().webhookVerify(vectorRequest())).toBe(false);
      jest.spyOn(Date, 'now').mockReturnValue(VECTOR.timestamp * 1000 - 301_000);
      expect(await withSecret().webhookVerify(vectorRequest())).toBe(false);
    });

    it('accepts any of several signatures (a rotated secret) and Svix’s webhook-* headers', async () => {
      jest.spyOn(Date, 'now').mockReturnValue(VECTOR.timestamp * 1000);
      const other = svixSignature(clerkWebhookSecret(), VECTOR.id, VECTOR.timestamp, VECTOR.body);
      expect(await withSecret().webhookVerify(vectorRequest({ 'svix-signature': `${other} ${VECTOR.signature}` }))).toBe(true);
      expect(await withSecret().webhookVerify(vectorRequest({ 'svix-signature': other }))).toBe(false);
      const whiteLabelled = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
      expect(await withSecret().webhookVerify({ headers: whiteLabelled, rawBody: VECTOR.body })).toBe(true);
    });

    it('turns user.created and user.updated into host events with the primary email, name and organizations', async () => {
      const created = fake.state.webhook(WEBHOOK_SECRET, 'user.created', fake.state.userJson(ana));
      expect(await harness().webhookVerify(created)).toBe(true);
      expect(await harness().webhookToEvents(created)).toEqual([
        { event: 'user.created', data: { userId: ana.id, provider: 'clerk', email: 'ana@example.com', name: 'Ana Lima' } },
      ]);
      const updated = fake.state.webhook(WEBHOOK_SECRET, 'user.updated', {
        ...fake.state.userJson(bo),
        first_name: null,
        last_name: null,
        username: 'bobo',
        organization_memberships: [{ organization: { id: orgId } }, { organization: { id: 'org_2other' } }],
      });
      expect(await harness().webhookToEvents(updated)).toEqual([
        { event: 'user.updated', data: { userId: bo.id, provider: 'clerk', email: 'bo@example.com', name: 'bobo', organizationIds: [orgId, 'org_2other'] } },
      ]);
      const session = fake.state.webhook(WEBHOOK_SECRET, 'session.created', { id: 'sess_1', user_id: ana.id });
      expect(await harness().webhookVerify(session)).toBe(true);
      expect(await harness().webhookToEvents(session)).toEqual([]);
    });
  });
});
