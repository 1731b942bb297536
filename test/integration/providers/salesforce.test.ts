import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { SALESFORCE_API_VERSION, SALESFORCE_SCOPES, startFakeSalesforce, type FakeSalesforce } from '../../fixtures/providers/salesforce.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, type TestApp } from '../../support/test-app.js';

const CLIENT = { clientId: '3MVG9plugboardHostClient', clientSecret: 'salesforce-host-secret' };
const integration = (metadata: Json = {}) => ({ id: '7a2e4c1d-5b3f-4e60-9a7b-8c0d1e2f3a4b', accountId: 'acct_salesforce', livemode: false, metadata });

/**
 * The Salesforce plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, ctx.http performed by the host's SafeHttp with the declared daily budget,
 * and PROVIDER_ORIGIN_OVERRIDES pointing the login hosts and the org's instance at the fake.
 */
describe('salesforce plugin in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeSalesforce;

  beforeAll(async () => {
    fake = await startFakeSalesforce();
    fake.state.oauth.registerClient({ ...CLIENT });
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
      PLUGBOARD_OAUTH_SALESFORCE_CLIENT_ID: CLIENT.clientId,
      PLUGBOARD_OAUTH_SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret,
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('verifies the connection, upserts a lead, and refuses a lead without a company as 422 provider_rejected', async () => {
    const { accessToken } = fake.state.oauth.mintTokens(CLIENT.clientId, SALESFORCE_SCOPES);
    const metadata = { loginHost: 'login.salesforce.com', instanceUrl: fake.state.instanceUrl };
    const connect = { credentials: { accessToken, tokenType: 'Bearer' }, settings: {}, integration: integration(metadata) };
    const verified = await runner.invoke<VerifyResult>('salesforce', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: 'Ada Admin (admin@acme-events.example)',
      metadata: expect.objectContaining({ organizationId: fake.state.orgId, userId: fake.state.userId, username: 'admin@acme-events.example' }),
    });

    const context = { ...connect, integration: integration({ ...metadata, ...verified.metadata }) };
    const lead = await runner.invoke<Json>('salesforce', {
      kind: 'action',
      name: 'upsertLead',
      input: { email: 'ana@example.com', firstName: 'Ana', lastName: 'Lima', company: 'Acme' },
      context,
    });
    expect(lead).toEqual({ id: expect.stringMatching(/^00Q/), email: 'ana@example.com', created: true });
    const create = fake.state.requests.at(-1)!;
    expect(create).toMatchObject({
      method: 'POST',
      path: `/services/data/${SALESFORCE_API_VERSION}/sobjects/Lead`,
      body: { Email: 'ana@example.com', FirstName: 'Ana', LastName: 'Lima', Company: 'Acme' },
    });
    expect(create.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(fake.state.objects.Lead.records.get(lead.id)).toMatchObject({ Name: 'Ana Lima', Company: 'Acme' });

    await expect(
      runner.invoke('salesforce', { kind: 'action', name: 'upsertLead', input: { email: 'bo@example.com', lastName: 'Bo' }, context }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('Required fields are missing: [Company]') });
  });

  it('connects through the OAuth flow at the sandbox login host with PKCE, keeping the instance URL and the org', async () => {
    const { ownerToken } = await createAccount(t);
    const started = await t.http
      .post('/v1/connections/oauth/start')
      .set(bearer(ownerToken))
      .send({ provider: 'salesforce', returnUrl: '/back', inputs: { loginHost: 'test.salesforce.com' } });
    expect(started.status).toBe(200);
    const authorizationUrl = new URL(started.body.authorizationUrl);
    // The host sends the browser to https://test.salesforce.com/services/oauth2/authorize, here overridden to the fake.
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${fake.url}/services/oauth2/authorize`);
    expect(authorizationUrl.searchParams.get('client_id')).toBe(CLIENT.clientId);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('scope')).toBe(SALESFORCE_SCOPES);

    const atProvider = await fetch(`${fake.url}${authorizationUrl.pathname}${authorizationUrl.search}`, { redirect: 'manual' });
    const callback = new URL(atProvider.headers.get('location')!);
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    expect(atPlugboard.status).toBe(302);
    expect(new URL(atPlugboard.headers.location, 'http://return.test').searchParams.get('status')).toBe('connected');
    const exchange = fake.state.requests.find(
      (request) => request.path === '/services/oauth2/token' && (request.body as Json)?.grant_type === 'authorization_code',
    )!;
    expect((exchange.body as Json).code_verifier).toEqual(expect.any(String));

    const list = await t.http.get('/v1/connections?provider=salesforce').set(bearer(ownerToken));
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({
      displayName: 'Ada Admin (admin@acme-events.example)',
      metadata: { loginHost: 'test.salesforce.com', instanceUrl: fake.state.instanceUrl, organizationId: fake.state.orgId, userId: fake.state.userId },
    });
  });
});
