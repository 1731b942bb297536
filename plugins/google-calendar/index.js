// Google Calendar provider for Plugboard, written against the Google Calendar API v3
// (https://developers.google.com/calendar/api/v3/reference) and Google's OAuth 2.0 for web server apps.
import { createHash } from 'node:crypto';
import { definePlugin, paginate, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ method: 'email' | 'popup', minutes: number }} Reminder
 * @typedef {{ calendarId?: string, syncDays?: number, defaultTimeZone?: string, reminders?: Reminder[] }} CalendarSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, CalendarSettings>} CalendarContext
 */

const SCOPES = ['https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.readonly'];
const SYNC_PAGE_SIZE = 250;
const DAY_MS = 86_400_000;
/** What a session's event reminds of when the reminders setting is not set. */
const DEFAULT_SESSION_REMINDERS = [{ method: 'popup', minutes: 15 }];
/**
 * The Calendar API's quotas (https://developers.google.com/workspace/calendar/api/guides/quota): 600
 * requests per minute per user (the primary calendar id verify stores names the user) and 10,000 per
 * minute per project (the OAuth app).
 */
const rateLimits = [
  { requests: 600, windowMs: 60_000, scope: 'account', accountKey: 'calendarId' },
  { requests: 10_000, windowMs: 60_000, scope: 'app' },
];
/** Google's per-user quota answers are 403s (or 429s) that mean "later", not "no". */
const RATE_LIMIT_REASONS = ['rateLimitExceeded', 'userRateLimitExceeded'];

/** Google's `{ error: { code, message, status, errors: [{ reason }] } }`, told in words a user can act on. */
const errors = {
  message(body) {
    const error = body?.error ?? {};
    if (error.code === 401) return 'Google refused the access token: connect Google Calendar again.';
    if (error.errors?.[0]?.reason === 'insufficientPermissions') return 'Google Calendar access was not granted: connect again and allow access to your calendars.';
    return error.message;
  },
  classify: (body) => (RATE_LIMIT_REASONS.includes(body?.error?.errors?.[0]?.reason) ? 'rate_limited' : undefined),
};

/**
 * Calls the Calendar API (the host adds the bearer token under the base URL and refreshes it first
 * when it is about to expire).
 * @param {CalendarContext} ctx
 */
const calendar = async (ctx, path, init = {}) => readJson(await ctx.http(path, init), ctx, errors);

/** The primary calendar: what verify and the health check read. */
const primaryCalendar = { path: '/users/me/calendarList/primary' };

/** Events in start order (recurring events expanded), page by page. */
const events = {
  request: { path: '/calendars/{calendarId}/events', query: { singleEvents: 'true', orderBy: 'startTime', maxResults: String(SYNC_PAGE_SIZE), timeMin: '{timeMin}', timeMax: '{timeMax}' } },
  items: '/items',
  pagination: { type: 'cursor', cursor: '/nextPageToken', param: 'pageToken' },
};

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

/**
 * The fields of an event as createEvent and the session reactions write them: the join link goes into
 * the description, the location and the event's source link; `reminders` replace the calendar's
 * default reminders (an empty list: none).
 * @param {CalendarContext} ctx
 */
