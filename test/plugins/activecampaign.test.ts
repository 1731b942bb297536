import {
  ACTIVECAMPAIGN_ACCOUNT,
  ACTIVECAMPAIGN_TEST_KEY,
  acDate,
  activeCampaignKey,
  startFakeActiveCampaign,
  type FakeActiveCampaign,
} from '../fixtures/providers/activecampaign.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const API = `https://${ACTIVECAMPAIGN_ACCOUNT}.api-us1.com/api/3`;

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeActiveCampaign;

beforeAll(async () => {
  plugin = await loadBundledPlugin('activecampaign');
  provider = plugin.providers[0];
  fake = await startFakeActiveCampaign();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.state.contacts.length = 0;
  fake.state.tags.length = 0;
  fake.state.contactTags.length = 0;
  fake.state.automations.length = 0;
  fake.state.contactAutomations.length = 0;
  fake.state.throttleNext = 0;
});

const harness = ({
  apiKey = ACTIVECAMPAIGN_TEST_KEY,
  settings = {},
  metadata = { accountName: ACTIVECAMPAIGN_ACCOUNT },
}: { apiKey?: string; settings?: Json; metadata?: Json } = {}) =>
  createHarness(plugin, { provider: 'activecampaign', credentials: { apiKey }, settings, integration: { metadata }, http: forwardTo(fake.origins) });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url.replace(API, '')}`);
const event = (type: string, data: Json): PlugboardEvent => ({
  id: `evt_${type}`,
  event: type,
  timestamp: '2026-01-01T09:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});
const tagNames = (contactId: string) =>
  fake.state.contactTags.filter((link) => link.contact === contactId).map((link) => fake.state.tags.find((tag) => tag.id === link.tag)!.tag);

describe('activecampaign plugin: declaration', () => {
  it('is an API-key CRM provider whose base URL is pinned to the account’s own api-us1.com host', () => {
    expect(provider).toMatchObject({
      id: 'activecampaign',
      category: 'crm',
      baseUrl: 'https://{accountName}.api-us1.com/api/3',
      auth: { type: 'api_key', apply: { headers: { 'Api-Token': '{apiKey}' } } },
      rateLimits: [{ requests: 5, windowMs: 1000, scope: 'account', accountKey: 'accountName' }],
    });
    expect(provider.auth.credentialsSchema.properties.apiKey.secret).toBe(true);
  });

  it('takes the account name as a connection input, never a URL or another host', () => {
    const inputs = createSchemaCompiler().compile(provider.connectionInputs);
    expect(inputs({ accountName: 'acme-events' })).toBe(true);
    expect(inputs({ accountName: '123456demo' })).toBe(true);
    for (const accountName of ['https://acme.api-us1.com', 'acme.evil.test', 'acme/..', 'Acme', '-acme', '', 'a'.repeat(64)])
      expect(inputs({ accountName })).toBe(false);
    expect(inputs({})).toBe(false);
    expect(inputs({ accountName: 'acme', baseUrl: 'https://evil.test' })).toBe(false);
  });

  it('refuses malformed action inputs and settings at the schema', () => {
    const ajv = createSchemaCompiler();
    const input = (action: string) => ajv.compile(provider.actions[action].inputSchema);
    expect(input('syncContact')({ email: 'ana@example.com', firstName: 'Ana', fieldValues: [{ field: '1', value: 'x' }] })).toBe(true);
    expect(input('syncContact')({ email: 'not-an-email' })).toBe(false);
    expect(input('syncContact')({ firstName: 'Ana' })).toBe(false);
    expect(input('syncContact')({ email: 'ana@example.com', fieldValues: [{ field: 'city', value: 'x' }] })).toBe(false);
    expect(input('syncContact')({ email: 'ana@example.com', status: 1 })).toBe(false);
    expect(input('addTag')({ email: 'ana@example.com', tag: 'webinar' })).toBe(true);
    expect(input('addTag')({ email: 'ana@example.com', tag: '   ' })).toBe(false);
    expect(input('addTag')({ email: 'ana@example.com' })).toBe(false);
    expect(input('addToAutomation')({ email: 'ana@example.com', automationId: '42' })).toBe(true);
    expect(input('addToAutomation')({ email: 'ana@example.com', automationId: 'welcome' })).toBe(false);
    const settings = ajv.compile(provider.settingsSchema);
    expect(settings({ registrationTags: ['registered-{sessionId}'], registrationAutomationId: '7' })).toBe(true);
    expect(settings({ registrationAutomationId: 'seven' })).toBe(false);
    expect(settings({ tags: ['x'] })).toBe(false);
  });

  it('reads both of ActiveCampaign’s error shapes into one readable message', () => {
    const read = provider.errors.message;
    expect(
      read({ errors: [{ title: 'Email address already exists in the system', detail: '', code: 'duplicate', source: { pointer: '/data/attributes/email' } }] }),
    ).toBe('email: Email address already exists in the system');
    expect(read({ errors: [{ status: 404, title: 'Not Found', detail: 'Contact not found' }] })).toBe('Not Found: Contact not found');
    expect(read({ message: 'No Result found for Subscriber with id 1' })).toBe('No Result found for Subscriber with id 1');
    expect(read({})).toBeUndefined();
  });
});

describe('activecampaign plugin: connecting', () => {
  it('verifies the key with GET /users/me under the account and names the user', async () => {
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: 'Ana Lima <ana@acme.test> (acme-events)',
      metadata: {
        accountName: 'acme-events',
        apiUrl: 'https://acme-events.api-us1.com',
        userId: '1',
        username: 'ana',
        email: 'ana@acme.test',
        firstName: 'Ana',
        lastName: 'Lima',
      },
    });
    expect(h.requests.map((request) => request.url)).toEqual([`${API}/users/me`]);
    expect(fake.state.requests.at(-1)!.headers['api-token']).toBe(ACTIVECAMPAIGN_TEST_KEY);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('refuses a key ActiveCampaign does not know (403) with its message, never echoing the key', async () => {
    const wrong = activeCampaignKey();
    const refusal = harness({ apiKey: wrong }).verify();
    await expect(refusal).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('(Forbidden)') });
    await expect(refusal).rejects.toMatchObject({ message: expect.stringContaining('Settings → Developer') });
    await expect(refusal).rejects.not.toMatchObject({ message: expect.stringContaining(wrong) });
    await expect(harness({ apiKey: wrong }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: 'Forbidden' });
  });

  it('asks for the account name before calling anything', async () => {
    const h = harness({ metadata: {} });
    await expect(h.verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('account name') });
    expect(h.requests).toEqual([]);
  });

  it('health-checks with one authenticated call', async () => {
    const h = harness();
    await h.healthCheck();
    expect(calls(h)).toEqual(['GET /users/me']);
  });
});

describe('activecampaign plugin: contacts, tags, automations', () => {
  it('syncs a contact: created, then updated by email with only the fields given', async () => {
    const h = harness();
    const created = await h.action<Json>('syncContact', {
      email: 'bo@example.com',
      firstName: 'Bo',
      lastName: 'Silva',
      fieldValues: [{ field: '3', value: 'Lisbon' }],
    });
    const stored = fake.state.contacts[0];
    expect(created).toEqual({
      id: stored.id,
      email: 'bo@example.com',
      firstName: 'Bo',
      lastName: 'Silva',
      phone: null,
      createdAt: stored.cdate,
      updatedAt: stored.udate,
      fieldValues: [{ field: '3', value: 'Lisbon' }],
    });
    expect(fake.state.requests.at(-1)!.body).toEqual({
      contact: { email: 'bo@example.com', firstName: 'Bo', lastName: 'Silva', fieldValues: [{ field: '3', value: 'Lisbon' }] },
    });

    const updated = await h.action<Json>('syncContact', { email: 'BO@example.com', phone: '+351900000000' });
    expect(updated).toMatchObject({ id: stored.id, firstName: 'Bo', lastName: 'Silva', phone: '+351900000000' });
    expect(fake.state.contacts).toHaveLength(1);
    expect(fake.state.requests.at(-1)!.body).toEqual({ contact: { email: 'BO@example.com', phone: '+351900000000' } });
    expect(calls(h)).toEqual(['POST /contact/sync', 'POST /contact/sync']);
  });

  it('passes a 422 on as provider_rejected with the field and ActiveCampaign’s words', async () => {
    await expect(harness().action('syncContact', { email: 'not-an-email' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'email: Contact Email Address is not valid.',
    });
  });

  it('tags a contact: finds the exact tag among "contains" matches, creates it when missing, and the contact too', async () => {
    fake.state.addTag('webinar-2026');
    fake.state.addTag('Webinar', 'template');
    const h = harness();
    const first = await h.action<Json>('addTag', { email: 'cy@example.com', tag: ' webinar ' });
    const tag = fake.state.tags.find((candidate) => candidate.tag === 'webinar')!;
    const contact = fake.state.contacts.find((candidate) => candidate.email === 'cy@example.com')!;
    expect(tag).toMatchObject({ tagType: 'contact', description: 'Added by Plugboard' });
    expect(first).toEqual({ contactId: contact.id, tagId: tag.id, tag: 'webinar', contactTagId: expect.any(String), tagCreated: true, contactCreated: true });
    expect(calls(h)).toEqual([
      'GET /tags?search=webinar&limit=100',
      'POST /tags',
      'GET /contacts?email=cy%40example.com',
      'POST /contact/sync',
      'POST /contactTags',
    ]);
    expect(fake.state.requests.at(-1)!.body).toEqual({ contactTag: { contact: contact.id, tag: tag.id } });

    const again = harness();
    const second = await again.action<Json>('addTag', { email: 'cy@example.com', tag: 'WEBINAR' });
    expect(second).toMatchObject({ tagId: tag.id, tagCreated: false, contactCreated: false });
    expect(calls(again)).toEqual(['GET /tags?search=WEBINAR&limit=100', 'GET /contacts?email=cy%40example.com', 'POST /contactTags']);
    expect(tagNames(contact.id)).toEqual(['webinar']);
    expect(fake.state.tags.map((candidate) => candidate.tag)).toEqual(['webinar-2026', 'Webinar', 'webinar']);
  });

  it('adds a contact to an active automation, and passes on the refusal of an inactive one', async () => {
    const contact = fake.state.addContact({ email: 'di@example.com' });
    const active = fake.state.addAutomation('Webinar follow-up');
    const paused = fake.state.addAutomation('Old drip', false);
    const h = harness();
    expect(await h.action<Json>('addToAutomation', { email: 'di@example.com', automationId: active.id })).toEqual({
      contactId: contact.id,
      automationId: active.id,
      contactAutomationId: fake.state.contactAutomations[0].id,
      contactCreated: false,
    });
    expect(fake.state.requests.at(-1)!.body).toEqual({ contactAutomation: { contact: contact.id, automation: active.id } });
    await expect(h.action('addToAutomation', { email: 'di@example.com', automationId: paused.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Could not create SubscriberSeries',
    });
    expect(fake.state.contactAutomations).toHaveLength(1);
  });

  it('answers a throttle (429 with Retry-After) as a rate limit, not a refusal', async () => {
    fake.state.throttleNext = 1;
    await expect(harness().action('syncContact', { email: 'ed@example.com' })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 1 });
    expect(fake.state.contacts).toHaveLength(0);
  });
});

describe('activecampaign plugin: reactions', () => {
  it('syncs a registrant, tags them by session and adds them to the configured automation', async () => {
    const automation = fake.state.addAutomation('Registrants');
    fake.state.addTag('registered');
    const h = harness({ settings: { registrationTags: ['registered', 'registered-{sessionId}', 'Registered'], registrationAutomationId: automation.id } });
    await provider.onEvent['registration.received'](
      h.context(),
      event('registration.received', { registrationId: 'reg_7', sessionId: 'sess_9', email: 'fa@example.com', name: 'Fa  da Costa' }),
    );
    const contact = fake.state.contacts.find((candidate) => candidate.email === 'fa@example.com')!;
    expect(contact).toMatchObject({ firstName: 'Fa', lastName: 'da Costa' });
    expect(tagNames(contact.id)).toEqual(['registered', 'registered-sess_9']);
    expect(fake.state.contactAutomations).toEqual([expect.objectContaining({ contact: contact.id, automation: automation.id })]);
    expect(h.logs.at(-1)).toMatchObject({
      level: 'info',
      message: 'registration: contact synced',
      fields: { contactId: contact.id, tags: 2, automation: true },
    });
  });

  it('tags participants who joined; a tag naming a value the event lacks is skipped with a warning', async () => {
    const h = harness({ settings: { participantTags: ['attended', 'attended-{sessionId}', 'room-{roomId}'] } });
    await provider.onEvent['participant.joined'](
      h.context(),
      event('participant.joined', { participantId: 'p_1', sessionId: 'sess_9', email: 'gi@example.com', name: 'Gi' }),
    );
    const contact = fake.state.contacts.find((candidate) => candidate.email === 'gi@example.com')!;
    expect(contact.firstName).toBe('Gi');
    expect(tagNames(contact.id)).toEqual(['attended', 'attended-sess_9']);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ skipped: ['room-{roomId}'] }) }));
    expect(fake.state.contactAutomations).toEqual([]);
  });

  it('does nothing for a participant without an email', async () => {
    const h = harness({ settings: { participantTags: ['attended'] } });
    await provider.onEvent['participant.joined'](h.context(), event('participant.joined', { participantId: 'p_2', sessionId: 'sess_9' }));
    expect(h.requests).toEqual([]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});

describe('activecampaign plugin: contact sync', () => {
  it('pages with offset/limit until meta.total, then continues from the latest udate', async () => {
    const start = Date.UTC(2026, 0, 1, 12);
    for (let index = 0; index < 230; index += 1) fake.state.addContact({ email: `c${index}@example.com`, udate: new Date(start + index * 60_000) });
    fake.state.addContact({ email: 'gone@example.com', udate: new Date(start), deleted: true });
    const h = harness();
    const first = await h.sync();
    expect(first.records!.contacts).toHaveLength(230);
    expect(new Set(first.records!.contacts.map((contact) => contact.id)).size).toBe(230);
    expect(first.deleted).toEqual({ contacts: [fake.state.contacts.at(-1)!.id] });
    expect(first.highWaterMarks).toEqual({ contacts: new Date(start + 229 * 60_000).toISOString().replace('.000Z', 'Z') });
    expect(h.requests.map((request) => new URL(request.url).searchParams.get('offset'))).toEqual(['0', '100', '200']);
    expect(new URL(h.requests[0].url).searchParams.get('limit')).toBe('100');

    const later = new Date(start + 300 * 60_000);
    fake.state.contacts[5].udate = acDate(later);
    const next = harness();
    const second = await next.sync({ highWaterMarks: first.highWaterMarks });
    expect(second.records!.contacts.map((contact) => contact.email)).toEqual(['c5@example.com']);
    expect(second.highWaterMarks).toEqual({ contacts: later.toISOString().replace('.000Z', 'Z') });
    expect(new URL(next.requests[0].url).searchParams.get('filters[updated_after]')).toBe(first.highWaterMarks!.contacts);
    expect(next.requests).toHaveLength(1);
  });
});
