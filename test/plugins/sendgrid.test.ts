import { SENDGRID_TEST_KEY, sendGridKey, startFakeSendGrid, type FakeSendGrid } from '../fixtures/providers/sendgrid.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
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

  it('sends cc and bcc one copy each, with the first guest, not one per guest', async () => {
    await harness().action('sendEmail', {
      to: ['ana@example.com', 'bo@example.com'],
      cc: ['cy@example.com'],
      bcc: ['di@example.com'],
      subject: 'Hi',
      text: 'Hello',
    });
    const [first, second] = fake.state.sent.at(-1)!.body.personalizations;
    expect(first).toMatchObject({ to: [{ email: 'ana@example.com' }], cc: [{ email: 'cy@example.com' }], bcc: [{ email: 'di@example.com' }] });
    expect(second).toEqual({ to: [{ email: 'bo@example.com' }] });
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
    await expect(
      harness().action<Json>('sendEmail', { to: 'ana@example.com', subject: 'Hi', text: 'x', fromEmail: 'someone@else.test' }),
    ).rejects.toMatchObject({
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
    const event = {
      id: 'evt_1',
      event: 'registration.received',
      timestamp: '2026-01-01T09:00:00Z',
      accountId: 'acct_test',
      livemode: false,
      data: { registrationId: 'reg_7', sessionId: 'sess_9', email: 'ana@example.com', name: 'Ana' },
    };
    await sendgrid.onEvent!['registration.received'](configured.context(), event);
    expect(fake.state.sent.at(-1)!.body).toMatchObject({
      personalizations: [
        { to: [{ email: 'ana@example.com', name: 'Ana' }], dynamic_template_data: { name: 'Ana', registrationId: 'reg_7', sessionId: 'sess_9' } },
      ],
      template_id: templateId,
      custom_args: { plugboardEventId: 'evt_1' },
    });
    expect(configured.logs.at(-1)).toMatchObject({ level: 'info', message: 'registration confirmation sent' });

    const sentBefore = fake.state.sent.length;
    await sendgrid.onEvent!['registration.received'](harness().context(), event);
    expect(fake.state.sent).toHaveLength(sentBefore);
  });
});

