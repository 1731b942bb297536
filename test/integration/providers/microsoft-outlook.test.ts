import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { GRAPH_SCOPES, startFakeMicrosoftOutlook, type FakeMicrosoftOutlook } from '../../fixtures/providers/microsoft-outlook.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = (metadata: Json = {}) => ({ id: '9b3f6a2e-1c4d-4e8f-a7b6-3d2c1e0f9a8b', accountId: 'acct_outlook', livemode: false, metadata });

/**
 * The Microsoft Outlook plugin as the host runs it: loaded from plugins/ by the real loader, called
 * through the PluginRunner in a child process, ctx.http performed by the host's SafeHttp with the
 * declared mailbox budget, and PROVIDER_ORIGIN_OVERRIDES pointing Microsoft's origins at the local fake.
 */
describe('microsoft outlook in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeMicrosoftOutlook;

  beforeAll(async () => {
    fake = await startFakeMicrosoftOutlook();
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

  it('verifies, keeps a session’s event once per key, refuses a grant without calendars as 422 and Graph’s 429 with its Retry-After', async () => {
    fake.state.oauth.registerClient({ clientId: 'ms', clientSecret: 'ms-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('ms', `${GRAPH_SCOPES.calendars} ${GRAPH_SCOPES.user}`);
    const connect = { credentials: { accessToken, tokenType: 'Bearer' }, settings: {}, integration: integration() };
    const verified = await runner.invoke<VerifyResult>('microsoft_outlook', { kind: 'verify', context: connect });
    expect(verified).toEqual({
      displayName: 'Megan Bowen',
      metadata: {
        userId: fake.state.user.id,
        displayName: 'Megan Bowen',
        mail: 'MeganB@contoso.onmicrosoft.com',
        userPrincipalName: 'MeganB@contoso.onmicrosoft.com',
      },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const calendar = fake.state.addCalendar('Webinars');
    const context = { ...connect, settings: { calendarId: calendar.id, defaultReminderMinutes: 20 }, integration: integration(verified.metadata) };
    const input = {
      eventKey: 'sess_host',
      subject: 'Launch',
      start: '2030-05-01T10:00:00Z',
      end: '2030-05-01T11:00:00Z',
      joinUrl: 'https://rooms.example.com/r/1',
    };
    const created = await runner.invoke<Json>('microsoft_outlook', { kind: 'action', name: 'createEvent', input, context });
    expect(created).toMatchObject({
      id: calendar.events[0].id,
      created: true,
      start: '2030-05-01T10:00:00.000Z',
      reminderMinutes: 20,
      joinUrl: 'https://rooms.example.com/r/1',
    });
    const again = await runner.invoke<Json>('microsoft_outlook', {
      kind: 'action',
      name: 'createEvent',
      input: { ...input, subject: 'Launch (moved)' },
      context,
    });
    expect(again).toMatchObject({ id: created.id, created: false, subject: 'Launch (moved)' });
    expect(calendar.events).toHaveLength(1);

    const cancelled = {
      id: 'evt_c',
      event: 'session.cancelled',
      timestamp: '2030-04-01T00:00:00Z',
      accountId: 'acct_outlook',
      livemode: false,
      data: { sessionId: 'sess_host' },
    };
    await runner.invoke('microsoft_outlook', { kind: 'onEvent', name: 'session.cancelled', input: cancelled, context });
    expect(calendar.events).toEqual([]);

    const { accessToken: profileOnly } = fake.state.oauth.mintTokens('ms', GRAPH_SCOPES.user);
    await expect(
      runner.invoke('microsoft_outlook', {
        kind: 'action',
        name: 'createEvent',
        input,
        context: { ...context, credentials: { accessToken: profileOnly, tokenType: 'Bearer' } },
      }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Access is denied. Check credentials and try again. (ErrorAccessDenied) Connect again and allow access to your calendars (Calendars.ReadWrite).',
    });

    // Longer than the host waits itself: the caller is told when to come back.
    fake.state.throttle(1, { retryAfter: '120' });
    await expect(runner.invoke('microsoft_outlook', { kind: 'healthCheck', context })).rejects.toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
      headers: { 'Retry-After': '120' },
    });
  });
});
