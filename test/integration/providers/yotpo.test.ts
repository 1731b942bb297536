import type { VerifyResult } from '../../../src/sdk/index.js';
import { YOTPO_SECRET, YOTPO_STORE_ID, startFakeYotpo, type FakeYotpo } from '../../fixtures/providers/yotpo.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Yotpo as the host runs it: the bundled plugin in a child process, the store secret exchanged by the
 * host for a token at https://api.yotpo.com/core/v3/stores/{storeId}/access_tokens (pointed at the
 * local fake by PROVIDER_ORIGIN_OVERRIDES) and sent as X-Yotpo-Token / utoken.
 */
describe('yotpo in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeYotpo;

  beforeAll(async () => {
    fake = await startFakeYotpo();
    host = await startProviderHost({ fakes: [fake], integration: { id: '3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a', accountId: 'acct_yotpo' } });
  });
  afterAll(() => host?.close());

  const context = (secret = YOTPO_SECRET) => host.context({ secret }, {}, { storeId: YOTPO_STORE_ID });

  it('verifies through the token exchange, upserts a product, and refuses a wrong secret as 422', async () => {
    const { runner } = host;
    await expect(runner.invoke<VerifyResult>('yotpo', { kind: 'verify', context: context() })).resolves.toEqual({
      displayName: `Yotpo store ${YOTPO_STORE_ID}`,
      metadata: { storeId: YOTPO_STORE_ID },
    });
    expect(fake.state.requests[0]).toMatchObject({ method: 'POST', path: `/core/v3/stores/${YOTPO_STORE_ID}/access_tokens`, body: { secret: YOTPO_SECRET } });

    const product = await runner.invoke<Json>('yotpo', {
      kind: 'action',
      name: 'upsertProduct',
      input: { externalId: 'mug-1', name: 'Mug', url: 'https://shop.example.com/mug' },
      context: context(),
    });
    expect(product).toMatchObject({ externalId: 'mug-1', created: true, yotpoId: fake.state.products[0].yotpo_id });
    expect(fake.state.requests.at(-1)!.headers['x-yotpo-token']).toEqual(expect.any(String));
    expect(fake.state.tokens.has(fake.state.requests.at(-1)!.headers['x-yotpo-token'])).toBe(true);

    await expect(runner.invoke('yotpo', { kind: 'verify', context: context('sk_not_the_secret_0000') })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
    });
  });
});
