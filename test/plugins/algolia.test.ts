import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { algoliaKey, startFakeAlgolia, type FakeAlgolia } from '../fixtures/providers/algolia.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let algolia: Json;
let fake: FakeAlgolia;

beforeAll(async () => {
  plugin = await loadBundledPlugin('algolia');
  algolia = plugin.providers[0];
  fake = await startFakeAlgolia();
});
afterAll(() => fake.close());

const APP = 'PLBRD4TEST';
const DSN = `https://${APP.toLowerCase()}-dsn.algolia.net`;
const MAIN = `https://${APP.toLowerCase()}.algolia.net`;

const harness = (credentials: Record<string, unknown> = { apiKey: fake.adminKey.value }, metadata: Record<string, unknown> = { appId: APP }) =>
  createHarness(plugin, { provider: 'algolia', credentials, integration: { metadata }, http: forwardTo(fake.origins) });

/** The host and path of each request the plugin made. */
const calls = (requests: Array<{ method: string; url: string }>) =>
  requests.map(({ method, url }) => `${method} ${new URL(url).origin}${new URL(url).pathname}`);

const books = () => [
  { objectID: 'b1', title: 'The Left Hand of Darkness', category: 'Book', price: 12 },
  { objectID: 'b2', title: 'The Dispossessed', category: 'Book', price: 25 },
  { objectID: 'e1', title: 'The Lathe of Heaven', category: 'Ebook', price: 7 },
];

async function failure(call: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('the call succeeded');
}

