// Microsoft Outlook calendar provider for Plugboard, written against the Microsoft Graph REST API v1.0 calendar reference (https://learn.microsoft.com/graph/api/resources/event?view=graph-rest-1.0) and the Microsoft identity platform authorization-code flow (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow).
import { createHash } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ calendarId?: string, defaultReminderMinutes?: number }} OutlookSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, OutlookSettings>} OutlookContext
 *
 * Graph's `dateTimeTimeZone`: a wall-clock time (`2030-05-01T10:00:00.0000000`) and the zone it is in.
 * @typedef {{ dateTime: string, timeZone: string }} GraphTime
 *
 * What createEvent and the session reactions write:
 * @typedef {{ eventKey: string, subject: string, description?: string, start: string, end: string, timeZone?: string, joinUrl?: string, reminderMinutes?: number }} EventInput
 */

const GRAPH_BASE = 'https://graph.microsoft.com/v1.0';

/**
 * The single-value extended property (MAPI named property, string type, in a property set of
 * Plugboard's own) that carries a hash of the caller's event key, so the event of a key can be found
 * again with `$filter=singleValueExtendedProperties/Any(...)`. Graph compares values without regard
 * to case: a hex hash is immune to that, and never needs quoting in the filter.
 */
const EVENT_KEY_PROPERTY = 'String {7e1aa507-1cef-4222-8460-b03d330bf009} Name PlugboardEventKey';

/** Outlook's default reminder (minutes before the start). */
const DEFAULT_REMINDER_MINUTES = 15;
/** Outlook's longest reminder choice: two weeks. */
const MAX_REMINDER_MINUTES = 20160;
/** Transaction ids tried for one key before creating without one (each delete and re-create uses one up). */
const TRANSACTION_GENERATIONS = 8;
const SYNC_PAGE_SIZE = 100;
const CALENDAR_PAGE_SIZE = 50;
const MAX_PAGES = 500;
/** Event times in answers: UTC, whatever zone each event was created in. */
const PREFER_UTC = { Prefer: 'outlook.timezone="UTC"' };
const EVENT_FIELDS = [
  'id',
  'subject',
  'start',
  'end',
  'originalStartTimeZone',
  'isAllDay',
  'isCancelled',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'location',
  'onlineMeeting',
  'webLink',
  'showAs',
  'type',
  'organizer',
  'lastModifiedDateTime',
].join(',');

/** What a person can do about Graph's refusals, by error code. */
const HINTS = {
  InvalidAuthenticationToken: 'Connect Microsoft Outlook again.',
  ErrorAccessDenied: 'Connect again and allow access to your calendars (Calendars.ReadWrite).',
  Authorization_RequestDenied: 'Connect again and allow Plugboard to read your profile (User.Read).',
  ErrorItemNotFound: 'If this is the configured calendar, choose another one (see the listCalendars action).',
  ErrorInvalidIdMalformed: 'Check the calendar id in the settings (see the listCalendars action).',
  TimeZoneNotSupportedException: 'Use a time zone Microsoft Graph supports.',
};

/**
 * Graph's errors read `{ error: { code, message, innerError } }`: refusals show the message, the code
 * and what to do about it.
 */
const errors = {
  message: (body) => {
    const error = body?.error;
    if (!error || typeof error !== 'object') return undefined;
    const code = typeof error.code === 'string' && error.code ? error.code : undefined;
    const message = typeof error.message === 'string' && error.message ? error.message : undefined;
    if (!code && !message) return undefined;
    const hint = code ? HINTS[code] : undefined;
    return [message ? `${message}${code ? ` (${code})` : ''}` : code, hint].filter(Boolean).join(' ');
  },
};

/**
 * Calls Graph (the host adds the bearer token under the base URL and refreshes it before it expires).
 * Refusals become provider_rejected, 429 a rate limit with Retry-After; the thrown error keeps Graph's
 * code as `graphCode` for the callers that act on it.
 * @param {OutlookContext} ctx
 */