function eventFields(ctx, input) {
  const timeZone = input.timeZone ?? ctx.settings?.defaultTimeZone;
  const time = (value) => ({ dateTime: value, ...(timeZone ? { timeZone } : {}) });
  const description = [input.description, input.joinUrl ? `Join: ${input.joinUrl}` : undefined].filter(Boolean).join('\n\n');
  return {
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
}

/** @param {CalendarContext} ctx */
async function createEvent(ctx, input) {
  const body = { ...(input.eventKey ? { id: eventIdFor(input.eventKey) } : {}), ...eventFields(ctx, input) };
  const base = calendarPath(ctx, input.calendarId);
  const response = await ctx.http(`${base}/events?sendUpdates=${input.sendUpdates ?? 'none'}`, { method: 'POST', body });
  // 409: an event with this key's id exists already; it is the one asked for.
  if (input.eventKey && response.status === 409) return { ...eventRecord(await calendar(ctx, `${base}/events/${body.id}`)), created: false };
  return { ...eventRecord(await readJson(response, ctx, errors)), created: true };
}

// ---- sessions ---------------------------------------------------------------------------------

function knownTimeZone(timeZone) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The event a session event describes (see the built-in session.* payloads), or undefined with a
 * warning when it lacks what an event needs. A time zone Google would refuse is left out: start and
 * end carry their offsets, so the event's times stay right.
 * @param {CalendarContext} ctx
 */
function sessionInput(ctx, event) {
  const data = event.data ?? {};
  const missing = ['sessionId', 'title', 'start', 'end'].filter((field) => typeof data[field] !== 'string' || data[field] === '');
  if (missing.length > 0) {
    ctx.log.warn(`${event.event} without ${missing.join(', ')}: no Google Calendar event written`, { eventId: event.id });
    return undefined;
  }
  let timeZone;
  for (const candidate of [data.timeZone, ctx.settings?.defaultTimeZone]) {
    if (typeof candidate !== 'string' || !candidate) continue;
    if (knownTimeZone(candidate)) {
      timeZone = candidate;
      break;
    }
    ctx.log.warn('unknown time zone left out of the event', { eventId: event.id, timeZone: candidate });
  }
  return {
    eventKey: data.sessionId,
    summary: data.title,
    description: typeof data.description === 'string' && data.description ? data.description : undefined,
    start: data.start,
    end: data.end,
    timeZone,
    joinUrl: typeof data.joinUrl === 'string' && /^https?:\/\//.test(data.joinUrl) ? data.joinUrl : undefined,
    reminders: ctx.settings?.reminders ?? DEFAULT_SESSION_REMINDERS,
  };
}

/** The session's event on the configured calendar. @param {CalendarContext} ctx */
const sessionEventPath = (ctx, sessionId) => `${calendarPath(ctx)}/events/${eventIdFor(sessionId)}`;

/**
 * Creates the session's event under the id its sessionId gives. Google keeps a deleted event (as
 * cancelled) and its id: when the id exists (the session was scheduled before, or cancelled and
 * scheduled again) that event is brought up to date and confirmed.
 * @param {CalendarContext} ctx
 */
async function insertSessionEvent(ctx, input, event) {
  const fields = eventFields(ctx, input);
  const response = await ctx.http(`${calendarPath(ctx)}/events?sendUpdates=none`, { method: 'POST', body: { id: eventIdFor(input.eventKey), ...fields } });
  if (response.status === 409) {
    const kept = await calendar(ctx, `${sessionEventPath(ctx, input.eventKey)}?sendUpdates=none`, { method: 'PATCH', body: { ...fields, status: 'confirmed' } });
    ctx.log.info('the session’s Google Calendar event was there already: updated', { eventId: event.id, calendarEventId: kept.id });
    return;
  }
  const created = await readJson(response, ctx, errors);
  ctx.log.info('session put on Google Calendar', { eventId: event.id, calendarEventId: created.id });
}

const onEvent = {
  /** The session's event, with its join link and reminders. @param {CalendarContext} ctx */
  async 'session.scheduled'(ctx, event) {
    const input = sessionInput(ctx, event);
    if (input) await insertSessionEvent(ctx, input, event);
  },

  /**
   * The session's event updated in place (PATCH: fields this plugin does not write, such as guests
   * someone added, stay). A session whose event is not there yet (the calendar was connected after it
   * was scheduled) gets it now; a deleted one stays deleted.
   * @param {CalendarContext} ctx
   */
  async 'session.updated'(ctx, event) {
    const input = sessionInput(ctx, event);
    if (!input) return;
    const response = await ctx.http(`${sessionEventPath(ctx, input.eventKey)}?sendUpdates=none`, { method: 'PATCH', body: eventFields(ctx, input) });
    if (response.status === 404) {
      await insertSessionEvent(ctx, input, event);
      return;
    }
    if (response.status === 410) {
      ctx.log.info('the session’s Google Calendar event was deleted: not updated', { eventId: event.id });
      return;
    }
    const updated = await readJson(response, ctx, errors);
    ctx.log.info('the session’s Google Calendar event updated', { eventId: event.id, calendarEventId: updated.id, status: updated.status });
  },

  /**
   * The session's event deleted (Google keeps it as cancelled). An event that is not there (404) or
   * deleted already (410 Gone) is what was asked for.
   * @param {CalendarContext} ctx
   */
  async 'session.cancelled'(ctx, event) {
    const sessionId = event.data?.sessionId;
    if (typeof sessionId !== 'string' || !sessionId) {
      ctx.log.warn('session.cancelled without sessionId: nothing to cancel', { eventId: event.id });
      return;
    }
    const response = await ctx.http(`${sessionEventPath(ctx, sessionId)}?sendUpdates=none`, { method: 'DELETE' });
    if (response.status === 404 || response.status === 410) {
      ctx.log.info('the session has no Google Calendar event (any more): nothing to delete', { eventId: event.id, status: response.status });
      return;
    }
    if (!response.ok) await readJson(response, ctx, errors);
    ctx.log.info('the session’s Google Calendar event deleted', { eventId: event.id });
  },
};

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
/** Google's reminder overrides: at most 5, up to four weeks (40,320 minutes) before. */
const reminders = {
  type: 'array',
  maxItems: 5,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['method', 'minutes'],
    properties: { method: { type: 'string', enum: ['email', 'popup'] }, minutes: { type: 'integer', minimum: 0, maximum: 40320 } },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'google_calendar',
      name: 'Google Calendar',
      category: 'calendar',
      description: 'Keep sessions on a Google Calendar with their join links and reminders, updated and removed with the session, and sync upcoming events.',
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
          reminders: {
            ...reminders,
            title: 'Session reminders',
            description: 'Reminders on the events of scheduled sessions (default: a pop-up 15 minutes before); an empty list sets none',
            default: DEFAULT_SESSION_REMINDERS,
          },
        },
      },
      baseUrl: 'https://www.googleapis.com/calendar/v3',
      rateLimits,

      errors,
      verify: {
        request: primaryCalendar,
        displayName: (primary) => primary.summary || primary.id,
        metadata: (primary) => ({ calendarId: primary.id, timeZone: primary.timeZone ?? null, accessRole: primary.accessRole ?? null }),
      },
      healthCheck: { request: primaryCalendar },

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
              reminders,
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

      onEvent,

      sync: {
        defaultFrequency: '15m',
        /** Upcoming events of the configured calendar, `syncDays` ahead. @param {CalendarContext} ctx */
        async run(ctx) {
          const now = Date.now();
          const window = {
            calendarId: ctx.settings?.calendarId ?? 'primary',
            timeMin: new Date(now).toISOString(),
            timeMax: new Date(now + (ctx.settings?.syncDays ?? 30) * DAY_MS).toISOString(),
          };
          const records = [];
          for await (const event of paginate(ctx, events, window, errors)) records.push(eventRecord(event));
          return { records: { events: records } };
        },
      },
    },
  ],
});