const REMINDER_TEMPLATE = 'd-1b2c3d4e5f6a40718293a4b5c6d7e8f9';
const LIST_A = '0b6f3c2a-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const LIST_B = '1c7a4d3b-5e6f-4071-9b8c-0d1e2f3a4b5c';
const session = {
  sessionId: 'sess_9',
  roomId: 'room_123',
  title: 'Launch <webinar> & Q&A',
  description: 'What is new this quarter',
  start: '2026-03-02T16:00:00Z',
  end: '2026-03-02T17:00:00Z',
  timeZone: 'Europe/Paris',
  joinUrl: 'https://app.example.com/rooms/room_123',
};
const event = (type: string, data: Json, id = `evt_${type}`): PlugboardEvent => ({
  id,
  event: type,
  timestamp: '2026-03-02T15:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});
const sentSince = (count: number) => fake.state.sent.slice(count).map((mail) => mail.body);

describe('sendgrid plugin: session reminders and updates', () => {
  it('declares the reminder and update template settings', () => {
    const ajv = createSchemaCompiler();
    const settings = ajv.compile(sendgrid.settingsSchema);
    expect(settings({ ...SETTINGS, reminderTemplateId: REMINDER_TEMPLATE, updateTemplateId: REMINDER_TEMPLATE })).toBe(true);
    expect(settings({ reminderTemplateId: 'reminder' })).toBe(false);
    expect(settings({ updateTemplateId: 'd-123' })).toBe(false);
  });

  it('sends the reminder template: one personalization per distinct address, with the session in dynamic_template_data', async () => {
    const before = fake.state.sent.length;
    const h = harness(SENDGRID_TEST_KEY, { ...SETTINGS, replyTo: 'help@acme.test', reminderTemplateId: REMINDER_TEMPLATE });
    await sendgrid.onEvent!['session.reminder'](
      h.context(),
      event('session.reminder', {
        ...session,
        recipients: [
          { name: 'Ana', email: 'ana@example.com', phone: '+14155550123' },
          { email: 'bo@example.com' },
          { name: 'Ana again', email: 'ANA@example.com' },
          { name: 'Phone only', phone: '+14155550124' },
          { name: 'Broken', email: 'not-an-email' },
        ],
      }),
    );
    const { roomId: _roomId, ...fields } = session;
    const template = { ...fields, kind: 'reminder', startText: 'Mon, Mar 2, 2026, 5:00 PM GMT+1', endText: 'Mon, Mar 2, 2026, 6:00 PM GMT+1' };
    expect(sentSince(before)).toEqual([
      {
        personalizations: [
          { to: [{ email: 'ana@example.com', name: 'Ana' }], dynamic_template_data: { ...template, name: 'Ana' } },
          { to: [{ email: 'bo@example.com' }], dynamic_template_data: template },
        ],
        from: { email: 'events@acme.test', name: 'Acme Events' },
        reply_to: { email: 'help@acme.test' },
        custom_args: { plugboardEventId: 'evt_session.reminder', sessionId: 'sess_9' },
        template_id: REMINDER_TEMPLATE,
      },
    ]);
    expect(h.logs.at(-1)).toMatchObject({
      level: 'info',
      message: 'reminder emails sent',
      fields: { sent: 2, templated: true, messageIds: [fake.state.sent.at(-1)!.messageId] },
    });
  });

  it('sends a plain reminder without a template: subject and text/HTML from the session, the greeting per recipient, HTML escaped', async () => {
    const before = fake.state.sent.length;
    await sendgrid.onEvent!['session.reminder'](
      harness().context(),
      event('session.reminder', { ...session, recipients: [{ name: 'Cy & Dee', email: 'cy@example.com' }, { email: 'eve@example.com' }] }),
    );
    const [mail] = sentSince(before);
    expect(mail.template_id).toBeUndefined();
    expect(mail.subject).toBe('Reminder: Launch <webinar> & Q&A (Mon, Mar 2, 2026, 5:00 PM GMT+1)');
    expect(mail.personalizations).toEqual([
      { to: [{ email: 'cy@example.com', name: 'Cy & Dee' }], substitutions: { '-pbGreeting-': 'Hi Cy & Dee,', '-pbGreetingHtml-': 'Hi Cy &#38; Dee,' } },
      { to: [{ email: 'eve@example.com' }], substitutions: { '-pbGreeting-': 'Hi,', '-pbGreetingHtml-': 'Hi,' } },
    ]);
    const [plain, html] = mail.content;
    expect(plain.type).toBe('text/plain');
    expect(plain.value).toBe(
      [
        '-pbGreeting-',
        '',
        'This is a reminder for "Launch <webinar> & Q&A".',
        '',
        'Starts: Mon, Mar 2, 2026, 5:00 PM GMT+1',
        'Ends: Mon, Mar 2, 2026, 6:00 PM GMT+1',
        'Time zone: Europe/Paris',
        '',
        'Join: https://app.example.com/rooms/room_123',
      ].join('\n'),
    );
    expect(html.type).toBe('text/html');
    expect(html.value).toContain('<p>-pbGreetingHtml-</p>');
    expect(html.value).toContain('<strong>Launch &#60;webinar&#62; &#38; Q&#38;A</strong>');
    expect(html.value).toContain('<a href="https://app.example.com/rooms/room_123">Join the session</a>');
    expect(html.value).not.toContain('<webinar>');
  });

  it('batches reminders at 1,000 recipients a request', async () => {
    const before = fake.state.sent.length;
    const recipients = Array.from({ length: 1001 }, (_unused, index) => ({ email: `guest${index}@example.com` }));
    await sendgrid.onEvent!['session.reminder'](
      harness(SENDGRID_TEST_KEY, { ...SETTINGS, reminderTemplateId: REMINDER_TEMPLATE }).context(),
      event('session.reminder', { ...session, recipients }),
    );
    const mails = sentSince(before);
    expect(mails.map((mail) => mail.personalizations.length)).toEqual([1000, 1]);
    const addresses = mails.flatMap((mail) => mail.personalizations.map((personalization: Json) => personalization.to[0].email));
    expect(new Set(addresses).size).toBe(1001);
  });

  it('drops a recipient SendGrid refuses and sends the others', async () => {
    const before = fake.state.sent.length;
    const h = harness();
    await sendgrid.onEvent!['session.reminder'](
      h.context(),
      event('session.reminder', { ...session, recipients: [{ email: 'ana@example.com' }, { email: 'ana..lima@example.com' }, { email: 'bo@example.com' }] }),
    );
    expect(h.requests).toHaveLength(2);
    expect(h.requests[0].json()).toMatchObject({ personalizations: [{}, { to: [{ email: 'ana..lima@example.com' }] }, {}] });
    expect(sentSince(before).map((mail) => mail.personalizations.map((personalization: Json) => personalization.to[0].email))).toEqual([
      ['ana@example.com', 'bo@example.com'],
    ]);
    expect(h.logs.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'SendGrid refused some reminder recipients'],
      ['info', 'reminder emails sent'],
    ]);
  });

  it('sends nothing to recipients without an address, and refuses to send without a sender', async () => {
    const h = harness();
    await sendgrid.onEvent!['session.reminder'](h.context(), event('session.reminder', { ...session, recipients: [{ name: 'Phone', phone: '+14155550123' }] }));
    expect(h.requests).toEqual([]);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'info', message: 'no recipient with an email address: no reminder email sent' })]);
    const noSender = harness(SENDGRID_TEST_KEY, {});
    await expect(
      sendgrid.onEvent!['session.reminder'](noSender.context(), event('session.reminder', { ...session, recipients: [{ email: 'ana@example.com' }] })),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('fromEmail') });
    expect(noSender.requests).toEqual([]);
  });

  it('fails on SendGrid’s 429 when nothing went out (waiting for X-RateLimit-Reset), and only logs once a batch was accepted', async () => {
    fake.state.tooManyRequests = 1;
    try {
      await expect(
        sendgrid.onEvent!['session.reminder'](harness().context(), event('session.reminder', { ...session, recipients: [{ email: 'ana@example.com' }] })),
      ).rejects.toMatchObject({ code: 'provider_rate_limited', message: 'SendGrid: too many requests', retryAfterSeconds: expect.any(Number) });
    } finally {
      fake.state.tooManyRequests = 0;
    }

    const before = fake.state.sent.length;
    const recipients = Array.from({ length: 1001 }, (_unused, index) => ({ email: `late${index}@example.com` }));
    const h = createHarness(plugin, {
      provider: 'sendgrid',
      credentials: { apiKey: SENDGRID_TEST_KEY },
      settings: SETTINGS,
      http: async (request) => {
        // The second request finds the budget spent.
        if (h.requests.length === 2) fake.state.tooManyRequests = 1;
        return forwardTo(fake.origins)(request);
      },
    });
    await sendgrid.onEvent!['session.reminder'](h.context(), event('session.reminder', { ...session, recipients }));
    expect(sentSince(before).map((mail) => mail.personalizations.length)).toEqual([1000]);
    expect(h.logs.find((line) => line.level === 'error')).toMatchObject({ fields: { sent: 1000, notSent: 1, reason: 'SendGrid: too many requests' } });
  });

  it('emails session updates only with an update template configured', async () => {
    const before = fake.state.sent.length;
    const data = { ...session, start: '2026-03-02T16:30:00Z', recipients: [{ name: 'Ana', email: 'ana@example.com' }] };
    const plain = harness();
    await sendgrid.onEvent!['session.updated'](plain.context(), event('session.updated', data));
    expect(plain.requests).toEqual([]);

    const updateTemplate = fake.state.templates[2].id;
    await sendgrid.onEvent!['session.updated'](
      harness(SENDGRID_TEST_KEY, { ...SETTINGS, updateTemplateId: updateTemplate }).context(),
      event('session.updated', data),
    );
    expect(sentSince(before)).toEqual([
      expect.objectContaining({
        template_id: updateTemplate,
        personalizations: [
          {
            to: [{ email: 'ana@example.com', name: 'Ana' }],
            dynamic_template_data: expect.objectContaining({
              kind: 'update',
              name: 'Ana',
              start: '2026-03-02T16:30:00Z',
              startText: 'Mon, Mar 2, 2026, 5:30 PM GMT+1',
            }),
          },
        ],
      }),
    ]);
  });
});

