// iCal Feed provider for Plugboard: renders the account's sessions as an RFC 5545 calendar that
// calendar apps subscribe to. The host serves the feed at a public URL that carries the integration's
// `feedToken`; this plugin only renders.
import { randomBytes } from 'node:crypto';
import { definePlugin } from 'plugboard/sdk';

/**
 * A Plugboard event as the events module stores it (see the built-in event catalog):
 * @typedef {{ id: string, event: string, timestamp: string, data: Record<string, unknown> }} StoredEvent
 * @typedef {import('plugboard/sdk').PluginContext<Record<string, never>, { calendarName?: string, defaultDurationMinutes?: number }>} FeedContext
 */

const CRLF = '\r\n';
const MAX_OCTETS = 75;
const DEFAULT_NAME = 'Sessions';
const DEFAULT_DURATION_MINUTES = 60;

/** RFC 5545 §3.3.11 TEXT: backslash, semicolon and comma escaped, line breaks as \n, no other controls. */
function text(value) {
  return String(value)
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
}

/**
 * RFC 5545 §3.1: lines longer than 75 octets are folded with CRLF and one space, never inside a
 * UTF-8 sequence.
 */
function fold(line) {
  if (Buffer.byteLength(line, 'utf8') <= MAX_OCTETS) return line;
  const parts = [];
  let current = '';
  let octets = 0;
  for (const character of line) {
    const code = character.codePointAt(0);
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (octets + size > MAX_OCTETS) {
      parts.push(current);
      current = ' ';
      octets = 1;
    }
    current += character;
    octets += size;
  }
  parts.push(current);
  return parts.join(CRLF);
}

