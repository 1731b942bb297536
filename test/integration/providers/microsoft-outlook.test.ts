import type { VerifyResult } from '../../../src/sdk/index.js';
import { GRAPH_SCOPES, startFakeMicrosoftOutlook, type FakeMicrosoftOutlook } from '../../fixtures/providers/microsoft-outlook.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Microsoft Outlook plugin as the host runs it: loaded from plugins/ by the real loader, called
 * through the PluginRunner in a child process, ctx.http performed by the host's SafeHttp with the
 * declared mailbox budget, and PROVIDER_ORIGIN_OVERRIDES pointing Microsoft's origins at the local fake.
 */
describe('microsoft outlook in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeMicrosoftOutlook;

  beforeAll(async () => {
    fake = await startFakeMicrosoftOutlook();
    host = await startProviderHost({ fakes: [fake], integration: { id: '9b3f6a2e-1c4d-4e8f-a7b6-3d2c1e0f9a8b', accountId: 'acct_outlook' } });
  });
  afterAll(() => host?.close());

  it('verifies, keeps a session’s event once per key, refuses a grant without calendars as 422 and Graph’s 429 with its Retry-After', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'ms', clientSecret: 'ms-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('ms', `${GRAPH_SCOPES.calendars} ${GRAPH_SCOPES.user}`);
    const connect = host.context({ accessToken, tokenType: 'Bearer' });
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
    const context = host.context(connect.credentials, { calendarId: calendar.id, defaultReminderMinutes: 20 }, verified.metadata);
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
