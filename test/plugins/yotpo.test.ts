import { YOTPO_SECRET, YOTPO_STORE_ID, startFakeYotpo, type FakeYotpo } from '../fixtures/providers/yotpo.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeYotpo;

beforeAll(async () => {
  plugin = await loadBundledPlugin('yotpo');
  provider = plugin.providers[0];
  fake = await startFakeYotpo();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.state.reviews.length = 0;
  fake.state.products.length = 0;
  fake.state.throttleNext = 0;
  fake.state.requests.length = 0;
});

const harness = ({ secret = YOTPO_SECRET, storeId = YOTPO_STORE_ID }: { secret?: string; storeId?: string } = {}) =>
  createHarness(plugin, { provider: 'yotpo', credentials: { secret }, integration: { metadata: { storeId } }, http: forwardTo(fake.origins) });
const tokenRequests = () => fake.state.requests.filter((request) => request.path.endsWith('/access_tokens'));

describe('yotpo plugin: declaration', () => {
  it('exchanges the store secret for a token at Core API v3 and sends it as X-Yotpo-Token (and utoken for v1)', () => {
    expect(provider).toMatchObject({
      id: 'yotpo',
      category: 'reviews',
      baseUrl: 'https://api.yotpo.com',
      auth: {
        type: 'api_key',
        token: { url: 'https://api.yotpo.com/core/v3/stores/{storeId}/access_tokens', body: { secret: '{secret}' } },
        apply: { headers: { 'X-Yotpo-Token': '{accessToken}' }, query: { utoken: '{accessToken}' } },
      },
    });
    expect(provider.auth.credentialsSchema.properties.secret.secret).toBe(true);
    expect(provider.rateLimits).toEqual(
      expect.arrayContaining([expect.objectContaining({ requests: 5, windowMs: 1000, scope: 'account', accountKey: 'storeId' })]),
    );
  });

  it('refuses malformed inputs and connection inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const upsert = ajv.compile(provider.actions.upsertProduct.inputSchema);
    expect(upsert({ externalId: 'p-1', name: 'Mug', url: 'https://shop.example.com/mug' })).toBe(true);
    expect(upsert({ externalId: 'p-1', name: 'Mug', url: 'not a url' })).toBe(false);
    expect(upsert({ externalId: '', name: 'Mug', url: 'https://shop.example.com/mug' })).toBe(false);
    expect(upsert({ externalId: 'p-1', name: 'Mug', url: 'https://shop.example.com/mug', extra: 1 })).toBe(false);
    const list = ajv.compile(provider.actions.listReviews.inputSchema);
    expect(list({ since: '2026-01-01T00:00:00Z', count: 50 })).toBe(true);
    expect(list({ since: 'yesterday' })).toBe(false);
    expect(list({ count: 101 })).toBe(false);
    const inputs = ajv.compile(provider.connectionInputs);
    expect(inputs({ storeId: YOTPO_STORE_ID })).toBe(true);
    expect(inputs({ storeId: 'https://evil.example/' })).toBe(false);
  });
});

describe('yotpo plugin: auth and verify', () => {
  it('obtains a token with the secret, then reads reviews with it', async () => {
    const h = harness();
    await expect(h.verify()).resolves.toEqual({ displayName: `Yotpo store ${YOTPO_STORE_ID}`, metadata: { storeId: YOTPO_STORE_ID } });
    const [exchange] = tokenRequests();
    expect(exchange).toMatchObject({ method: 'POST', path: `/core/v3/stores/${YOTPO_STORE_ID}/access_tokens`, body: { secret: YOTPO_SECRET } });
    const read = fake.state.requests.at(-1)!;
    expect(read.path).toBe(`/v1/apps/${YOTPO_STORE_ID}/reviews`);
    expect(fake.state.tokens.has(read.query.utoken)).toBe(true);
    expect(read.headers['x-yotpo-token']).toBe(read.query.utoken);
    await h.healthCheck();
    expect(tokenRequests()).toHaveLength(1);
  });

  it('refuses a wrong secret or an unknown store as provider_rejected', async () => {
    await expect(harness({ secret: 'sk_wrong_wrong_wrong' }).verify()).rejects.toMatchObject({ code: 'provider_rejected' });
    await expect(harness({ storeId: 'UnknownStore123' }).verify()).rejects.toMatchObject({ code: 'provider_rejected' });
    expect(fake.state.requests.some((request) => request.path.includes('/reviews'))).toBe(false);
  });

  it('reads an expired token’s 401 as a refusal with Yotpo’s message', async () => {
    const h = harness();
    await h.verify();
    fake.state.expireTokens();
    await expect(h.action('listReviews', {})).rejects.toMatchObject({ code: 'provider_rejected', message: 'You are not authorized to access this page.' });
  });

  it('answers Yotpo’s 429 as a rate limit', async () => {
    const h = harness();
    await h.verify();
    fake.state.throttleNext = 1;
    await expect(h.action('listReviews', {})).rejects.toMatchObject({ code: 'provider_rate_limited', message: 'Too Many Requests' });
  });
});

