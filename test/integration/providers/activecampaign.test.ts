import type { SyncResult, VerifyResult } from '../../../src/sdk/index.js';
import {
  ACTIVECAMPAIGN_ACCOUNT,
  ACTIVECAMPAIGN_TEST_KEY,
  activeCampaignKey,
  startFakeActiveCampaign,
  type FakeActiveCampaign,
} from '../../fixtures/providers/activecampaign.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * ActiveCampaign as the host runs it: the bundled plugin loaded by the real loader into a child
 * process, its base URL filled from the connection's account name, its `Api-Token` applied by the
 * host, and its documented 5 requests/second budget kept per account.
 */
describe('activecampaign in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeActiveCampaign;

  beforeAll(async () => {
    fake = await startFakeActiveCampaign();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d', accountId: 'acct_activecampaign' } });
  });
  afterAll(() => host?.close());

  const context = (apiKey = ACTIVECAMPAIGN_TEST_KEY, settings: Json = {}) => host.context({ apiKey }, settings, { accountName: ACTIVECAMPAIGN_ACCOUNT });

  it('verifies, syncs a contact, refuses an unknown key as 422, and keeps to 5 requests a second', async () => {
    const { runner } = host;
    await expect(runner.invoke<VerifyResult>('activecampaign', { kind: 'verify', context: context() })).resolves.toMatchObject({
      displayName: 'Ana Lima <ana@acme.test> (acme-events)',
      metadata: { accountName: 'acme-events', userId: '1', email: 'ana@acme.test' },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/3/users/me',
      headers: expect.objectContaining({ 'api-token': ACTIVECAMPAIGN_TEST_KEY }),
    });

    const contact = await runner.invoke<Json>('activecampaign', {
      kind: 'action',
      name: 'syncContact',
      input: { email: 'ana@example.com', firstName: 'Ana' },
      context: context(),
    });
    expect(contact).toMatchObject({ id: fake.state.contacts[0].id, email: 'ana@example.com', firstName: 'Ana' });
    expect(fake.state.requests.at(-1)!.body).toEqual({ contact: { email: 'ana@example.com', firstName: 'Ana' } });

    await expect(runner.invoke('activecampaign', { kind: 'verify', context: context(activeCampaignKey()) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('(Forbidden)'),
    });

    for (let index = 0; index < 1100; index += 1) fake.state.addContact({ email: `p${index}@example.com` });
    fake.state.enforceRateLimit = true;
    const started = Date.now();
    const result = await runner.invoke<SyncResult>('activecampaign', { kind: 'sync', context: context() });
    expect(result.records!.contacts).toHaveLength(1101);
    expect(fake.state.requests.filter((request) => request.path === '/api/3/contacts')).toHaveLength(12);
    expect(fake.state.throttled).toBe(0);
    // 12 pages at 5 a second: the host spread them over at least two windows.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });
});
