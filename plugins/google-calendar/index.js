// Google Calendar provider for Plugboard, written against the Google Calendar API v3
// (https://developers.google.com/calendar/api/v3/reference) and Google's OAuth 2.0 for web server
// apps. No runtime dependency on Plugboard.
import { createHash } from 'node:crypto';

/**
 * @typedef {{ calendarId?: string, syncDays?: number, defaultTimeZone?: string }} CalendarSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, CalendarSettings>} CalendarContext
 */

const SCOPES = ['https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.readonly'];
const SYNC_PAGE_SIZE = 250;
const DAY_MS = 86_400_000;

function rejected(message) {
  return Object.assign(new Error(message), { code: 'provider_rejected' });
}

/** Google's `{ error: { code, message, status, errors: [{ reason }] } }`. */
function googleFailure(status, body) {
  const error = body?.error ?? {};
  const reason = error.errors?.[0]?.reason;
  if (status === 401) return rejected('Google refused the access token: connect Google Calendar again.');
  if (status === 403 && reason === 'insufficientPermissions') {
    return rejected('Google Calendar access was not granted: connect again and allow access to your calendars.');
  }
  const message = error.message ?? `Google answered HTTP ${status}`;
  if (status >= 400 && status < 429 && reason !== 'rateLimitExceeded' && reason !== 'userRateLimitExceeded') return Object.assign(rejected(message), { reason });
  return new Error(`Google Calendar answered HTTP ${status}: ${message}`);
}

/**
 * Calls the Calendar API (the host adds the bearer token under the base URL and refreshes it first
 * when it is about to expire).
 * @param {CalendarContext} ctx
 */
async function calendar(ctx, path, init = {}) {
  const response = await ctx.http(path, init);
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) return body;
  throw googleFailure(response.status, body);
}

const calendarPath = (ctx, calendarId) => `/calendars/${encodeURIComponent(calendarId ?? ctx.settings?.calendarId ?? 'primary')}`;

function eventRecord(event) {
  return {
    id: event.id,
    summary: event.summary ?? null,
    description: event.description ?? null,
    location: event.location ?? null,
    start: event.start?.dateTime ?? event.start?.date ?? null,
    end: event.end?.dateTime ?? event.end?.date ?? null,
    allDay: Boolean(event.start?.date && !event.start?.dateTime),
    status: event.status ?? null,
    htmlLink: event.htmlLink ?? null,
    updated: event.updated ?? null,
  };
}

/**
 * A Calendar event id derived from a caller's key (e.g. a session id): Google accepts client ids in
 * base32hex (0-9, a-v), and hex digits are a subset, so inserting the same key twice is a 409 instead
 * of a duplicate event.
 */