/** DATE-TIME in UTC: 19970714T173000Z. */
function utc(milliseconds) {
  return new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function instant(value) {
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
}

const SCHEDULE_TYPES = ['session.scheduled', 'session.updated'];
const SESSION_TYPES = [...SCHEDULE_TYPES, 'session.cancelled', 'session.started', 'session.ended'];
const nonEmpty = (value) => (typeof value === 'string' && value.trim() ? value : undefined);

/**
 * One entry per sessionId. The plan is `session.scheduled` with every later `session.updated` over it;
 * what happened (`session.started`, `session.ended`) wins over the plan. A session not yet ended gets
 * its planned end, else the default duration; one seen only ending starts `durationSeconds` before its
 * end; one cancelled (and not started since) is kept as CANCELLED so subscribed calendars drop it.
 * @param {StoredEvent[]} events
 */
function sessions(events, defaultDurationMinutes) {
  const rooms = new Map();
  const bySession = new Map();
  for (const stored of events) {
    const data = stored?.data ?? {};
    if (stored?.event === 'room.created' && data.roomId && typeof data.name === 'string') rooms.set(String(data.roomId), data.name);
    if (!SESSION_TYPES.includes(stored?.event) || !data.sessionId) continue;
    const key = String(data.sessionId);
    const entry = bySession.get(key) ?? { sessionId: key, events: [] };
    entry.events.push(stored);
    bySession.set(key, entry);
  }
  const result = [];
  for (const { sessionId, events: own } of bySession.values()) {
    own.sort((a, b) => (instant(a.timestamp) ?? 0) - (instant(b.timestamp) ?? 0));
    const of = (...types) => own.filter((stored) => types.includes(stored.event));
    const plan = Object.assign({}, ...of(...SCHEDULE_TYPES).map((stored) => stored.data));
    const started = of('session.started');
    const ended = of('session.ended');
    const starts = started.map((stored) => instant(stored.data.startedAt) ?? instant(stored.timestamp)).filter((value) => value !== undefined);
    const ends = ended.map((stored) => instant(stored.data.endedAt) ?? instant(stored.timestamp)).filter((value) => value !== undefined);
    const actualEnd = ends.length ? Math.max(...ends) : undefined;
    const duration = ended.map((stored) => stored.data.durationSeconds).find((value) => typeof value === 'number' && value >= 0);
    const start = starts.length
      ? Math.min(...starts)
      : (instant(plan.start) ?? (actualEnd !== undefined ? actualEnd - (duration ?? 0) * 1000 : undefined));
    if (start === undefined) continue;
    const plannedEnd = instant(plan.end);
    const end = actualEnd ?? (plannedEnd !== undefined && !starts.length ? plannedEnd : undefined);
    const first = started[0]?.data ?? {};
    const roomId = plan.roomId ?? first.roomId ?? ended[0]?.data.roomId;
    const room = roomId === undefined ? undefined : rooms.get(String(roomId));
    const lastCancel = of('session.cancelled').at(-1);
    const stamps = own.map((stored) => instant(stored.timestamp)).filter((value) => value !== undefined);
    result.push({
      sessionId,
      start,
      end: end !== undefined && end >= start ? end : start + defaultDurationMinutes * 60_000,
      live: starts.length > 0 && actualEnd === undefined,
      cancelled: lastCancel !== undefined && !started.some((stored) => (instant(stored.timestamp) ?? 0) > (instant(lastCancel.timestamp) ?? 0)),
      title: nonEmpty(plan.title) ?? nonEmpty(first.title) ?? room ?? `Session ${sessionId}`,
      description: nonEmpty(plan.description),
      joinUrl: nonEmpty(plan.joinUrl),
      room,
      stamp: stamps.length ? Math.max(...stamps) : start,
      sequence: own.length - 1,
    });
  }
  return result.sort((a, b) => a.start - b.start || a.sessionId.localeCompare(b.sessionId));
}

/** @param {FeedContext} ctx */
function render(ctx, input) {
  const name = input.calendarName ?? ctx.settings?.calendarName ?? DEFAULT_NAME;
  const duration = ctx.settings?.defaultDurationMinutes ?? DEFAULT_DURATION_MINUTES;
  const domain = `${encodeURIComponent(ctx.integration?.accountId ?? 'account')}.plugboard`;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Plugboard//iCal Feed 1.0//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `NAME:${text(name)}`,
    `X-WR-CALNAME:${text(name)}`,
    'REFRESH-INTERVAL;VALUE=DURATION:PT15M',
    'X-PUBLISHED-TTL:PT15M',
  ];
  for (const session of sessions(Array.isArray(input.events) ? input.events : [], duration)) {
    const description = [session.description, session.joinUrl ? `Join: ${session.joinUrl}` : undefined, session.room ? `Room: ${session.room}` : undefined, session.live ? 'In progress' : undefined]
      .filter(Boolean)
      .join('\n');
    lines.push(
      'BEGIN:VEVENT',
      `UID:${text(`${encodeURIComponent(session.sessionId)}@${domain}`)}`,
      `DTSTAMP:${utc(session.stamp)}`,
      `LAST-MODIFIED:${utc(session.stamp)}`,
      `SEQUENCE:${session.sequence}`,
      `DTSTART:${utc(session.start)}`,
      `DTEND:${utc(session.end)}`,
      `SUMMARY:${text(session.title)}`,
      ...(description ? [`DESCRIPTION:${text(description)}`] : []),
      ...(session.joinUrl ? [`URL:${session.joinUrl}`] : []),
      session.cancelled ? 'STATUS:CANCELLED' : 'STATUS:CONFIRMED',
      'TRANSP:OPAQUE',
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return { contentType: 'text/calendar; charset=utf-8', body: lines.map(fold).join(CRLF) + CRLF };
}

export default definePlugin({
  providers: [
    {
      id: 'ical_feed',
      name: 'iCal Feed',
      category: 'calendar',
      description: 'A calendar subscription URL (Apple Calendar, Google Calendar, Outlook, Thunderbird) listing your sessions. One-way.',
      auth: { type: 'none' },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          calendarName: { type: 'string', minLength: 1, maxLength: 200, title: 'Calendar name', default: DEFAULT_NAME },
          defaultDurationMinutes: { type: 'integer', minimum: 5, maximum: 1440, default: DEFAULT_DURATION_MINUTES, title: 'Length shown for sessions still in progress' },
        },
      },

      /** A fresh unguessable token on every connect: reconnecting rotates the feed URL. */
      async verify() {
        return { displayName: 'iCal feed', metadata: { feedToken: randomBytes(32).toString('base64url') } };
      },

      actions: {
        render: {
          description: 'Renders sessions (scheduled, updated, cancelled, started and ended; room names from room.created) as an RFC 5545 calendar.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['events'],
            properties: {
              calendarName: { type: 'string', minLength: 1, maxLength: 200 },
              events: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'event', 'timestamp', 'data'],
                  properties: { id: { type: 'string' }, event: { type: 'string' }, timestamp: { type: 'string' }, data: { type: 'object' } },
                },
              },
            },
          },
          /** @param {FeedContext} ctx */
          async run(ctx, input) {
            return render(ctx, input);
          },
        },
      },
    },
  ],
});
