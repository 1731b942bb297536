import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { GOOGLE_CALENDAR_SCOPES, startFakeGoogleCalendar, type FakeGoogleCalendar } from '../../fixtures/providers/google-calendar.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = (metadata: Json = {}) => ({ id: '7c2e4a1b-3d5f-4e6a-9b8c-0d1e2f3a4b5c', accountId: 'acct_gcal', livemode: false, metadata });

/**
 * Google Calendar as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, ctx.http performed by the host's SafeHttp with the declared
 * quotas, and PROVIDER_ORIGIN_OVERRIDES pointing Google's origins at the local fake.
 */
describe('google calendar in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeGoogleCalendar;

  beforeAll(async () => {
    fake = await startFakeGoogleCalendar();
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

  it('verifies, keeps a session’s event from scheduled through updated to cancelled, and refuses a read-only grant as 422', async () => {
    fake.state.oauth.registerClient({ clientId: 'g', clientSecret: 'g-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('g', `${GOOGLE_CALENDAR_SCOPES.events} ${GOOGLE_CALENDAR_SCOPES.readonly}`);
    const connect = { credentials: { accessToken, tokenType: 'Bearer' }, settings: {}, integration: integration() };
    const verified = await runner.invoke<VerifyResult>('google_calendar', { kind: 'verify', context: connect });
    expect(verified).toEqual({ displayName: 'ana@acme.test', metadata: { calendarId: 'ana@acme.test', timeZone: 'Europe/Lisbon', accessRole: 'owner' } });

    const calendar = fake.state.addCalendar('webinars@group.calendar.google.com', 'Webinars');
    const context = {
      ...connect,
      settings: { calendarId: calendar.entry.id, reminders: [{ method: 'popup', minutes: 30 }] },
      integration: integration(verified.metadata),
    };
    const data = {
      sessionId: 'sess_host',
      roomId: 'room_1',
      title: 'Launch',
      start: '2030-05-01T10:00:00Z',
      end: '2030-05-01T11:00:00Z',
      timeZone: 'Europe/Paris',
      joinUrl: 'https://rooms.example.com/r/1',
    };
    const event = (type: string, payload: Json) => ({
      id: `evt_${type}`,
      event: type,
      timestamp: '2030-04-01T00:00:00Z',
      accountId: 'acct_gcal',
      livemode: false,
      data: payload,
    });

    await runner.invoke('google_calendar', { kind: 'onEvent', name: 'session.scheduled', input: event('session.scheduled', data), context });
    expect(calendar.events).toEqual([
      expect.objectContaining({
        summary: 'Launch',
        status: 'confirmed',
        location: 'https://rooms.example.com/r/1',
        reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 30 }] },
        start: { dateTime: '2030-05-01T10:00:00Z', timeZone: 'Europe/Paris' },
      }),
    ]);
    const [{ id }] = calendar.events;

    await runner.invoke('google_calendar', {
      kind: 'onEvent',
      name: 'session.updated',
      input: event('session.updated', { ...data, title: 'Launch (moved)', start: '2030-05-01T12:00:00Z', end: '2030-05-01T13:00:00Z' }),
      context,
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/calendar/v3/calendars/${encodeURIComponent(calendar.entry.id)}/events/${id}` });
    expect(calendar.events).toEqual([
      expect.objectContaining({ id, summary: 'Launch (moved)', start: { dateTime: '2030-05-01T12:00:00Z', timeZone: 'Europe/Paris' } }),
    ]);

    const cancelled = event('session.cancelled', { sessionId: 'sess_host', reason: 'Speaker unavailable' });
    await runner.invoke('google_calendar', { kind: 'onEvent', name: 'session.cancelled', input: cancelled, context });
    expect(calendar.events).toEqual([expect.objectContaining({ id, status: 'cancelled' })]);
    // Cancelled again: Google answers 410 Gone, which is what was asked for.
    const deletes = fake.state.requests.filter((request) => request.method === 'DELETE').length;
    await runner.invoke('google_calendar', { kind: 'onEvent', name: 'session.cancelled', input: cancelled, context });
    expect(fake.state.requests.filter((request) => request.method === 'DELETE')).toHaveLength(deletes + 1);
    expect(calendar.events).toEqual([expect.objectContaining({ id, status: 'cancelled' })]);

    const { accessToken: readOnly } = fake.state.oauth.mintTokens('g', GOOGLE_CALENDAR_SCOPES.readonly);
    await expect(
      runner.invoke('google_calendar', {
        kind: 'onEvent',
        name: 'session.scheduled',
        input: event('session.scheduled', { ...data, sessionId: 'sess_other' }),
        context: { ...context, credentials: { accessToken: readOnly, tokenType: 'Bearer' } },
      }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Google Calendar access was not granted: connect again and allow access to your calendars.',
    });
  });
});
