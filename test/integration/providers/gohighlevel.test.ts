import type { VerifyResult } from '../../../src/sdk/index.js';
import { GHL_API_VERSION, startFakeHighLevel, type FakeHighLevel } from '../../fixtures/providers/gohighlevel.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The HighLevel plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, its requests performed by the host's HTTP client with the bearer
 * token applied and PROVIDER_ORIGIN_OVERRIDES pointing services.leadconnectorhq.com at the fake.
 */
describe('gohighlevel in the host', () => {
  let host: ProviderHost;
  let fake: FakeHighLevel;

  beforeAll(async () => {
    fake = await startFakeHighLevel();
    host = await startProviderHost({ fakes: [fake], integration: { id: '3c1f7a52-6b0e-4d7a-9a51-2f4b6c8d0e11', accountId: 'acct_ghl' } });
  });
  afterAll(() => host?.close());

  it('verifies the sub-account, upserts a contact, and refuses an invalid one as 422 provider_rejected', async () => {
    const { runner } = host;
    const location = fake.state.addLocation('Acme Webinars');
    const { accessToken } = fake.state.mintTokens(location.id);
    const credentials = { accessToken, tokenType: 'Bearer', raw: { userType: 'Location', locationId: location.id, companyId: location.companyId } };

    const { displayName, metadata } = await runner.invoke<VerifyResult>('gohighlevel', {
      kind: 'verify',
      context: host.context(credentials, {}, { locationId: location.id }),
    });
    expect(displayName).toBe('Acme Webinars');
    expect(metadata).toMatchObject({ locationId: location.id, companyId: location.companyId });
    expect(fake.state.requests.at(-1)!.headers).toMatchObject({ authorization: `Bearer ${accessToken}`, version: GHL_API_VERSION });

    const context = host.context(credentials, {}, metadata);
    const contact = await runner.invoke<Json>('gohighlevel', {
      kind: 'action',
      name: 'upsertContact',
      input: { email: 'ana@example.com', name: 'Ana Lima', tags: ['webinar'] },
      context,
    });
    expect(contact).toMatchObject({ created: true, email: 'ana@example.com', tags: ['webinar'] });
    expect(fake.state.contacts.get(contact.id)).toMatchObject({ locationId: location.id, firstName: 'Ana', lastName: 'Lima', tags: ['webinar'] });

    await expect(runner.invoke('gohighlevel', { kind: 'action', name: 'upsertContact', input: { email: 'not-an-email' }, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'email must be an email',
    });
  });
});
