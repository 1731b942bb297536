import type { VerifyResult } from '../../../src/sdk/index.js';
import { SHOPIFY_SHOP, startFakeShopify, type FakeShopify } from '../../fixtures/providers/shopify.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Shopify as the host runs it: the bundled plugin loaded by the real loader into a child process,
 * `{shop}` filled into the Admin API base URL from the connection's metadata, the token sent as
 * X-Shopify-Access-Token, and PROVIDER_ORIGIN_OVERRIDES pointing https://<shop> at the local fake.
 */
describe('shopify in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeShopify;

  beforeAll(async () => {
    fake = await startFakeShopify();
    host = await startProviderHost({ fakes: [fake], integration: { id: '2b4c6d8e-0f1a-4b3c-8d5e-7f9a1b3c5d7e', accountId: 'acct_shopify' } });
  });
  afterAll(() => host?.close());

  it('verifies the shop, reads an order, checks a signed webhook, and refuses a missing scope as 422', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'shop-app', clientSecret: fake.state.clientSecret });
    const { accessToken } = fake.state.oauth.mintTokens('shop-app', 'read_products read_orders');
    const credentials = { accessToken, app: { webhookSecret: fake.state.clientSecret } };
    const connect = host.context(credentials, {}, { shop: SHOPIFY_SHOP });
    const verified = await runner.invoke<VerifyResult>('shopify', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: `Acme Outfitters (${SHOPIFY_SHOP})`,
      metadata: expect.objectContaining({ shopId: 'gid://shopify/Shop/548380009', currency: 'USD', plan: 'Basic' }),
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'POST', path: '/admin/api/2026-10/graphql.json' });
    expect(fake.state.requests.at(-1)!.headers['x-shopify-access-token']).toBe(accessToken);
    // Sent as Shopify reads it (auth.apply), and only so.
    expect(fake.state.requests.at(-1)!.headers.authorization).toBeUndefined();

    const context = host.context(credentials, {}, { shop: SHOPIFY_SHOP, ...verified.metadata });
    const order = fake.state.addOrder({ total: '49.90' });
    const read = await runner.invoke<Json>('shopify', { kind: 'action', name: 'getOrder', input: { orderId: order.id }, context });
    expect(read).toMatchObject({ id: order.id, totalAmount: 4990, currency: 'USD' });
    expect(fake.state.requests.at(-1)!.body).toMatchObject({ variables: { id: order.id } });

    const payload = { id: 5000000009999, admin_graphql_api_id: 'gid://shopify/Order/5000000009999', name: '#9999', total_price: '10.00', currency: 'USD' };
    const signed = fake.state.webhook('orders/paid', payload);
    const inbound = (request: { headers: Record<string, string>; rawBody: string }) => ({
      method: 'POST',
      query: {},
      body: JSON.parse(request.rawBody),
      ...request,
    });
    await expect(runner.invoke('shopify', { kind: 'webhookVerify', input: inbound(signed), context })).resolves.toBe(true);
    await expect(
      runner.invoke('shopify', { kind: 'webhookVerify', input: inbound(fake.state.webhook('orders/paid', payload, { secret: 'wrong-secret' })), context }),
    ).resolves.toBe(false);
    await expect(runner.invoke('shopify', { kind: 'webhookToEvents', input: inbound(signed), context })).resolves.toEqual([
      { event: 'order.paid', data: expect.objectContaining({ orderId: 'gid://shopify/Order/5000000009999', totalAmount: 1000, currency: 'USD' }) },
    ]);

    const { accessToken: narrow } = fake.state.oauth.mintTokens('shop-app', 'read_products');
    await expect(
      runner.invoke('shopify', {
        kind: 'action',
        name: 'getOrder',
        input: { orderId: order.id },
        context: host.context({ accessToken: narrow }, {}, { shop: SHOPIFY_SHOP }),
      }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('read_orders') });
  });
});