describe('sendgrid plugin: Marketing Campaigns contacts', () => {
  it('declares a strict upsertContact input', () => {
    const input = createSchemaCompiler().compile(sendgrid.actions.upsertContact.inputSchema);
    expect(input({ email: 'ana@example.com', firstName: 'Ana', lastName: 'Lima', listIds: [LIST_A, LIST_B] })).toBe(true);
    expect(input({ email: 'ana@example.com', listIds: ['not-a-uuid'] })).toBe(false);
    expect(input({ email: 'ana@example.com', listIds: [LIST_A, LIST_A] })).toBe(false);
    expect(input({ email: 'ana@example.com', firstName: 'A'.repeat(51) })).toBe(false);
    expect(input({ email: 'nope' })).toBe(false);
    expect(input({ firstName: 'Ana' })).toBe(false);
    expect(input({ email: 'ana@example.com', phone: '+14155550123' })).toBe(false);
  });

  it('upserts a contact with PUT /v3/marketing/contacts: 202 and a job id, the contact appears when the job runs', async () => {
    const h = harness();
    const result = await h.action<Json>('upsertContact', { email: 'Ana.Lima@Example.com', firstName: 'Ana', lastName: 'Lima', listIds: [LIST_A] });
    const job = fake.state.contactJobs.at(-1)!;
    expect(result).toEqual({ accepted: true, jobId: job.id, email: 'ana.lima@example.com', listIds: [LIST_A] });
    expect(h.requests.map((request) => [request.method, request.url, request.json()])).toEqual([
      [
        'PUT',
        'https://api.sendgrid.com/v3/marketing/contacts',
        { list_ids: [LIST_A], contacts: [{ email: 'Ana.Lima@Example.com', first_name: 'Ana', last_name: 'Lima' }] },
      ],
    ]);
    expect(fake.state.contacts.has('ana.lima@example.com')).toBe(false);
    fake.state.runContactJobs();
    expect(fake.state.contacts.get('ana.lima@example.com')).toEqual({
      email: 'ana.lima@example.com',
      first_name: 'Ana',
      last_name: 'Lima',
      list_ids: [LIST_A],
    });

    await harness().action('upsertContact', { email: 'ana.lima@example.com', listIds: [LIST_B] });
    fake.state.runContactJobs();
    expect(fake.state.contacts.get('ana.lima@example.com')).toEqual({
      email: 'ana.lima@example.com',
      first_name: 'Ana',
      last_name: 'Lima',
      list_ids: [LIST_A, LIST_B],
    });

    const bare = harness();
    await bare.action('upsertContact', { email: 'bo@example.com' });
    expect(bare.requests[0].json()).toEqual({ contacts: [{ email: 'bo@example.com' }] });
  });

  it('passes SendGrid’s validation errors and permission refusals on, and its 429 as a rate limit', async () => {
    await expect(harness().action('upsertContact', { email: 'ana..lima@example.com' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'contacts[0].email: must be a valid email address',
    });
    await expect(harness().action('upsertContact', { email: 'ana@example.com', listIds: ['list-1'] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'list_ids[0]: must be a valid UUID',
    });
    await expect(harness(SEND_ONLY_KEY).action('upsertContact', { email: 'ana@example.com' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'access forbidden: give the API key the Marketing Campaigns permission in SendGrid to manage contacts',
    });
    const jobs = fake.state.contactJobs.length;
    fake.state.tooManyRequests = 1;
    try {
      const error: Json = await harness()
        .action<Json>('upsertContact', { email: 'ana@example.com' })
        .catch((caught: unknown) => caught as Json);
      expect(error).toMatchObject({ code: 'provider_rate_limited', message: 'SendGrid: too many requests' });
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(31);
    } finally {
      fake.state.tooManyRequests = 0;
    }
    expect(fake.state.contactJobs).toHaveLength(jobs);
  });
});
