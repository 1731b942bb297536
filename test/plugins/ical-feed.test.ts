import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let ical: Json;

beforeAll(async () => {
  plugin = await loadBundledPlugin('ical-feed');
  ical = plugin.providers[0];
});

interface Property {
  name: string;
  params: Record<string, string>;
  value: string;
}

/** Reads an iCalendar stream back (RFC 5545 §3.1 unfolding, §3.3.11 TEXT unescaping). */
function parseICalendar(body: string): { calendar: Property[]; events: Array<Record<string, string>> } {
  const lines = body.replace(/\r\n[ \t]/g, '').split('\r\n');
  expect(lines.pop()).toBe('');
  const calendar: Property[] = [];
  const events: Array<Record<string, string>> = [];
  let current: Record<string, string> | undefined;
  for (const line of lines) {
    const match = /^([A-Z0-9-]+)((?:;[A-Z0-9-]+=[^:;]*)*):(.*)$/.exec(line);
    expect(match).not.toBeNull();
    const [, name, rawParams, value] = match!;
    const params = Object.fromEntries(
      rawParams
        .split(';')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
    if (name === 'BEGIN' && value === 'VEVENT') current = {};
    else if (name === 'END' && value === 'VEVENT') {
      events.push(current!);
      current = undefined;
    } else if (current) current[name] = value.replace(/\\([\\;,nN])/g, (_m, escaped: string) => (escaped.toLowerCase() === 'n' ? '\n' : escaped));
    else calendar.push({ name, params, value });
  }
  return { calendar, events };
}

const stored = (event: string, timestamp: string, data: Record<string, unknown>, id = `${event}:${String(data.sessionId ?? data.roomId)}`) => ({
  id,
  event,
  timestamp,
  accountId: 'acct_test',
  livemode: false,
  data,
});

/** The render action as the host calls it; the harness has no HTTP because the plugin makes none. */
function render(events: unknown[], settings: Json = {}, calendarName?: string): Promise<{ contentType: string; body: string }> {
  return createHarness(plugin, { settings }).action('render', { events, ...(calendarName ? { calendarName } : {}) });
}

describe('ical feed plugin', () => {
  it('declares a calendar provider without auth', () => {
    expect(ical).toMatchObject({ id: 'ical_feed', name: 'iCal Feed', category: 'calendar', auth: { type: 'none' } });
    expect(ical.actions.render.inputSchema.required).toEqual(['events']);
  });

  it('issues a 32-byte base64url feed token on every connect', async () => {
    const harness = createHarness(plugin);
    const first = await harness.verify();
    const second = await harness.verify();
    expect(first.displayName).toBe('iCal feed');
    expect(first.metadata!.feedToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.metadata!.feedToken as string, 'base64url')).toHaveLength(32);
    expect(second.metadata!.feedToken).not.toBe(first.metadata!.feedToken);
  });

  it('renders one VEVENT per session, pairing start and end by sessionId, in UTC', async () => {
    const result = await render(
      [
        stored('room.created', '2026-01-01T08:00:00Z', { roomId: 'room_1', name: 'Main stage', hostId: 'u1' }),
        stored('session.started', '2026-01-01T10:00:05Z', {
          sessionId: 'sess_b',
          roomId: 'room_1',
          title: 'Launch webinar',
          startedAt: '2026-01-01T10:00:00Z',
        }),
        stored('session.started', '2026-01-01T09:00:00Z', { sessionId: 'sess_a', roomId: 'room_1', startedAt: '2026-01-01T09:00:00+01:00' }),
        stored('session.ended', '2026-01-01T11:00:02Z', { sessionId: 'sess_b', endedAt: '2026-01-01T11:00:00Z', durationSeconds: 3600 }),
        stored('registration.received', '2026-01-01T07:00:00Z', { registrationId: 'reg_1', sessionId: 'sess_b', email: 'ana@example.com' }),
        stored('participant.joined', '2026-01-01T10:01:00Z', { participantId: 'p1', sessionId: 'sess_b' }),
      ],
      {},
      'Acme sessions',
    );
    expect(result.contentType).toBe('text/calendar; charset=utf-8');
    const { calendar, events } = parseICalendar(result.body);
    expect(calendar.map((property) => `${property.name}:${property.value}`)).toEqual([
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Plugboard//iCal Feed 1.0//EN',
      'CALSCALE:GREGORIAN',
      'METHOD:PUBLISH',
      'NAME:Acme sessions',
      'X-WR-CALNAME:Acme sessions',
      'REFRESH-INTERVAL:PT15M',
      'X-PUBLISHED-TTL:PT15M',
      'END:VCALENDAR',
    ]);
    expect(events).toEqual([
      {
        UID: 'sess_a@acct_test.plugboard',
        DTSTAMP: '20260101T090000Z',
        'LAST-MODIFIED': '20260101T090000Z',
        SEQUENCE: '0',
        DTSTART: '20260101T080000Z',
        DTEND: '20260101T090000Z',
        SUMMARY: 'Main stage',
        DESCRIPTION: 'Room: Main stage\nIn progress',
        STATUS: 'CONFIRMED',
        TRANSP: 'OPAQUE',
      },
      {
        UID: 'sess_b@acct_test.plugboard',
        DTSTAMP: '20260101T110002Z',
        'LAST-MODIFIED': '20260101T110002Z',
        SEQUENCE: '1',
        DTSTART: '20260101T100000Z',
        DTEND: '20260101T110000Z',
        SUMMARY: 'Launch webinar',
        DESCRIPTION: 'Room: Main stage',
        STATUS: 'CONFIRMED',
        TRANSP: 'OPAQUE',
      },
    ]);
  });

  it('falls back to event timestamps, the end minus its duration, and the configured length', async () => {
    const { events } = parseICalendar(
      (
        await render(
          [
            stored('session.started', '2026-02-01T10:00:00Z', { sessionId: 'no-times' }),
            stored('session.ended', '2026-02-01T10:30:00Z', { sessionId: 'no-times' }),
            stored('session.ended', '2026-02-02T12:00:00Z', { sessionId: 'only-end', endedAt: '2026-02-02T12:00:00Z', durationSeconds: 1800 }),
            stored('session.started', '2026-02-03T09:00:00Z', { sessionId: 'live', startedAt: 'not a date' }),
            stored('session.started', 'garbage', { sessionId: 'no-usable-time', startedAt: 'garbage' }),
          ],
          { defaultDurationMinutes: 90 },
        )
      ).body,
    );
    expect(events.map(({ UID, DTSTART, DTEND, SUMMARY }) => ({ UID, DTSTART, DTEND, SUMMARY }))).toEqual([
      { UID: 'no-times@acct_test.plugboard', DTSTART: '20260201T100000Z', DTEND: '20260201T103000Z', SUMMARY: 'Session no-times' },
      { UID: 'only-end@acct_test.plugboard', DTSTART: '20260202T113000Z', DTEND: '20260202T120000Z', SUMMARY: 'Session only-end' },
      { UID: 'live@acct_test.plugboard', DTSTART: '20260203T090000Z', DTEND: '20260203T103000Z', SUMMARY: 'Session live' },
    ]);
  });

  it('escapes commas, semicolons, backslashes and newlines in text', async () => {
    const title = 'Q&A; pricing, plans \\ roadmap\nPart 2';
    const { body } = await render([stored('session.started', '2026-01-01T10:00:00Z', { sessionId: 'weird id;,', title })], {}, 'Team, Inc; "events"');
    expect(body).toContain('SUMMARY:Q&A\\; pricing\\, plans \\\\ roadmap\\nPart 2\r\n');
    expect(body).toContain('X-WR-CALNAME:Team\\, Inc\\; "events"\r\n');
    const { events, calendar } = parseICalendar(body);
    expect(events[0].SUMMARY).toBe(title);
    expect(events[0].UID).toBe('weird%20id%3B%2C@acct_test.plugboard');
    expect(calendar.find((property) => property.name === 'X-WR-CALNAME')!.value).toBe('Team\\, Inc\\; "events"');
  });

  it('uses CRLF only and folds lines at 75 octets without splitting UTF-8 characters', async () => {
    const title = `Sessão de lançamento — ${'ünïcødé '.repeat(20)}🎉 fim`;
    const { body } = await render([stored('session.started', '2026-01-01T10:00:00Z', { sessionId: 's', title })]);
    expect(body.endsWith('\r\n')).toBe(true);
    expect(body.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const physical: string[] = body.split('\r\n').slice(0, -1);
    for (const line of physical) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    expect(physical.filter((line) => line.startsWith(' ')).length).toBeGreaterThan(2);
    expect(physical.join('\n')).not.toContain('\uFFFD');
    expect(parseICalendar(body).events[0].SUMMARY).toBe(title);
  });

  it('renders an empty, valid calendar when there are no sessions', async () => {
    const { body } = await render([], { calendarName: 'Nothing yet' });
    expect(body).toBe(
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Plugboard//iCal Feed 1.0//EN',
        'CALSCALE:GREGORIAN',
        'METHOD:PUBLISH',
        'NAME:Nothing yet',
        'X-WR-CALNAME:Nothing yet',
        'REFRESH-INTERVAL;VALUE=DURATION:PT15M',
        'X-PUBLISHED-TTL:PT15M',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
  });
  it('shows scheduled sessions with their plan, follows updates, marks a cancellation, and lets what happened win', async () => {
    const plan = {
      sessionId: 'up',
      roomId: 'r1',
      title: 'Launch',
      description: 'Agenda',
      start: '2030-03-02T16:00:00Z',
      end: '2030-03-02T17:00:00Z',
      joinUrl: 'https://app.example.com/r1',
    };
    const { body } = await render([
      stored('session.scheduled', '2030-03-01T09:00:00Z', plan),
      stored('session.updated', '2030-03-01T10:00:00Z', { ...plan, start: '2030-03-02T16:30:00Z', end: '2030-03-02T17:30:00Z' }),
      stored('session.scheduled', '2030-03-01T09:00:00Z', { sessionId: 'off', title: 'Dropped', start: '2030-03-03T10:00:00Z', end: '2030-03-03T11:00:00Z' }),
      stored('session.cancelled', '2030-03-01T11:00:00Z', { sessionId: 'off', reason: 'Speaker ill' }),
      stored('session.scheduled', '2030-03-01T09:00:00Z', { sessionId: 'ran', title: 'Ran late', start: '2030-03-01T12:00:00Z', end: '2030-03-01T13:00:00Z' }),
      stored('session.started', '2030-03-01T12:20:00Z', { sessionId: 'ran', startedAt: '2030-03-01T12:20:00Z' }),
      stored('session.ended', '2030-03-01T13:40:00Z', { sessionId: 'ran', endedAt: '2030-03-01T13:40:00Z' }),
    ]);
    const { events } = parseICalendar(body);
    const byTitle = Object.fromEntries(events.map((event) => [event.SUMMARY, event]));
    expect(byTitle.Launch).toMatchObject({
      DTSTART: '20300302T163000Z',
      DTEND: '20300302T173000Z',
      URL: 'https://app.example.com/r1',
      STATUS: 'CONFIRMED',
      SEQUENCE: '1',
    });
    expect(byTitle.Launch.DESCRIPTION).toBe('Agenda\nJoin: https://app.example.com/r1');
    expect(byTitle.Dropped).toMatchObject({ STATUS: 'CANCELLED', DTSTART: '20300303T100000Z' });
    expect(byTitle['Ran late']).toMatchObject({ DTSTART: '20300301T122000Z', DTEND: '20300301T134000Z', STATUS: 'CONFIRMED' });
  });
});
