import { SENDGRID_TEST_KEY, sendGridKey, startFakeSendGrid, type FakeSendGrid } from '../fixtures/providers/sendgrid.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const SETTINGS = { fromEmail: 'events@acme.test', fromName: 'Acme Events' };
const SEND_ONLY_KEY = sendGridKey();

let plugin: PluginDefinition;
let sendgrid: Json;
let fake: FakeSendGrid;

beforeAll(async () => {
  plugin = await loadBundledPlugin('sendgrid');
  sendgrid = plugin.providers[0];
  fake = await startFakeSendGrid();
  fake.state.keys.set(SEND_ONLY_KEY, ['mail.send']);
});
afterAll(() => fake.close());

const harness = (apiKey = SENDGRID_TEST_KEY, settings: Record<string, unknown> = SETTINGS) =>
  createHarness(plugin, { provider: 'sendgrid', credentials: { apiKey }, settings, http: forwardTo(fake.origins) });

describe('sendgrid plugin', () => {
  it('declares an API-key email provider with a key pattern and sender settings', () => {
    expect(sendgrid).toMatchObject({ id: 'sendgrid', category: 'email', auth: { type: 'api_key' }, baseUrl: 'https://api.sendgrid.com' });
    const pattern = new RegExp(sendgrid.auth.credentialsSchema.properties.apiKey.pattern);
    expect(pattern.test(SENDGRID_TEST_KEY)).toBe(true);
    expect(pattern.test('sk_test_123')).toBe(false);
    expect(Object.keys(sendgrid.settingsSchema.properties)).toEqual(expect.arrayContaining(['fromEmail', 'fromName']));
  });

  it('verifies an accepted key through /v3/scopes and names the account', async () => {
    const result = await harness().verify();
    expect(result).toEqual({ displayName: 'SendGrid (acme-events)', metadata: { username: 'acme-events', canReadTemplates: true } });
    expect(fake.state.requests.slice(-2).map((request) => request.path)).toEqual(['/v3/scopes', '/v3/user/username']);
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SENDGRID_TEST_KEY}`);
  });

  it('verifies a send-only key without asking for what it may not read', async () => {
    const before = fake.state.requests.length;
    expect(await harness(SEND_ONLY_KEY).verify()).toEqual({ displayName: 'SendGrid', metadata: { username: null, canReadTemplates: false } });
    expect(fake.state.requests.slice(before).map((request) => request.path)).toEqual(['/v3/scopes']);
  });

  it('refuses an unknown key, and a key that cannot send mail', async () => {
    await expect(harness(sendGridKey()).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The provided authorization grant is invalid, expired, or revoked',
    });
    const readOnly = sendGridKey();
    fake.state.keys.set(readOnly, ['templates.read']);
    await expect(harness(readOnly).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('Mail Send') });
    await expect(harness(readOnly).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('refuses a malformed (empty) key with SendGrid’s message', async () => {
    await expect(harness('').verify()).rejects.toMatchObject({ code: 'provider_rejected', message: 'authorization required' });
  });

  it('sends an email: one personalization per recipient, the configured sender, SendGrid’s message id', async () => {
    const result = await harness().action<Json>('sendEmail', {
      to: ['ana@example.com', { email: 'bo@example.com', name: 'Bo' }],
      subject: 'You are registered',
      text: 'See you there',
      html: '<p>See you there</p>',
      categories: ['registration'],
    });
    const sent = fake.state.sent.at(-1)!;
    expect(result).toEqual({ accepted: true, messageId: sent.messageId });
    expect(sent.body).toEqual({
      personalizations: [{ to: [{ email: 'ana@example.com' }] }, { to: [{ email: 'bo@example.com', name: 'Bo' }] }],
      from: { email: 'events@acme.test', name: 'Acme Events' },
      subject: 'You are registered',
      content: [
        { type: 'text/plain', value: 'See you there' },
        { type: 'text/html', value: '<p>See you there</p>' },
      ],
      categories: ['registration'],
    });
  });

  it('passes SendGrid’s refusal on: an unverified sender, a missing subject', async () => {
    await expect(harness().action<Json>('sendEmail', { to: 'ana@example.com', subject: 'Hi', text: 'x', fromEmail: 'someone@else.test' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^from: The from address does not match a verified Sender Identity/),
    });
    await expect(harness().action<Json>('sendEmail', { to: 'ana@example.com', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('subject: The subject is required'),
    });
  });

  it('refuses to send without any sender configured', async () => {
    await expect(harness(SENDGRID_TEST_KEY, {}).action<Json>('sendEmail', { to: 'ana@example.com', subject: 'Hi', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
    });
  });

  it('lists dynamic templates page by page', async () => {
    const first = await harness().action<Json>('listTemplates', { pageSize: 2 });
    expect(first.templates.map((template: { name: string }) => template.name)).toEqual(['Registration confirmation', 'Session reminder']);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await harness().action<Json>('listTemplates', { pageSize: 2, pageToken: first.nextPageToken });
    expect(second).toEqual({ templates: [{ id: expect.stringMatching(/^d-/), name: 'Follow-up', updatedAt: '2026-01-04 10:00:00' }], nextPageToken: null });
  });

  it('sends the configured confirmation template when a registration is received', async () => {
    const templateId = fake.state.templates[0].id;
    const configured = harness(SENDGRID_TEST_KEY, { ...SETTINGS, registrationTemplateId: templateId });
    const event = { id: 'evt_1', event: 'registration.received', timestamp: '2026-01-01T09:00:00Z', accountId: 'acct_test', livemode: false, data: { registrationId: 'reg_7', sessionId: 'sess_9', email: 'ana@example.com', name: 'Ana' } };
    await sendgrid.onEvent!['registration.received'](configured.context(), event);
    expect(fake.state.sent.at(-1)!.body).toMatchObject({
      personalizations: [{ to: [{ email: 'ana@example.com', name: 'Ana' }], dynamic_template_data: { name: 'Ana', registrationId: 'reg_7', sessionId: 'sess_9' } }],
      template_id: templateId,
      custom_args: { plugboardEventId: 'evt_1' },
    });
    expect(configured.logs.at(-1)).toMatchObject({ level: 'info', message: 'registration confirmation sent' });

    const sentBefore = fake.state.sent.length;
    await sendgrid.onEvent!['registration.received'](harness().context(), event);
    expect(fake.state.sent).toHaveLength(sentBefore);
  });
});
