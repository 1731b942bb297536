import type { VerifyResult } from '../../../src/sdk/index.js';
import { HUBSPOT_SCOPES, startFakeHubSpot, type FakeHubSpot } from '../../fixtures/providers/hubspot.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The HubSpot plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, ctx.http performed by the host's SafeHttp with the declared rate
 * limits, and PROVIDER_ORIGIN_OVERRIDES pointing api.hubapi.com and app.hubspot.com at the fake.
 */
describe('hubspot plugin in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeHubSpot;

  beforeAll(async () => {
    fake = await startFakeHubSpot();
    host = await startProviderHost({ fakes: [fake], integration: { id: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', accountId: 'acct_hubspot' } });
  });
  afterAll(() => host?.close());

  it('verifies the connection, upserts a contact by email, and refuses an unknown property as 422 provider_rejected', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'hs', clientSecret: 'hs-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('hs', HUBSPOT_SCOPES);
    const connect = host.context({ accessToken, tokenType: 'bearer' });
    const verified = await runner.invoke<VerifyResult>('hubspot', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: 'acme-events.hubspot.com (owner@acme.test)',
      metadata: expect.objectContaining({ hubId: '62515', hubDomain: 'acme-events.hubspot.com', canManageDeals: true }),
    });

    const context = host.context(connect.credentials, {}, verified.metadata);
    const contact = await runner.invoke<Json>('hubspot', {
      kind: 'action',
      name: 'upsertContact',
      input: { email: 'Ana@Example.com', properties: { firstname: 'Ana' } },
      context,
    });
    expect(contact).toMatchObject({ email: 'ana@example.com', created: true });
    const upsert = fake.state.requests.at(-1)!;
    expect(upsert).toMatchObject({
      method: 'POST',
      path: '/crm/v3/objects/contacts/batch/upsert',
      body: { inputs: [{ idProperty: 'email', id: 'Ana@Example.com', properties: { firstname: 'Ana' } }] },
    });
    expect(upsert.headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(fake.state.contacts.get(contact.id)!.properties.firstname).toBe('Ana');

    await expect(
      runner.invoke('hubspot', { kind: 'action', name: 'upsertContact', input: { email: 'bo@example.com', properties: { shoe_size: '44' } }, context }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('Property "shoe_size" does not exist') });
  });
});
