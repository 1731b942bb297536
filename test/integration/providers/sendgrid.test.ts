import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { SENDGRID_TEST_KEY, sendGridKey, startFakeSendGrid, type FakeSendGrid } from '../../fixtures/providers/sendgrid.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = { id: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a', accountId: 'acct_sendgrid', livemode: false, metadata: {} };
const LIST = '0b6f3c2a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/**
 * SendGrid as the host runs it: the bundled plugin loaded by the real loader into a child process, the
 * API key applied by the host as a bearer token, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://api.sendgrid.com at the local fake.
 */
describe('sendgrid in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeSendGrid;

  beforeAll(async () => {
    fake = await startFakeSendGrid();
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const context = (apiKey = SENDGRID_TEST_KEY) => ({
    credentials: { apiKey },
    settings: { fromEmail: 'events@acme.test', fromName: 'Acme Events' },
    integration,
  });

  it('verifies, emails a session reminder, upserts a contact, and refuses a key without the Marketing permission as 422', async () => {
    await expect(runner.invoke<VerifyResult>('sendgrid', { kind: 'verify', context: context() })).resolves.toEqual({
      displayName: 'SendGrid (acme-events)',
      metadata: { username: 'acme-events', canReadTemplates: true },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SENDGRID_TEST_KEY}`);

    await runner.invoke('sendgrid', {
      kind: 'onEvent',
      name: 'session.reminder',
      input: {
        id: 'evt_reminder',
        event: 'session.reminder',
        timestamp: '2026-03-02T15:00:00Z',
        accountId: 'acct_sendgrid',
        livemode: false,
        data: {
          sessionId: 'sess_9',
          title: 'Launch webinar',
          start: '2026-03-02T16:00:00Z',
          end: '2026-03-02T17:00:00Z',
          timeZone: 'Europe/Paris',
          joinUrl: 'https://app.example.com/rooms/room_123',
          recipients: [{ name: 'Ana', email: 'ana@example.com' }, { phone: '+14155550123' }, { email: 'bo@example.com' }],
        },
      },
      context: context(),
    });
    const reminder = fake.state.sent.at(-1)!.body;
    expect(reminder).toMatchObject({
      subject: 'Reminder: Launch webinar (Mon, Mar 2, 2026, 5:00 PM GMT+1)',
      from: { email: 'events@acme.test', name: 'Acme Events' },
      custom_args: { plugboardEventId: 'evt_reminder', sessionId: 'sess_9' },
    });
    expect(reminder.personalizations.map((personalization: Json) => personalization.to)).toEqual([
      [{ email: 'ana@example.com', name: 'Ana' }],
      [{ email: 'bo@example.com' }],
    ]);

    const upserted = await runner.invoke<Json>('sendgrid', {
      kind: 'action',
      name: 'upsertContact',
      input: { email: 'ana@example.com', firstName: 'Ana', listIds: [LIST] },
      context: context(),
    });
    expect(upserted).toEqual({ accepted: true, jobId: fake.state.contactJobs.at(-1)!.id, email: 'ana@example.com', listIds: [LIST] });

    const sendOnly = sendGridKey();
    fake.state.keys.set(sendOnly, ['mail.send']);
    await expect(
      runner.invoke('sendgrid', { kind: 'action', name: 'upsertContact', input: { email: 'ana@example.com' }, context: context(sendOnly) }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'access forbidden: give the API key the Marketing Campaigns permission in SendGrid to manage contacts',
    });
  });
});