function eventIdFor(key) {
  return `pb${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** @param {CalendarContext} ctx */
async function createEvent(ctx, input) {
  const timeZone = input.timeZone ?? ctx.settings?.defaultTimeZone;
  const time = (value) => ({ dateTime: value, ...(timeZone ? { timeZone } : {}) });
  const description = [input.description, input.joinUrl ? `Join: ${input.joinUrl}` : undefined].filter(Boolean).join('\n\n');
  const body = {
    ...(input.eventKey ? { id: eventIdFor(input.eventKey) } : {}),
    summary: input.summary,
    ...(description ? { description } : {}),
    ...(input.location || input.joinUrl ? { location: input.location ?? input.joinUrl } : {}),
    start: time(input.start),
    end: time(input.end),
    ...(input.attendees?.length ? { attendees: input.attendees.map((email) => ({ email })) } : {}),
    ...(input.recurrence?.length ? { recurrence: input.recurrence } : {}),
    ...(input.reminders ? { reminders: { useDefault: false, overrides: input.reminders } } : {}),
    ...(input.joinUrl ? { source: { title: input.summary, url: input.joinUrl } } : {}),
  };
  const base = calendarPath(ctx, input.calendarId);
  try {
    const event = await calendar(ctx, `${base}/events?sendUpdates=${input.sendUpdates ?? 'none'}`, { method: 'POST', body });
    return { ...eventRecord(event), created: true };
  } catch (error) {
    if (!input.eventKey || error.reason !== 'duplicate') throw error;
    const existing = await calendar(ctx, `${base}/events/${body.id}`);
    return { ...eventRecord(existing), created: false };
  }
}

/** @param {CalendarContext} ctx */
async function listEvents(ctx, { calendarId, timeMin, timeMax, q, maxResults = 50, pageToken } = {}) {
  const query = new URLSearchParams({ singleEvents: 'true', orderBy: 'startTime', maxResults: String(maxResults), timeMin: timeMin ?? new Date().toISOString() });
  if (timeMax) query.set('timeMax', timeMax);
  if (q) query.set('q', q);
  if (pageToken) query.set('pageToken', pageToken);
  const page = await calendar(ctx, `${calendarPath(ctx, calendarId)}/events?${query}`);
  return { events: (page.items ?? []).map(eventRecord), nextPageToken: page.nextPageToken ?? null, timeZone: page.timeZone ?? null };
}

const dateTime = { type: 'string', format: 'date-time' };

export default {
  providers: [
    {
      id: 'google_calendar',
      name: 'Google Calendar',
      category: 'calendar',
      description: 'Put sessions on a Google Calendar with their join links, and sync upcoming events.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: SCOPES,
        scopeSeparator: ' ',
        pkce: true,
        // offline + consent: Google issues a refresh token on every connection, not only the first.
        authorizationParams: { access_type: 'offline', prompt: 'consent' },
        refresh: true,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          calendarId: { type: 'string', minLength: 1, maxLength: 1024, default: 'primary', title: 'Calendar', description: 'Calendar id (see the listCalendars action); "primary" is the user’s main calendar' },
          syncDays: { type: 'integer', minimum: 1, maximum: 365, default: 30, title: 'Days ahead to sync' },
          defaultTimeZone: { type: 'string', maxLength: 64, title: 'Time zone', description: 'IANA name used for new events, e.g. Europe/Lisbon' },
        },
      },
      baseUrl: 'https://www.googleapis.com/calendar/v3',

      /** @param {CalendarContext} ctx */
      async verify(ctx) {
        const primary = await calendar(ctx, '/users/me/calendarList/primary');
        return {
          displayName: primary.summary || primary.id,
          metadata: { calendarId: primary.id, timeZone: primary.timeZone ?? null, accessRole: primary.accessRole ?? null },
        };
      },

      /** @param {CalendarContext} ctx */
      async healthCheck(ctx) {
        await calendar(ctx, '/users/me/calendarList/primary');
      },

      actions: {
        listCalendars: {
          description: 'Lists the calendars the user can see (to choose the calendarId setting).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: { maxResults: { type: 'integer', minimum: 1, maximum: 250, default: 100 }, pageToken: { type: 'string', maxLength: 1000 } },
          },
          /** @param {CalendarContext} ctx */
          async run(ctx, input = {}) {
            const query = new URLSearchParams({ maxResults: String(input.maxResults ?? 100) });
            if (input.pageToken) query.set('pageToken', input.pageToken);
            const page = await calendar(ctx, `/users/me/calendarList?${query}`);
            return {
              calendars: (page.items ?? []).map((entry) => ({ id: entry.id, summary: entry.summary ?? null, primary: entry.primary === true, accessRole: entry.accessRole, timeZone: entry.timeZone ?? null })),
              nextPageToken: page.nextPageToken ?? null,
            };
          },
        },
        createEvent: {
          description: 'Creates an event (e.g. a scheduled session with its join link). With eventKey, creating the same key again returns the existing event.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['summary', 'start', 'end'],
            properties: {
              summary: { type: 'string', minLength: 1, maxLength: 1024 },
              description: { type: 'string', maxLength: 8000 },
              location: { type: 'string', maxLength: 1024 },
              start: dateTime,
              end: dateTime,
              timeZone: { type: 'string', maxLength: 64 },
              joinUrl: { type: 'string', format: 'uri', maxLength: 2048 },
              attendees: { type: 'array', maxItems: 500, items: { type: 'string', format: 'email' } },
              reminders: {
                type: 'array',
                maxItems: 5,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['method', 'minutes'],
                  properties: { method: { type: 'string', enum: ['email', 'popup'] }, minutes: { type: 'integer', minimum: 0, maximum: 40320 } },
                },
              },
              recurrence: { type: 'array', maxItems: 10, items: { type: 'string', pattern: '^(RRULE|EXRULE|RDATE|EXDATE)[:;]' } },
              calendarId: { type: 'string', minLength: 1, maxLength: 1024 },
              eventKey: { type: 'string', minLength: 1, maxLength: 500, description: 'Your stable id for this event (e.g. the session id)' },
              sendUpdates: { type: 'string', enum: ['all', 'externalOnly', 'none'], default: 'none' },
            },
          },
          run: createEvent,
        },
        listEvents: {
          description: 'Lists events in start order (recurring events expanded), from now unless timeMin is given.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              calendarId: { type: 'string', minLength: 1, maxLength: 1024 },
              timeMin: dateTime,
              timeMax: dateTime,
              q: { type: 'string', maxLength: 500 },
              maxResults: { type: 'integer', minimum: 1, maximum: 2500, default: 50 },
              pageToken: { type: 'string', maxLength: 1000 },
            },
          },
          run: listEvents,
        },
      },

      sync: {
        defaultFrequency: '15m',
        /** Upcoming events of the configured calendar, `syncDays` ahead. @param {CalendarContext} ctx */
        async run(ctx) {
          const now = Date.now();
          const window = { timeMin: new Date(now).toISOString(), timeMax: new Date(now + (ctx.settings?.syncDays ?? 30) * DAY_MS).toISOString(), maxResults: SYNC_PAGE_SIZE };
          const events = [];
          let pageToken;
          do {
            const page = await listEvents(ctx, { ...window, pageToken });
            events.push(...page.events);
            pageToken = page.nextPageToken;
          } while (pageToken);
          return { records: { events } };
        },
      },
    },
  ],
};
