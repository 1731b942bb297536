import { KIT_TEST_KEY, kitKey, startFakeKit, type FakeKit } from '../fixtures/providers/kit.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const API = 'https://api.kit.com/v4';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeKit;

beforeAll(async () => {
  plugin = await loadBundledPlugin('kit');
  provider = plugin.providers[0];
  fake = await startFakeKit();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.state.subscribers.length = 0;
  fake.state.tags.length = 0;
  fake.state.forms.length = 0;
  fake.state.incentiveEmails.length = 0;
  fake.state.throttleNext = 0;
});

const harness = ({ apiKey = KIT_TEST_KEY, settings = {} }: { apiKey?: string; settings?: Json } = {}) =>
  createHarness(plugin, { provider: 'kit', credentials: { apiKey }, settings, http: forwardTo(fake.origins) });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url.replace(API, '')}`);
const event = (type: string, data: Json): PlugboardEvent => ({
  id: `evt_${type}`,
  event: type,
  timestamp: '2026-01-01T09:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});
const subscriber = (email: string) => fake.state.subscribers.find((candidate) => candidate.email_address === email);
const tagged = (email: string) => fake.state.tags.filter((tag) => tag.subscribers.has(subscriber(email)!.id)).map((tag) => tag.name);

describe('kit plugin: declaration', () => {
  it('is an API-key CRM provider on the V4 API with the key in X-Kit-Api-Key and Kit’s per-key limit', () => {
    expect(provider).toMatchObject({
      id: 'kit',
      category: 'crm',
      baseUrl: 'https://api.kit.com/v4',
      auth: { type: 'api_key', apply: { headers: { 'X-Kit-Api-Key': '{apiKey}' } } },
      rateLimits: [{ requests: 120, windowMs: 60_000, scope: 'connection' }],
    });
    expect(provider.auth.credentialsSchema.properties.apiKey.secret).toBe(true);
    expect(provider.connectionInputs).toBeUndefined();
  });

  it('refuses malformed inputs, credentials and settings at the schema', () => {
    const ajv = createSchemaCompiler();
    const input = (action: string) => ajv.compile(provider.actions[action].inputSchema);
    expect(input('addSubscriber')({ email: 'ana@example.com', firstName: 'Ana', tagIds: [1, 2], formId: 3, fields: { last_name: 'Lima' } })).toBe(true);
    expect(input('addSubscriber')({ email: 'nope' })).toBe(false);
    expect(input('addSubscriber')({ email: 'ana@example.com', tagIds: ['12'] })).toBe(false);
    expect(input('addSubscriber')({ email: 'ana@example.com', tagIds: [1, 1] })).toBe(false);
    expect(input('addSubscriber')({ email: 'ana@example.com', formId: 0 })).toBe(false);
    expect(input('addSubscriber')({ email: 'ana@example.com', fields: { age: 34 } })).toBe(false);
    expect(input('addSubscriber')({ email: 'ana@example.com', referrer: 'not a url' })).toBe(false);
    expect(input('addSubscriber')({ email: 'ana@example.com', state: 'active' })).toBe(false);
    expect(input('listTags')({ perPage: 1000 })).toBe(true);
    expect(input('listTags')({ perPage: 1001 })).toBe(false);
    expect(input('listForms')({ status: 'deleted' })).toBe(false);
    const credentials = ajv.compile(provider.auth.credentialsSchema);
    expect(credentials({ apiKey: KIT_TEST_KEY })).toBe(true);
    expect(credentials({ apiKey: 'kit_ with space' })).toBe(false);
    expect(credentials({})).toBe(false);
    const settings = ajv.compile(provider.settingsSchema);
    expect(settings({ registrationFormId: 5, registrationTagIds: [1], participantTagIds: [2] })).toBe(true);
    expect(settings({ registrationFormId: 'signup' })).toBe(false);
  });

  it('reads Kit’s `errors` array as the message', () => {
    expect(provider.errors.message({ errors: ['Email address is invalid', 'First name is too long'] })).toBe(
      'Email address is invalid; First name is too long',
    );
    expect(provider.errors.message({ errors: [] })).toBeUndefined();
    expect(provider.errors.message(undefined)).toBeUndefined();
  });
});

describe('kit plugin: connecting', () => {
  it('verifies with GET /v4/account and names the account', async () => {
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: 'Acme Events (hello@acme.test)',
      metadata: { kitAccountId: 26, accountName: 'Acme Events', primaryEmail: 'hello@acme.test', planType: 'creator', userEmail: 'owner@acme.test' },
    });
    expect(h.requests.map((request) => request.url)).toEqual([`${API}/account`]);
    expect(fake.state.requests.at(-1)!.headers['x-kit-api-key']).toBe(KIT_TEST_KEY);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('refuses a key Kit does not know (401) with Kit’s words and a hint, never echoing the key', async () => {
    const wrong = kitKey();
    const refusal = harness({ apiKey: wrong }).verify();
    await expect(refusal).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Kit refused the API key (The access token is invalid): use a V4 key from Settings → Developer.',
    });
    await expect(harness({ apiKey: wrong }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: 'The access token is invalid' });
  });

  it('health-checks with one call', async () => {
    const h = harness();
    await h.healthCheck();
    expect(calls(h)).toEqual(['GET /account']);
  });

  it('answers Kit’s plain-text 429 as a rate limit, from code and from declarations alike', async () => {
    fake.state.throttleNext = 3;
    await expect(harness().action('addSubscriber', { email: 'ana@example.com' })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Kit is rate limiting this API key (120 requests a minute): Retry later',
    });
    await expect(harness().verify()).rejects.toMatchObject({ code: 'provider_rate_limited' });
    await expect(harness().healthCheck()).rejects.toMatchObject({ code: 'provider_rate_limited' });
    expect(fake.state.subscribers).toHaveLength(0);
  });
});

describe('kit plugin: subscribers, tags and forms', () => {
  it('adds a subscriber (201), tags them, and upserts on the second call (200) without touching the state', async () => {
    const webinar = fake.state.addTag('Webinar');
    const vip = fake.state.addTag('VIP');
    const h = harness();
    const first = await h.action<Json>('addSubscriber', {
      email: 'ana@example.com',
      firstName: 'Ana',
      fields: { last_name: 'Lima', shoe_size: '38' },
      tagIds: [webinar.id, vip.id],
    });
    const stored = subscriber('ana@example.com')!;
    expect(first).toEqual({
      id: stored.id,
      email: 'ana@example.com',
      firstName: 'Ana',
      state: 'active',
      createdAt: stored.created_at,
      created: true,
      formId: null,
      tagIds: [webinar.id, vip.id],
      warnings: ["Custom field 'shoe_size' does not exist and was ignored"],
    });
    expect(calls(h)).toEqual(['POST /subscribers', `POST /tags/${webinar.id}/subscribers`, `POST /tags/${vip.id}/subscribers`]);
    expect(JSON.parse(h.requests[0].body)).toEqual({ email_address: 'ana@example.com', first_name: 'Ana', fields: { last_name: 'Lima', shoe_size: '38' } });
    expect(JSON.parse(h.requests[1].body)).toEqual({ email_address: 'ana@example.com' });
    expect(stored.fields).toMatchObject({ last_name: 'Lima' });
    expect(tagged('ana@example.com')).toEqual(['Webinar', 'VIP']);

    stored.state = 'cancelled';
    const again = await harness().action<Json>('addSubscriber', { email: 'ANA@example.com', firstName: 'Anabela', tagIds: [webinar.id] });
    expect(again).toMatchObject({ id: stored.id, firstName: 'Anabela', state: 'cancelled', created: false });
    expect(fake.state.subscribers).toHaveLength(1);
  });

  it('adds to a form with its opt-in: a single opt-in form activates, a double opt-in form sends its incentive email', async () => {
    const single = fake.state.addForm('Sign up');
    const double = fake.state.addForm('Confirm first', { doubleOptIn: true });
    const h = harness();
    const one = await h.action<Json>('addSubscriber', {
      email: 'bo@example.com',
      formId: single.id,
      referrer: 'https://acme.test/webinar?utm_source=plugboard',
    });
    expect(JSON.parse(h.requests[0].body)).toEqual({ email_address: 'bo@example.com', state: 'inactive' });
    expect(JSON.parse(h.requests[1].body)).toEqual({ email_address: 'bo@example.com', referrer: 'https://acme.test/webinar?utm_source=plugboard' });
    expect(calls(h)).toEqual(['POST /subscribers', `POST /forms/${single.id}/subscribers`]);
    expect(one).toMatchObject({ state: 'active', formId: single.id, created: true });

    const two = await harness().action<Json>('addSubscriber', { email: 'cy@example.com', formId: double.id });
    expect(two).toMatchObject({ state: 'inactive', formId: double.id });
    expect(fake.state.incentiveEmails).toEqual([{ formId: double.id, email: 'cy@example.com' }]);
    await harness().action<Json>('addSubscriber', { email: 'cy@example.com', formId: double.id });
    expect(fake.state.incentiveEmails).toHaveLength(1);
  });

  it('passes Kit’s refusals on: an invalid email (422) and an unknown tag or form (404)', async () => {
    await expect(harness().action('addSubscriber', { email: 'not-an-email' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Email address is invalid',
    });
    await expect(harness().action('addSubscriber', { email: 'di@example.com', tagIds: [424242] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Not Found',
    });
    await expect(harness().action('addSubscriber', { email: 'di@example.com', formId: 434343 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Not Found',
    });
  });

  it('lists tags and forms with Kit’s cursors', async () => {
    const names = ['A', 'B', 'C'].map((name) => fake.state.addTag(`Tag ${name}`));
    const h = harness();
    const first = await h.action<Json>('listTags', { perPage: 2 });
    expect(first.tags.map((tag: Json) => tag.name)).toEqual(['Tag C', 'Tag B']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await h.action<Json>('listTags', { perPage: 2, after: first.nextCursor });
    expect(second).toEqual({ tags: [{ id: names[0].id, name: 'Tag A', createdAt: names[0].created_at }], nextCursor: null });
    expect(calls(h)).toEqual(['GET /tags?per_page=2', `GET /tags?after=${encodeURIComponent(first.nextCursor)}&per_page=2`]);

    const form = fake.state.addForm('Lead gen', { type: 'hosted' });
    fake.state.addForm('Old', {}).archived = true;
    const forms = await harness().action<Json>('listForms', {});
    expect(forms).toEqual({
      forms: [{ id: form.id, name: 'Lead gen', type: 'hosted', uid: form.uid, archived: false, embedUrl: expect.stringContaining(form.uid) }],
      nextCursor: null,
    });
    expect((await harness().action<Json>('listForms', { status: 'all' })).forms).toHaveLength(2);
  });
});

describe('kit plugin: reactions', () => {
  it('adds a registrant with the configured form and tags', async () => {
    const form = fake.state.addForm('Webinar sign-up');
    const tag = fake.state.addTag('Registered');
    const h = harness({ settings: { registrationFormId: form.id, registrationTagIds: [tag.id] } });
    await provider.onEvent['registration.received'](
      h.context(),
      event('registration.received', { registrationId: 'reg_1', sessionId: 'sess_9', email: 'ed@example.com', name: 'Ed  Rocha' }),
    );
    expect(subscriber('ed@example.com')).toMatchObject({ first_name: 'Ed', state: 'active' });
    expect(form.subscribers.has(subscriber('ed@example.com')!.id)).toBe(true);
    expect(tagged('ed@example.com')).toEqual(['Registered']);
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', message: 'registrant added to Kit', fields: { state: 'active', tags: 1 } });
  });

  it('skips a registration without an email', async () => {
    const h = harness();
    await provider.onEvent['registration.received'](h.context(), event('registration.received', { registrationId: 'reg_2' }));
    expect(h.requests).toEqual([]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });

  it('tags participants who are subscribers, and never subscribes someone who only joined', async () => {
    const attended = fake.state.addTag('Attended');
    fake.state.addSubscriber({ email: 'fa@example.com', state: 'cancelled' });
    const h = harness({ settings: { participantTagIds: [attended.id] } });
    await provider.onEvent['participant.joined'](
      h.context(),
      event('participant.joined', { participantId: 'p_1', sessionId: 'sess_9', email: 'fa@example.com' }),
    );
    expect(tagged('fa@example.com')).toEqual(['Attended']);
    expect(calls(h)).toEqual(['GET /subscribers?email_address=fa%40example.com&status=all', `POST /tags/${attended.id}/subscribers`]);

    const stranger = harness({ settings: { participantTagIds: [attended.id] } });
    await provider.onEvent['participant.joined'](
      stranger.context(),
      event('participant.joined', { participantId: 'p_2', sessionId: 'sess_9', email: 'gi@example.com' }),
    );
    expect(subscriber('gi@example.com')).toBeUndefined();
    expect(stranger.logs.at(-1)).toMatchObject({ level: 'info', message: 'participant is not a Kit subscriber: not tagged' });

    const unconfigured = harness();
    await provider.onEvent['participant.joined'](
      unconfigured.context(),
      event('participant.joined', { participantId: 'p_3', sessionId: 'sess_9', email: 'fa@example.com' }),
    );
    expect(unconfigured.requests).toEqual([]);
  });
});

describe('kit plugin: subscriber sync', () => {
  it('follows pagination.end_cursor with `after`, 1000 a page, every state', async () => {
    for (let index = 0; index < 2345; index += 1)
      fake.state.addSubscriber({ email: `s${index}@example.com`, state: index % 10 === 0 ? 'cancelled' : 'active' });
    const h = harness();
    const result = await h.sync();
    const records = result.records!.subscribers;
    expect(records).toHaveLength(2345);
    expect(new Set(records.map((record) => record.id)).size).toBe(2345);
    expect(records.filter((record) => record.state === 'cancelled')).toHaveLength(235);
    expect(records[0]).toMatchObject({ id: String(fake.state.subscribers.at(-1)!.id), email_address: 's2344@example.com' });
    const queries = h.requests.map((request) => Object.fromEntries(new URL(request.url).searchParams));
    expect(queries[0]).toEqual({ per_page: '1000', status: 'all' });
    // Kit still names an end cursor on the last page; has_next_page ends the walk there.
    expect(queries.map((query) => query.after ?? null)).toEqual([null, expect.any(String), expect.any(String)]);
  });
});