describe('algolia plugin', () => {
  it('declares a search provider on the DSN host of the application ID entered before connecting', () => {
    expect(algolia).toMatchObject({ id: 'algolia', category: 'search', auth: { type: 'api_key' }, baseUrl: 'https://{appId}-dsn.algolia.net', rateLimits: [] });
    const ajv = createSchemaCompiler();
    const inputs = ajv.compile(algolia.connectionInputs);
    expect(inputs({ appId: APP })).toBe(true);
    expect(inputs({ appId: 'plbrd4test' })).toBe(false);
    expect(inputs({ appId: 'evil.example.com/' })).toBe(false);
    const credentials = ajv.compile(algolia.auth.credentialsSchema);
    expect(credentials({ apiKey: algoliaKey(), searchApiKey: algoliaKey() })).toBe(true);
    expect(credentials({ apiKey: 'not a key' })).toBe(false);
    expect(Object.values<Json>(algolia.auth.credentialsSchema.properties).every((field) => field.secret === true)).toBe(true);

    const save = ajv.compile(algolia.actions.saveObjects.inputSchema);
    expect(save({ indexName: 'products', objects: [{ objectID: '1', name: 'A' }, { name: 'B' }], wait: true })).toBe(true);
    expect(save({ indexName: 'my products', objects: [{ name: 'A' }] })).toBe(false);
    expect(save({ indexName: 'products', objects: [] })).toBe(false);
    expect(save({ indexName: 'products', objects: [{ objectID: '' }] })).toBe(false);
    const search = ajv.compile(algolia.actions.search.inputSchema);
    expect(search({ indexName: 'products', query: 'dark', filters: 'category:Book', hitsPerPage: 5 })).toBe(true);
    expect(search({ indexName: 'products', hitsPerPage: 5000 })).toBe(false);
    const secured = ajv.compile(algolia.actions.generateSecuredApiKey.inputSchema);
    expect(secured({ filters: 'user:42', validUntil: '2030-01-01T00:00:00Z' })).toBe(true);
    expect(secured({ filters: 'user:42', validUntil: 2524604400, restrictIndices: ['Movies'], userToken: 'user-42' })).toBe(true);
    expect(secured({})).toBe(false);
    expect(secured({ validUntil: 'tomorrow' })).toBe(false);
  });

  it('verifies the Admin key (not a listed key) with the index list, with both headers, on the DSN host', async () => {
    const search = fake.searchKey.value;
    const h = harness({ apiKey: fake.adminKey.value, searchApiKey: search });
    await expect(h.verify()).resolves.toEqual({
      displayName: `Algolia ${APP} (Admin API key)`,
      metadata: {
        appId: APP,
        adminKey: true,
        acl: ['admin'],
        keyDescription: 'Admin API key',
        indexes: [],
        canWrite: true,
        canSearch: true,
        canDeleteIndex: true,
      },
    });
    expect(calls(h.requests)).toEqual([`GET ${DSN}/1/keys/${fake.adminKey.value}`, `GET ${DSN}/1/indexes`, `GET ${DSN}/1/keys/${search}`]);
    expect(new URL(h.requests[1].url).search).toBe('?page=0&hitsPerPage=1');
    for (const request of h.requests) {
      expect(request.headers['x-algolia-application-id']).toBe(APP);
      expect(request.headers['x-algolia-api-key']).toBe(fake.adminKey.value);
    }
    await expect(harness({ apiKey: fake.adminKey.value, searchApiKey: algoliaKey() }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `The search-only API key is not a key of application ${APP}: copy it from Settings → API Keys.`,
    });
  });

  it('verifies a write key by its own ACL and description', async () => {
    await expect(harness({ apiKey: fake.writeKey.value }).verify()).resolves.toEqual({
      displayName: `Algolia ${APP} (Plugboard indexing)`,
      metadata: {
        appId: APP,
        adminKey: false,
        acl: fake.writeKey.acl,
        keyDescription: 'Plugboard indexing',
        indexes: [],
        canWrite: true,
        canSearch: true,
        canDeleteIndex: true,
      },
    });
    const analytics = fake.state.addKey(['analytics']);
    await expect(harness({ apiKey: analytics.value }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'This Algolia key has neither the addObject nor the search ACL (it has analytics): use the Admin API key or a write key.',
    });
  });

  it('refuses an unknown key or application readably, without echoing the key, and a connection without an application ID', async () => {
    const wrong = algoliaKey();
    const refused = await failure(harness({ apiKey: wrong }).verify());
    expect(refused).toMatchObject({
      code: 'provider_rejected',
      message:
        'Algolia refused the Application ID or the API key (Invalid Application-ID or API key). Copy both from Settings → API Keys in the Algolia dashboard.',
    });
    expect(refused.message).not.toContain(wrong);
    const otherApp = createHarness(plugin, {
      provider: 'algolia',
      credentials: { apiKey: fake.adminKey.value },
      integration: { metadata: { appId: 'OTHERAPP01' } },
      http: forwardTo({ ...fake.origins, 'https://otherapp01-dsn.algolia.net': fake.url }),
    });
    await expect(otherApp.verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('Invalid Application-ID or API key') });
    await expect(harness({ apiKey: fake.adminKey.value }, {}).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'This Algolia connection has no valid application ID: connect again with the 10-character Application ID.',
    });
  });

  it('checks health with the cheapest call the key may make', async () => {
    const admin = harness({ apiKey: fake.adminKey.value }, { appId: APP, adminKey: true });
    await admin.healthCheck();
    expect(calls(admin.requests)).toEqual([`GET ${DSN}/1/indexes`]);
    const writer = harness({ apiKey: fake.writeKey.value }, { appId: APP, adminKey: false });
    await writer.healthCheck();
    expect(calls(writer.requests)).toEqual([`GET ${DSN}/1/keys/${fake.writeKey.value}`]);
  });

  it('saves records in batches of 1,000 on the main host: updateObject with an objectID, addObject without', async () => {
    const objects = Array.from({ length: 2_500 }, (_, index) =>
      index % 2 ? { objectID: `p${index}`, name: `Product ${index}` } : { name: `Product ${index}` },
    );
    const h = harness();
    const result = await h.action<Json>('saveObjects', { indexName: 'catalog', objects });
    expect(calls(h.requests)).toEqual(Array.from({ length: 3 }, () => `POST ${MAIN}/1/indexes/catalog/batch`));
    const batches = h.requests.map((request) => (request.json() as Json).requests);
    expect(batches.map((batch: Json[]) => batch.length)).toEqual([1000, 1000, 500]);
    expect(batches[0][0]).toEqual({ action: 'addObject', body: { name: 'Product 0' } });
    expect(batches[0][1]).toEqual({ action: 'updateObject', body: { objectID: 'p1', name: 'Product 1' } });
    expect(result.taskIDs).toHaveLength(3);
    expect(result.objectIDs).toHaveLength(2_500);
    expect(result.published).toBeNull();
    const index = fake.state.indices.get('catalog')!;
    expect(index.records.size).toBe(2_500);
    expect(index.records.get('p1')).toEqual({ objectID: 'p1', name: 'Product 1' });
  });

  it('waits for the tasks when asked, polling until Algolia publishes them', async () => {
    const h = harness({ apiKey: fake.writeKey.value });
    const result = await h.action<Json>('saveObjects', { indexName: 'books', objects: books(), wait: true });
    expect(result).toMatchObject({ indexName: 'books', objectIDs: ['b1', 'b2', 'e1'], published: true });
    const [taskID] = result.taskIDs;
    // The first poll answers notPublished, the second published.
    expect(calls(h.requests)).toEqual([
      `POST ${MAIN}/1/indexes/books/batch`,
      `GET ${DSN}/1/indexes/books/task/${taskID}`,
      `GET ${DSN}/1/indexes/books/task/${taskID}`,
    ]);
  });

  it('refuses a record over the size limit with Algolia’s message, and answers "Too many jobs" as a rate limit', async () => {
    await expect(harness().action('saveObjects', { indexName: 'books', objects: [{ objectID: 'big', text: 'x'.repeat(12_000) }] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Algolia: Record at the position 0 objectID=big is too big size=\d+\/10000 bytes/),
    });
    fake.state.tooManyJobs = 1;
    await expect(harness().action('saveObjects', { indexName: 'books', objects: books() })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Algolia: Too many jobs',
    });
  });

  it('retries reads and repeatable writes on the fallback hosts, but never repeats a batch that adds records', async () => {
    fake.state.unavailable = 1;
    const reader = harness();
    await expect(reader.action<Json>('search', { indexName: 'books', query: 'heaven' })).resolves.toMatchObject({ nbHits: 1 });
    expect(calls(reader.requests)).toEqual([`POST ${DSN}/1/indexes/books/query`, `POST https://${APP.toLowerCase()}-1.algolianet.com/1/indexes/books/query`]);

    fake.state.unavailable = 2;
    const writer = harness();
    await writer.action('saveObjects', { indexName: 'books', objects: books() });
    expect(calls(writer.requests)).toEqual([
      `POST ${MAIN}/1/indexes/books/batch`,
      `POST https://${APP.toLowerCase()}-1.algolianet.com/1/indexes/books/batch`,
      `POST https://${APP.toLowerCase()}-2.algolianet.com/1/indexes/books/batch`,
    ]);

    fake.state.unavailable = 1;
    const adder = harness();
    const outage = await failure(adder.action('saveObjects', { indexName: 'books', objects: [{ title: 'Always Coming Home' }] }));
    expect(outage.code).toBeUndefined();
    expect(outage.message).toContain('503');
    expect(adder.requests).toHaveLength(1);
    expect([...fake.state.indices.get('books')!.records.values()].some((record) => record.title === 'Always Coming Home')).toBe(false);
  });

  it('searches an index with filters and paging on the DSN host', async () => {
    fake.state.addIndex('library', books());
    const h = harness({ apiKey: fake.writeKey.value });
    const result = await h.action<Json>('search', {
      indexName: 'library',
      query: 'the',
      filters: 'category:Book AND price < 20',
      hitsPerPage: 10,
      attributesToRetrieve: ['title'],
    });
    expect(calls(h.requests)).toEqual([`POST ${DSN}/1/indexes/library/query`]);
    expect(h.requests[0].json()).toEqual({ query: 'the', filters: 'category:Book AND price < 20', hitsPerPage: 10, attributesToRetrieve: ['title'] });
    expect(result).toMatchObject({
      nbHits: 1,
      page: 0,
      nbPages: 1,
      hitsPerPage: 10,
      query: 'the',
      hits: [{ objectID: 'b1', title: 'The Left Hand of Darkness' }],
    });
    expect(result.hits[0]).not.toHaveProperty('price');
    const second = await harness().action<Json>('search', { indexName: 'library', hitsPerPage: 2, page: 1 });
    expect(second).toMatchObject({ nbHits: 3, page: 1, nbPages: 2, hits: [{ objectID: 'e1' }] });
  });

  it('refuses a search of a missing index or with a malformed filter, with Algolia’s message', async () => {
    await expect(harness().action('search', { indexName: 'nowhere', query: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Algolia: Index does not exist',
    });
    await expect(harness().action('search', { indexName: 'library', filters: 'category Book' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Algolia: filters: Unexpected token/),
    });
    const restricted = fake.state.addKey(['search'], { indexes: ['dev_*'] });
    await expect(harness({ apiKey: restricted.value }).action('search', { indexName: 'library' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Algolia: Index not allowed with this API key. Give the key the ACL or index access this needs, or use a key that has it.',
    });
  });

  it('reindexes through a temporary index: settings copied first, records written, then an atomic move', async () => {
    fake.state.addIndex('movies', [{ objectID: 'old', title: 'Stale' }], {
      settings: { searchableAttributes: ['title'] },
      synonyms: [{ objectID: 'syn1', type: 'synonym', synonyms: ['film', 'movie'] }],
      rules: [{ objectID: 'rule1', conditions: [] }],
    });
    const h = harness({ apiKey: fake.writeKey.value });
    const result = await h.action<Json>('reindex', { indexName: 'movies', objects: [{ objectID: 'm1', title: 'Solaris' }, { title: 'Stalker' }] });
    const temporary: string = result.temporaryIndex;
    expect(temporary).toMatch(/^movies_tmp_\d{7}$/);
    const posts = h.requests.filter((request) => request.method === 'POST');
    expect(calls(posts)).toEqual([
      `POST ${MAIN}/1/indexes/movies/operation`,
      `POST ${MAIN}/1/indexes/${temporary}/batch`,
      `POST ${MAIN}/1/indexes/${temporary}/operation`,
    ]);
    expect(posts[0].json()).toEqual({ operation: 'copy', destination: temporary, scope: ['settings', 'synonyms', 'rules'] });
    expect(posts[2].json()).toEqual({ operation: 'move', destination: 'movies' });
    // The move is sent only once the copy and the batch are published.
    const moveAt = h.requests.indexOf(posts[2]);
    const polled = h.requests
      .slice(0, moveAt)
      .filter((request) => request.method === 'GET')
      .map((request) => Number(request.url.split('/').at(-1)));
    expect(new Set(polled)).toEqual(new Set([result.taskIDs.copy, ...result.taskIDs.batches]));
    expect(result).toMatchObject({ indexName: 'movies', records: 2, published: true });

    const movies = fake.state.indices.get('movies')!;
    expect([...movies.records.keys()]).toEqual(['m1', expect.any(String)]);
    expect(movies.records.has('old')).toBe(false);
    expect(movies.settings).toEqual({ searchableAttributes: ['title'] });
    expect(movies.synonyms).toHaveLength(1);
    expect(movies.rules).toHaveLength(1);
    expect(fake.state.indices.has(temporary)).toBe(false);
  });

  it('deletes the temporary index and leaves the index untouched when a reindex fails before the move', async () => {
    fake.state.addIndex('shows', [{ objectID: 's1', title: 'Kept' }]);
    const h = harness({ apiKey: fake.writeKey.value });
    await expect(h.action('reindex', { indexName: 'shows', objects: [{ objectID: 'huge', text: 'x'.repeat(20_000) }] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('is too big'),
    });
    const last = h.requests.at(-1)!;
    expect(last.method).toBe('DELETE');
    expect(last.url).toMatch(new RegExp(`^${MAIN}/1/indexes/shows_tmp_\\d{7}$`));
    expect([...fake.state.indices.keys()].some((name) => name.startsWith('shows_tmp_'))).toBe(false);
    expect([...fake.state.indices.get('shows')!.records.keys()]).toEqual(['s1']);
  });

  it('generates secured API keys exactly as Algolia does (its documented test vector), locally', async () => {
    // Algolia's API client test suite (api-clients-automation, tests/CTS/client/search/generateSecuredApiKey.json, "generate secured api key basic").
    const h = harness({ apiKey: fake.adminKey.value, searchApiKey: '2640659426d5107b6e47d75db9cbaef8' });
    const result = await h.action<Json>('generateSecuredApiKey', { restrictIndices: ['Movies'], validUntil: 2524604400 });
    expect(result).toEqual({
      securedApiKey:
        'NjFhZmE0OGEyMTI3OThiODc0OTlkOGM0YjcxYzljY2M2NmU2NDE5ZWY0NDZjMWJhNjA2NzBkMjAwOTI2YWQyZnJlc3RyaWN0SW5kaWNlcz1Nb3ZpZXMmdmFsaWRVbnRpbD0yNTI0NjA0NDAw',
      restrictions: { restrictIndices: ['Movies'], validUntil: 2524604400 },
      validUntil: '2049-12-31T23:00:00.000Z',
    });
    expect(h.requests).toHaveLength(0);
  });

  it('makes keys Algolia accepts for the filtered search only, and refuses what cannot be a secured key', async () => {
    fake.state.addIndex('tenants', [
      { objectID: 't1', name: 'Alpha report', tenant: 'acme' },
      { objectID: 't2', name: 'Beta report', tenant: 'globex' },
    ]);
    const h = harness({ apiKey: fake.adminKey.value, searchApiKey: fake.searchKey.value });
    const { securedApiKey } = await h.action<Json>('generateSecuredApiKey', {
      filters: 'tenant:acme',
      restrictIndices: ['tenants'],
      validUntil: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const query = (index: string, key: string) =>
      fetch(`${fake.url}/1/indexes/${index}/query`, {
        method: 'POST',
        headers: { 'x-algolia-application-id': APP, 'x-algolia-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'report' }),
      });
    const allowed = await query('tenants', securedApiKey);
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as Json).hits.map((hit: Json) => hit.objectID)).toEqual(['t1']);
    expect((await query('library', securedApiKey)).status).toBe(403);
    const forged = Buffer.from(Buffer.from(securedApiKey, 'base64').toString().replace('tenant%3Aacme', 'tenant%3Aglobex')).toString('base64');
    expect((await query('tenants', forged)).status).toBe(403);

    await expect(harness().action('generateSecuredApiKey', { filters: 'tenant:acme' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'No search-only API key in this Algolia connection: add one (Settings → API Keys) to generate secured API keys.',
    });
    const same = fake.adminKey.value;
    await expect(harness({ apiKey: same, searchApiKey: same }).action('generateSecuredApiKey', { filters: 'a:b' })).rejects.toMatchObject({
      code: 'provider_rejected',
    });
    await expect(h.action('generateSecuredApiKey', { filters: 'tenant:acme', validUntil: 1_000 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'validUntil must be in the future.',
    });
  });
});
