import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkDeclarations, type PluginDefinition, type ProviderDefinition } from 'plugboard/sdk';
import { createHarness } from 'plugboard/sdk/testing';
import { validatePlugin } from '../../src/cli/plugin-commands.js';
import { ACME_CRM_KEY, startFakeAcmeCrm, type FakeAcmeCrm } from '../fixtures/providers/index.js';
import { forwardTo, type Json } from '../support/bundled-plugins.js';
import { tempDir } from '../support/plugin-fixtures.js';

const FIXTURE = resolve('test/fixtures/plugins/declarative');

describe('a provider written as declarations (SDK 1.1), against its fake', () => {
  let fake: FakeAcmeCrm;
  let plugin: PluginDefinition;
  beforeAll(async () => {
    fake = await startFakeAcmeCrm();
    plugin = ((await import(pathToFileURL(join(FIXTURE, 'index.js')).href)) as { default: PluginDefinition }).default;
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.state.contacts = ['2026-01-01', '2026-02-01', '2026-03-01'].map((day, index) => ({
      id: `c_${index + 1}`,
      email: `p${index}@example.com`,
      name: `P${index}`,
      updated_at: `${day}T00:00:00Z`,
    }));
    fake.state.deals = [1, 2, 3].map((index) => ({ id: `d_${index}`, title: `Deal ${index}` }));
    fake.state.limited = false;
  });
  const harness = (apiKey = ACME_CRM_KEY) => createHarness(plugin, { credentials: { apiKey }, http: forwardTo(fake.origins) });

  it('verifies the key: display name and metadata read by JSON pointer, the key sent as Bearer', async () => {
    const h = harness();
    await expect(h.verify()).resolves.toEqual({ displayName: 'Acme Ltd', metadata: { accountId: 'acct_42', region: 'eu' } });
    expect(h.requests[0]).toMatchObject({ method: 'GET', url: 'https://api.acmecrm.example/v1/me', headers: { authorization: `Bearer ${ACME_CRM_KEY}` } });
    await expect(h.healthCheck()).resolves.toBeUndefined();
  });

  it("refuses a bad key with the provider's message, the key itself redacted", async () => {
    await expect(harness('acme_wrong_key_1').verify()).rejects.toMatchObject({ code: 'provider_rejected', message: 'Invalid API key: [redacted]' });
  });

  it('runs declared actions: path filled from the input, body built from it, the result picked out', async () => {
    const h = harness();
    await expect(h.action('getContact', { id: 'c_2' })).resolves.toMatchObject({ id: 'c_2', email: 'p1@example.com' });
    await expect(h.action('getContact', { id: 'nobody' })).rejects.toMatchObject({ code: 'provider_rejected', message: 'No such contact' });
    await expect(h.action<Json>('createContact', { email: 'new@example.com' })).resolves.toMatchObject({ id: 'c_4', email: 'new@example.com', name: null });
    expect(h.requests.at(-1)?.json()).toEqual({ email: 'new@example.com' });
  });

  it('syncs every page (starting_after and a body cursor) and returns the high-water mark; the next sync starts from it', async () => {
    const h = harness();
    const first = await h.sync();
    expect(first.records?.contacts.map((contact) => contact.id)).toEqual(['c_1', 'c_2', 'c_3']);
    expect(first.records?.deals.map((deal) => deal.id)).toEqual(['d_1', 'd_2', 'd_3']);
    expect(first.highWaterMarks).toEqual({ contacts: '2026-03-01T00:00:00Z' });
    expect(h.requests.map((request) => request.url.replace('https://api.acmecrm.example/v1', ''))).toEqual([
      '/contacts?limit=2',
      '/contacts?limit=2&starting_after=c_2',
      '/deals',
      '/deals?cursor=2',
    ]);
    fake.state.contacts.push({ id: 'c_9', email: 'late@example.com', name: null, updated_at: '2026-04-01T00:00:00Z' });
    const next = await harness().sync(first.highWaterMarks ? { highWaterMarks: first.highWaterMarks } : undefined);
    expect(next.records?.contacts.map((contact) => contact.id)).toEqual(['c_9']);
  });

  it("answers the provider's 429 as provider_rate_limited with its Retry-After", async () => {
    fake.state.limited = true;
    await expect(harness().action('getContact', { id: 'c_1' })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 3 });
  });

  it('checks declarations: a template naming a field the input schema lacks, a pointer that is no pointer', async () => {
    expect(checkDeclarations(plugin.providers[0])).toEqual([]);
    const broken: ProviderDefinition = {
      ...plugin.providers[0],
      actions: {
        bad: {
          description: 'x',
          inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
          request: { path: '/contacts/{contactId}' },
          result: 'data',
        },
      },
    };
    expect(checkDeclarations(broken)).toEqual([
      'providers.acme_crm.actions.bad.request refers to {contactId}, which the input schema does not declare',
      'providers.acme_crm.actions.bad.result is not a JSON pointer (like /data/0/id): data',
    ]);
    const dir = join(tempDir(), 'declarative');
    cpSync(FIXTURE, dir, { recursive: true });
    writeFileSync(join(dir, 'index.js'), readFileSync(join(dir, 'index.js'), 'utf8').replace("path: '/contacts/{id}'", "path: '/contacts/{contactId}'"));
    await expect(validatePlugin(dir)).rejects.toThrow(/refers to \{contactId\}, which the input schema does not declare/);
    await expect(validatePlugin(FIXTURE)).resolves.toMatchObject({ providers: [{ id: 'acme_crm', actions: ['getContact', 'createContact'], sync: true }] });
  });
});

describe('errors.classify: answers whose status does not say what they mean', () => {
  const plugin: PluginDefinition = {
    providers: [
      {
        id: 'chat',
        name: 'Chat',
        category: 'communication',
        description: 'Answers HTTP 200 with ok: false, as Slack does.',
        auth: { type: 'api_key', credentialsSchema: { type: 'object', properties: { apiKey: { type: 'string', secret: true } } } },
        baseUrl: 'https://chat.example',
        errors: {
          message: '/error',
          classify: (body) =>
            body?.ok === false ? (body.error === 'ratelimited' ? 'rate_limited' : 'rejected') : body?.quota === 'exceeded' ? 'rate_limited' : undefined,
        },
        actions: { post: { description: 'Posts', inputSchema: { type: 'object' }, request: { method: 'POST', path: '/chat.postMessage', body: 'input' } } },
      },
    ],
  };
  const answering = (status: number, body: Json) => createHarness(plugin, { credentials: { apiKey: 'key-1234' }, http: () => ({ status, body }) });

  it('refuses a 200 with ok: false with the provider’s error, treats its rate limit as one, and passes ok answers through', async () => {
    await expect(answering(200, { ok: false, error: 'channel_not_found' }).action('post', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'channel_not_found',
    });
    await expect(answering(200, { ok: false, error: 'ratelimited' }).action('post', {})).rejects.toMatchObject({ code: 'provider_rate_limited' });
    await expect(answering(403, { quota: 'exceeded', error: 'slow down' }).action('post', {})).rejects.toMatchObject({ code: 'provider_rate_limited' });
    await expect(answering(200, { ok: true, ts: '1.2' }).action('post', {})).resolves.toEqual({ ok: true, ts: '1.2' });
    await expect(answering(404, { error: 'no_route' }).action('post', {})).rejects.toMatchObject({ code: 'provider_rejected', message: 'no_route' });
  });
});