describe('yotpo plugin: actions', () => {
  it('lists reviews since a time, page by page', async () => {
    fake.state.addReview({ created_at: '2026-01-01T10:00:00.000Z', title: 'Old' });
    const newer = fake.state.addReview({ created_at: '2026-02-01T10:00:00.000Z', title: 'New', score: 4, sku: 'mug-1' });
    fake.state.addReview({ created_at: '2026-02-02T10:00:00.000Z', title: 'Newer' });
    const h = harness();
    const first = await h.action<Json>('listReviews', { since: '2026-01-15T00:00:00Z', count: 1 });
    expect(first).toEqual({
      reviews: [expect.objectContaining({ id: String(newer.id), title: 'New', score: 4, productId: 'mug-1', createdAt: '2026-02-01T10:00:00.000Z' })],
      page: 1,
      nextPage: 2,
    });
    const last = fake.state.requests.at(-1)!;
    expect(last.query).toMatchObject({ since_date: '2026-01-15T00:00:00Z', count: '1', page: '1' });
    const second = await h.action<Json>('listReviews', { since: '2026-01-15T00:00:00Z', count: 1, page: 2 });
    expect(second.reviews.map((review: Json) => review.title)).toEqual(['Newer']);
    const third = await h.action<Json>('listReviews', { since: '2026-01-15T00:00:00Z', count: 1, page: 3 });
    expect(third).toEqual({ reviews: [], page: 3, nextPage: null });
  });

  it('creates a product, then updates it by external id', async () => {
    const h = harness();
    const created = await h.action<Json>('upsertProduct', {
      externalId: 'mug-1',
      name: 'Mug',
      url: 'https://shop.example.com/mug',
      imageUrl: 'https://cdn.example.com/mug.png',
    });
    const stored = fake.state.products.find((product) => product.external_id === 'mug-1')!;
    expect(created).toEqual({
      yotpoId: stored.yotpo_id,
      externalId: 'mug-1',
      name: 'Mug',
      url: 'https://shop.example.com/mug',
      imageUrl: 'https://cdn.example.com/mug.png',
      created: true,
    });
    const post = fake.state.requests.find((request) => request.method === 'POST' && request.path.endsWith('/products'))!;
    expect(post.body).toEqual({
      product: { external_id: 'mug-1', name: 'Mug', url: 'https://shop.example.com/mug', image_url: 'https://cdn.example.com/mug.png' },
    });

    const updated = await h.action<Json>('upsertProduct', { externalId: 'mug-1', name: 'Big mug', url: 'https://shop.example.com/big-mug' });
    expect(updated).toMatchObject({ yotpoId: stored.yotpo_id, name: 'Big mug', created: false });
    expect(stored).toMatchObject({ name: 'Big mug', url: 'https://shop.example.com/big-mug' });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/core/v3/stores/${YOTPO_STORE_ID}/products/${stored.yotpo_id}` });
    expect(fake.state.products).toHaveLength(1);
  });
});

describe('yotpo plugin: sync', () => {
  it('syncs every review on the first run, then only updated ones with deleted ones as tombstones', async () => {
    for (let day = 1; day <= 120; day += 1) fake.state.addReview({ created_at: new Date(Date.UTC(2026, 0, 1) + day * 3600_000).toISOString() });
    const h = harness();
    const first = await h.sync();
    expect(first.records!.reviews).toHaveLength(120);
    const mark = first.highWaterMarks!.reviews;
    expect(mark).toBe(fake.state.reviews.at(-1)!.updated_at);
    expect(fake.state.requests.filter((request) => request.path.endsWith('/reviews')).map((request) => request.query.page)).toEqual(['1', '2']);

    const edited = fake.state.reviews[3];
    edited.updated_at = '2026-03-01T00:00:00.000Z';
    edited.title = 'Edited';
    const removed = fake.state.reviews[4];
    removed.deleted = true;
    removed.updated_at = '2026-03-02T00:00:00.000Z';
    const next = await h.sync({ highWaterMarks: { reviews: mark } });
    expect(fake.state.requests.at(-1)!.query).toMatchObject({ since_updated_at: mark, deleted: 'true' });
    expect(next.records!.reviews.map((review) => review.title)).toContain('Edited');
    expect(next.deleted).toEqual({ reviews: [String(removed.id)] });
    expect(next.highWaterMarks).toEqual({ reviews: '2026-03-02T00:00:00.000Z' });
  });
});
