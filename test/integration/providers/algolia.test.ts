import type { VerifyResult } from '../../../src/sdk/index.js';
import { algoliaKey, startFakeAlgolia, type FakeAlgolia } from '../../fixtures/providers/algolia.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Algolia plugin as the host runs it: the real loader, a sandboxed child process, the base URL
 * filled from the connection's Application ID, and PROVIDER_ORIGIN_OVERRIDES pointing the application's
 * DSN, main and fallback hosts at the local fake.
 */
describe('algolia in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeAlgolia;

  beforeAll(async () => {
    fake = await startFakeAlgolia();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5a7c9e1b-3d5f-4b7d-9f1a-3c5e7a9b1d3f', accountId: 'acct_algolia' } });
  });
  afterAll(() => host?.close());

  it('verifies the key, saves and finds records, and refuses an unknown key as 422', async () => {
    const { runner } = host;
    const metadata = { appId: fake.state.appId };
    const context = host.context({ apiKey: fake.writeKey.value }, {}, metadata);
    await expect(runner.invoke<VerifyResult>('algolia', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: 'Algolia PLBRD4TEST (Plugboard indexing)',
      metadata: { appId: 'PLBRD4TEST', adminKey: false, canWrite: true },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: `/1/keys/${fake.writeKey.value}` });
    expect(fake.state.requests.at(-1)!.headers).toMatchObject({ 'x-algolia-application-id': 'PLBRD4TEST', 'x-algolia-api-key': fake.writeKey.value });

    const saved = await runner.invoke<Json>('algolia', {
      kind: 'action',
      name: 'saveObjects',
      input: { indexName: 'sessions', objects: [{ objectID: 's1', title: 'Launch webinar' }], wait: true },
      context,
    });
    expect(saved).toMatchObject({ indexName: 'sessions', objectIDs: ['s1'], published: true });
    expect(fake.state.indices.get('sessions')!.records.get('s1')).toEqual({ objectID: 's1', title: 'Launch webinar' });
    const found = await runner.invoke<Json>('algolia', { kind: 'action', name: 'search', input: { indexName: 'sessions', query: 'launch' }, context });
    expect(found).toMatchObject({ nbHits: 1, hits: [{ objectID: 's1' }] });

    await expect(runner.invoke('algolia', { kind: 'verify', context: host.context({ apiKey: algoliaKey() }, {}, metadata) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message:
        'Algolia refused the Application ID or the API key (Invalid Application-ID or API key). Copy both from Settings → API Keys in the Algolia dashboard.',
    });
  });
});