async function graph(ctx, url, init = {}) {
  const response = await ctx.http(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  if (response.ok) return readJson(response, ctx, errors);
  const text = await response.text();
  let code;
  try {
    code = JSON.parse(text)?.error?.code;
  } catch {
    code = undefined;
  }
  try {
    return await readJson(new Response(text, { status: response.status, headers: response.headers }), ctx, errors);
  } catch (error) {
    if (typeof code === 'string') error.graphCode = code;
    throw error;
  }
}

/** The next page of a Graph collection: `@odata.nextLink`, followed as it is, only under the Graph base URL. */
function nextLink(page) {
  const next = page?.['@odata.nextLink'];
  if (next === undefined || next === null) return undefined;
  if (typeof next !== 'string' || !next.startsWith(`${GRAPH_BASE}/`)) throw new Error('Microsoft Graph answered a next page link outside its API');
  return next;
}

/**
 * Every item of a Graph collection, page after page.
 * @param {OutlookContext} ctx
 */
async function collect(ctx, url, headers = {}) {
  const items = [];
  let next = url;
  for (let page = 0; next && page < MAX_PAGES; page += 1) {
    const body = await graph(ctx, next, { headers });
    if (!Array.isArray(body?.value)) throw new Error('Microsoft Graph answered a collection without a value array');
    items.push(...body.value);
    next = nextLink(body);
  }
  return items;
}

/** Graph query strings: `$`-options with values percent-encoded (spaces as %20, as OData expects). */
function query(options) {
  return Object.entries(options)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
    .join('&');
}

/** @param {OutlookContext} ctx */
const calendarPath = (ctx) => (ctx.settings?.calendarId ? `/me/calendars/${encodeURIComponent(ctx.settings.calendarId)}` : '/me/calendar');

const keyHash = (key) => createHash('sha256').update(`plugboard-event-key:${key}`).digest('hex');

/**
 * A GUID-shaped `transactionId` for the create of a key on a calendar: Graph does not do a create twice
 * for one id (a retried POST, or two creates of the key at once). Graph keeps an id once used, also
 * after its event is deleted, so creating the key's event again takes the next generation's id:
 * every writer goes through the same ids in the same order.
 */
function transactionIdFor(ctx, key, generation) {
  const hex = createHash('sha256').update(`plugboard-transaction:${calendarPath(ctx)}:${key}:${generation}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

// ---- time zones -----------------------------------------------------------------------------

function knownTimeZone(timeZone) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Coordinated Universal Time']);

/** The wall-clock time (`YYYY-MM-DDTHH:mm:ss`) of an instant in an IANA time zone. */
function wallClock(ms, timeZone) {
  if (UTC_NAMES.has(timeZone)) return new Date(ms).toISOString().slice(0, 19);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/;

/** Milliseconds of a wall-clock time read as if it were UTC. */
function wallAsUtc(text) {
  const match = WALL.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '0'] = match;
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, '0').slice(0, 3)));
}

/** The instant (ISO 8601, UTC) of a Graph time; null when its zone is one this runtime does not know. */
function instant(time) {
  if (!time || typeof time.dateTime !== 'string') return null;
  const guess = wallAsUtc(time.dateTime);
  if (guess === undefined) return null;
  const zone = time.timeZone ?? 'UTC';
  if (UTC_NAMES.has(zone)) return new Date(guess).toISOString();
  if (!knownTimeZone(zone)) return null;
  // The zone's offset at the guess, then again at the corrected instant (they differ around DST changes).
  const offsetAt = (ms) => (wallAsUtc(wallClock(ms, zone)) ?? ms) - ms;
  let ms = guess - offsetAt(guess);
  const second = offsetAt(ms);
  if (guess - second !== ms) ms = guess - second;
  return new Date(ms).toISOString();
}

/** @returns {GraphTime} */
const graphTime = (ms, timeZone) => ({ dateTime: wallClock(ms, timeZone), timeZone });

// ---- events ---------------------------------------------------------------------------------

const escapeHtml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function bodyHtml(description, joinUrl) {
  const parts = [];
  if (description) parts.push(`<p>${escapeHtml(description).replace(/\r?\n/g, '<br>')}</p>`);
  if (joinUrl) parts.push(`<p>Join: <a href="${escapeHtml(joinUrl)}">${escapeHtml(joinUrl)}</a></p>`);
  return parts.join('');
}

/** An event as this plugin answers it (actions) and syncs it. */
function eventRecord(event) {
  return {
    id: event.id,
    subject: event.subject ?? null,
    start: instant(event.start),
    end: instant(event.end),
    timeZone: event.originalStartTimeZone ?? event.start?.timeZone ?? null,
    isAllDay: event.isAllDay === true,
    isCancelled: event.isCancelled === true,
    joinUrl: event.onlineMeeting?.joinUrl ?? event.location?.locationUri ?? null,
    location: event.location?.displayName || null,
    isReminderOn: event.isReminderOn === true,
    reminderMinutes: typeof event.reminderMinutesBeforeStart === 'number' ? event.reminderMinutesBeforeStart : null,
    showAs: event.showAs ?? null,
    type: event.type ?? null,
    organizer: event.organizer?.emailAddress?.address ?? null,
    webLink: event.webLink ?? null,
    lastModifiedDateTime: event.lastModifiedDateTime ?? null,
  };
}

/**
 * The event of a key on the configured calendar, if there is one.
 * @param {OutlookContext} ctx
 */
async function findByKey(ctx, key) {
  const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${EVENT_KEY_PROPERTY}' and ep/value eq '${keyHash(key)}')`;
  const page = await graph(ctx, `${calendarPath(ctx)}/events?${query({ $filter: filter, $select: 'id', $top: 5 })}`);
  const found = Array.isArray(page?.value) ? page.value : [];
  if (found.length > 1) ctx.log.warn('several Outlook events carry the same event key: updating the first', { events: found.length });
  return found[0];
}

/** The fields written on create and update. @param {OutlookContext} ctx */
function eventFields(ctx, input, timeZone) {
  const reminder = input.reminderMinutes ?? ctx.settings?.defaultReminderMinutes ?? DEFAULT_REMINDER_MINUTES;
  return {
    subject: input.subject,
    body: { contentType: 'HTML', content: bodyHtml(input.description, input.joinUrl) },
    start: graphTime(Date.parse(input.start), timeZone),
    end: graphTime(Date.parse(input.end), timeZone),
    ...(input.joinUrl ? { location: { displayName: input.joinUrl, locationUri: input.joinUrl } } : {}),
    isReminderOn: true,
    reminderMinutesBeforeStart: reminder,
  };
}

/**
 * Creates the event of a key, or updates the one the key already has: looked up by its extended
 * property first, and created with a `transactionId` so a retried create is not done twice.
 * @param {OutlookContext} ctx
 */
async function writeEvent(ctx, input, timeZone) {
  const base = calendarPath(ctx);
  const fields = eventFields(ctx, input, timeZone);
  const update = async (id) => ({
    ...eventRecord(await graph(ctx, `${base}/events/${encodeURIComponent(id)}`, { method: 'PATCH', headers: PREFER_UTC, body: fields })),
    eventKey: input.eventKey,
    created: false,
  });
  const existing = await findByKey(ctx, input.eventKey);
  if (existing) return update(existing.id);
  const create = async (transactionId) => ({
    ...eventRecord(
      await graph(ctx, `${base}/events`, {
        method: 'POST',
        headers: PREFER_UTC,
        body: {
          ...fields,
          singleValueExtendedProperties: [{ id: EVENT_KEY_PROPERTY, value: keyHash(input.eventKey) }],
          ...(transactionId ? { transactionId } : {}),
        },
      }),
    ),
    eventKey: input.eventKey,
    created: true,
  });
  for (let generation = 0; generation < TRANSACTION_GENERATIONS; generation += 1) {
    try {
      return await create(transactionIdFor(ctx, input.eventKey, generation));
    } catch (error) {
      if (error?.graphCode !== 'ErrorDuplicateTransactionId') throw error;
      // Another create of this key got there first (update its event), or the id belongs to an
      // event of the key that was deleted since (take the next generation's id).
      const winner = await findByKey(ctx, input.eventKey);
      if (winner) return update(winner.id);
    }
  }
  return create(undefined);
}

/**
 * @param {OutlookContext} ctx
 * @param {EventInput} input
 * @param {{ strictTimeZone: boolean }} options  strict: an unknown zone is refused; else UTC is used
 */
async function upsertEvent(ctx, input, { strictTimeZone }) {
  const start = Date.parse(input.start);
  const end = Date.parse(input.end);
  if (Number.isNaN(start) || Number.isNaN(end)) throw new ProviderRejectedError('start and end must be date-times with a time zone offset, e.g. 2030-05-01T10:00:00Z.');
  if (end <= start) throw new ProviderRejectedError('The event must end after it starts.');
  let timeZone = 'UTC';
  if (input.timeZone) {
    if (knownTimeZone(input.timeZone)) timeZone = input.timeZone;
    else if (strictTimeZone) throw new ProviderRejectedError(`Unknown time zone "${input.timeZone}": use an IANA name such as Europe/Paris.`);
    else ctx.log.warn('unknown time zone: the event is written in UTC', { timeZone: input.timeZone });
  }
  try {
    return await writeEvent(ctx, input, timeZone);
  } catch (error) {
    if (error?.graphCode !== 'TimeZoneNotSupportedException' || timeZone === 'UTC') throw error;
    // Graph takes Windows zone names and a list of IANA ones: the same instants in UTC are always taken.
    ctx.log.warn('Microsoft Graph does not support this time zone: the event is written in UTC', { timeZone });
    return writeEvent(ctx, input, 'UTC');
  }
}

/**
 * Deletes the event of a key (Outlook sends attendees, if any, a cancellation). An event already gone
 * is not an error.
 * @param {OutlookContext} ctx
 */
async function deleteEvent(ctx, key) {
  const existing = await findByKey(ctx, key);
  if (!existing) return { deleted: false, id: null };
  try {
    await graph(ctx, `${calendarPath(ctx)}/events/${encodeURIComponent(existing.id)}`, { method: 'DELETE' });
  } catch (error) {
    if (error?.graphCode !== 'ErrorItemNotFound') throw error;
  }
  return { deleted: true, id: existing.id };
}

/** The event a session event describes; undefined (and a warning) when it lacks what an event needs. */
function sessionInput(ctx, event, required) {
  const data = event.data ?? {};
  const missing = required.filter((field) => typeof data[field] !== 'string' || data[field] === '');
  if (missing.length > 0) {
    ctx.log.warn(`${event.event} without ${missing.join(', ')}: no Outlook event written`, { eventId: event.id });
    return undefined;
  }
  return {
    eventKey: data.sessionId,
    // Outlook subjects hold 255 characters; session titles may be longer.
    subject: data.title.slice(0, 255),
    description: typeof data.description === 'string' ? data.description : undefined,
    start: data.start,
    end: data.end,
    timeZone: typeof data.timeZone === 'string' && data.timeZone ? data.timeZone : undefined,
    joinUrl: typeof data.joinUrl === 'string' && /^https?:\/\//.test(data.joinUrl) ? data.joinUrl : undefined,
  };
}

/** @param {OutlookContext} ctx */
async function keepSession(ctx, event) {
  const input = sessionInput(ctx, event, ['sessionId', 'title', 'start', 'end']);
  if (!input) return;
  const written = await upsertEvent(ctx, input, { strictTimeZone: false });
  ctx.log.info(written.created ? 'session put on the Outlook calendar' : 'Outlook event of the session updated', { eventId: event.id, outlookEventId: written.id });
}

const dateTime = { type: 'string', format: 'date-time' };

export default definePlugin({
  providers: [
    {
      id: 'microsoft_outlook',
      name: 'Microsoft Outlook',
      category: 'calendar',
      description: 'Keep sessions on an Outlook calendar (Microsoft 365 or Outlook.com) with their join link and a reminder, updated and removed with the session, and sync its events.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
        tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
        // offline_access: Microsoft issues a refresh token only when it is asked for.
        scopes: ['offline_access', 'Calendars.ReadWrite', 'User.Read'],
        scopeSeparator: ' ',
        pkce: true,
        authorizationParams: { prompt: 'select_account' },
        refresh: true,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          calendarId: {
            type: 'string',
            minLength: 1,
            maxLength: 512,
            pattern: '^[A-Za-z0-9+/=_-]+$',
            title: 'Calendar',
            description: 'The Outlook calendar sessions are put on (its id, from the listCalendars action). Leave empty for your default calendar.',
          },
          defaultReminderMinutes: {
            type: 'integer',
            minimum: 0,
            maximum: MAX_REMINDER_MINUTES,
            default: DEFAULT_REMINDER_MINUTES,
            title: 'Reminder',
            description: 'Minutes before a session starts that Outlook reminds you of it',
          },
        },
      },
      baseUrl: GRAPH_BASE,
      errors,
      // Outlook service limits: 10,000 requests per 10 minutes per app and mailbox (the connected user,
      // `userId` from verify). Its other limit, 4 concurrent requests per app, is not a rate and cannot be
      // declared here; this plugin sends its requests one at a time.
      rateLimits: [{ requests: 10_000, windowMs: 600_000, scope: 'account', accountKey: 'userId' }],

      verify: {
        request: { path: '/me', query: { $select: 'id,displayName,mail,userPrincipalName' } },
        displayName: (me) => me?.displayName || me?.mail || me?.userPrincipalName || 'Microsoft Outlook',
        metadata: (me) => ({
          userId: me?.id ?? null,
          displayName: me?.displayName ?? null,
          mail: me?.mail ?? me?.userPrincipalName ?? null,
          userPrincipalName: me?.userPrincipalName ?? null,
        }),
      },

      healthCheck: { request: { path: '/me', query: { $select: 'id' } } },

      actions: {
        listCalendars: {
          description: 'Lists your Outlook calendars (to choose the calendarId setting).',
          inputSchema: { type: 'object', additionalProperties: false, properties: {} },
          /** @param {OutlookContext} ctx */
          async run(ctx) {
            const calendars = await collect(ctx, `/me/calendars?${query({ $select: 'id,name,color,isDefaultCalendar,canEdit,owner', $top: CALENDAR_PAGE_SIZE })}`);
            return {
              calendars: calendars.map((calendar) => ({
                id: calendar.id,
                name: calendar.name ?? null,
                isDefaultCalendar: calendar.isDefaultCalendar === true,
                canEdit: calendar.canEdit === true,
                color: calendar.color ?? null,
                owner: calendar.owner?.address ?? null,
              })),
            };
          },
        },
        createEvent: {
          description:
            'Puts an event on the configured calendar with its join link and a reminder. Once per eventKey: creating the same key again updates the event it already has.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['eventKey', 'subject', 'start', 'end'],
            properties: {
              eventKey: { type: 'string', minLength: 1, maxLength: 200, description: 'Your stable id for this event (e.g. the session id)' },
              subject: { type: 'string', minLength: 1, maxLength: 255 },
              description: { type: 'string', maxLength: 10000 },
              start: dateTime,
              end: dateTime,
              timeZone: {
                type: 'string',
                maxLength: 64,
                pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$',
                description: 'IANA time zone the event is shown in, e.g. Europe/Paris (default UTC)',
              },
              joinUrl: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048, description: 'Where participants join' },
              reminderMinutes: { type: 'integer', minimum: 0, maximum: MAX_REMINDER_MINUTES, description: 'Defaults to the configured reminder' },
            },
          },
          /** @param {OutlookContext} ctx */
          run: (ctx, input) => upsertEvent(ctx, input, { strictTimeZone: true }),
        },
      },

      onEvent: {
        /** Puts the session on the calendar (or updates the event it already has). @param {OutlookContext} ctx */
        'session.scheduled': keepSession,
        /** Updates the session's event (creates it if it was never put on the calendar). @param {OutlookContext} ctx */
        'session.updated': keepSession,
        /** Removes the session's event. @param {OutlookContext} ctx */
        async 'session.cancelled'(ctx, event) {
          const sessionId = event.data?.sessionId;
          if (typeof sessionId !== 'string' || !sessionId) {
            ctx.log.warn('session.cancelled without sessionId: nothing to remove', { eventId: event.id });
            return;
          }
          const result = await deleteEvent(ctx, sessionId);
          if (result.deleted) ctx.log.info('Outlook event of the session removed', { eventId: event.id, outlookEventId: result.id });
          else ctx.log.info('the session has no Outlook event: nothing to remove', { eventId: event.id });
        },
      },

      sync: {
        defaultFrequency: '15m',
        /** The events of the configured calendar (single events and series masters), page by page. @param {OutlookContext} ctx */
        async run(ctx) {
          const events = await collect(ctx, `${calendarPath(ctx)}/events?${query({ $select: EVENT_FIELDS, $top: SYNC_PAGE_SIZE })}`, PREFER_UTC);
          return { records: { events: events.map(eventRecord) } };
        },
      },
    },
  ],
});
