// Mailchimp provider for Plugboard, written against the Mailchimp Marketing API 3.0 reference
// (https://mailchimp.com/developer/marketing/api/) and its OAuth 2.0 flow
// (https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/).
import { createHash } from 'node:crypto';
import { definePlugin, paginate, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ minMinutes: number, tag: string }} WatchTimeTag
 * @typedef {{
 *   listId?: string,
 *   doubleOptIn?: boolean,
 *   tags?: string[],
 *   attendedTag?: string,
 *   trackEngagement?: boolean,
 *   joinedEventName?: string,
 *   watchedEventName?: string,
 *   watchTimeTags?: WatchTimeTag[],
 * }} MailchimpSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, MailchimpSettings>} MailchimpContext
 */

/** Each account lives in one data centre; its API is at https://<dc>.api.mailchimp.com. */
const METADATA_URL = 'https://login.mailchimp.com/oauth2/metadata';
const DC_PATTERN = /^[a-z]{2,10}\d{1,3}$/;
const PAGE_SIZE = 100;

/**
 * Member events: the Marketing API takes names of 2–30 letters, digits, underscores and dashes, and
 * properties as string values (about 1,000 characters in all).
 */
const EVENT_NAME = '^[A-Za-z0-9_-]{2,30}$';
const DEFAULT_ATTENDED_TAG = 'attended';
const DEFAULT_JOINED_EVENT = 'session_joined';
const DEFAULT_WATCHED_EVENT = 'session_watched';

/**
 * No requests-per-window quota is published: Mailchimp limits each account to 10 simultaneous
 * connections (beyond that it answers 429). A session's end fans out this many at a time, leaving
 * room for the account's other callers.
 */
const FAN_OUT_CONCURRENCY = 3;

/** Mailchimp's problem documents: refusals show their title, detail and field errors. */
const errors = {
  message: (body) =>
    [body?.title, body?.detail, Array.isArray(body?.errors) ? body.errors.map((error) => `${error.field}: ${error.message}`).join('; ') : '']
      .filter(Boolean)
      .join(': '),
};

/** The audiences, page by page (count/offset). */
const lists = { request: { path: '/lists' }, items: '/lists', pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'count', limit: PAGE_SIZE } };

/**
 * Calls the Marketing API under the integration's data centre (the host fills `{dc}` in the base URL
 * from the metadata `verify` stored and adds the bearer token).
 * @param {MailchimpContext} ctx
 */
const mailchimp = async (ctx, path, init = {}) => readJson(await ctx.http(path, init), ctx, errors);

/** Mailchimp addresses a member by the MD5 of the lower-cased email. */
function subscriberHash(email) {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

/** A date-time as Mailchimp writes them (`2026-01-01T10:00:00+00:00`), or undefined. */
function mailchimpTime(value) {
  const date = typeof value === 'string' && value ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Event properties: only string values (the API's type), empty ones left out. */
function eventProperties(values) {
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(([key, value]) => [key, String(value)]),
  );
}

/** The configured event name when it is one Mailchimp accepts, else the default. */
function eventName(configured, fallback) {
  return typeof configured === 'string' && new RegExp(EVENT_NAME).test(configured) ? configured : fallback;
}

/** The tag of the highest watch-time bucket reached, if any. @param {WatchTimeTag[] | undefined} buckets */
function watchTimeTag(buckets, seconds) {
  if (!Array.isArray(buckets) || !Number.isFinite(seconds)) return undefined;
  let best;
  for (const bucket of buckets) {
    if (typeof bucket?.tag !== 'string' || !bucket.tag || !Number.isFinite(bucket.minMinutes)) continue;
    if (seconds >= bucket.minMinutes * 60 && (!best || bucket.minMinutes > best.minMinutes)) best = bucket;
  }
  return best?.tag;
}

/** Whether an error is Mailchimp's 404 (the member, or the audience, does not exist). */
const notFound = (error) => error?.code === 'provider_rejected' && error?.httpStatus === 404;

/**
 * Calls the Marketing API like `mailchimp`, but keeps the HTTP status on a refusal so a missing
 * member can be told from other refusals.
 * @param {MailchimpContext} ctx
 */
async function mailchimpWrite(ctx, path, init) {
  const response = await ctx.http(path, init);
  try {
    return await readJson(response, ctx, errors);
  } catch (error) {
    if (error && typeof error === 'object') Object.assign(error, { httpStatus: response.status });
    throw error;
  }
}

/**
 * Tags a member (existing tags stay) and records an event on them; either part may be absent. Tags
 * first: re-applying a tag is harmless, so a retry after a failed event cannot double anything.
 * @param {MailchimpContext} ctx
 * @param {{ listId: string, email: string, tags: string[], event?: { name: string, properties: Record<string, string>, occurredAt?: string } }} work
 */
async function engage(ctx, { listId, email, tags, event }) {
  const member = `/lists/${encodeURIComponent(listId)}/members/${subscriberHash(email)}`;
  if (tags.length) {
    await mailchimpWrite(ctx, `${member}/tags`, { method: 'POST', body: { tags: tags.map((name) => ({ name, status: 'active' })) } });
  }
  if (event) {
    await mailchimpWrite(ctx, `${member}/events`, {
      method: 'POST',
      body: {
        name: event.name,
        ...(Object.keys(event.properties).length ? { properties: event.properties } : {}),
        ...(event.occurredAt ? { occurred_at: event.occurredAt } : {}),
        is_syncing: false,
      },
    });
  }
}

/** Runs `task` over `items`, `limit` at a time. */
async function eachLimited(items, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const isEmail = (value) => typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());

function audienceRecord(list) {
  return {
    id: list.id,
    name: list.name,
    webId: list.web_id ?? null,
    memberCount: list.stats?.member_count ?? 0,
    unsubscribeCount: list.stats?.unsubscribe_count ?? 0,
    createdAt: list.date_created ?? null,
  };
}

/**
 * Adds or updates a member (PUT is an upsert). `status_if_new` only applies to new members, so an
 * existing contact who unsubscribed is never re-subscribed.
 * @param {MailchimpContext} ctx
 */
async function upsertMember(ctx, { listId, email, firstName, lastName, mergeFields, doubleOptIn, tags }) {
  const list = listId ?? ctx.settings?.listId;
  if (!list) throw new ProviderRejectedError('No audience: set listId in the integration settings or in the input.');
  const hash = subscriberHash(email);
  const member = await mailchimp(ctx, `/lists/${encodeURIComponent(list)}/members/${hash}`, {
    method: 'PUT',
    body: {
      email_address: email.trim(),
      status_if_new: (doubleOptIn ?? ctx.settings?.doubleOptIn) ? 'pending' : 'subscribed',
      merge_fields: { ...(firstName ? { FNAME: firstName } : {}), ...(lastName ? { LNAME: lastName } : {}), ...(mergeFields ?? {}) },
    },
  });
  if (tags?.length) {
    await mailchimp(ctx, `/lists/${encodeURIComponent(list)}/members/${hash}/tags`, {
      method: 'POST',
      body: { tags: tags.map((name) => ({ name, status: 'active' })) },
    });
  }
  return { id: member.id, email: member.email_address, status: member.status, listId: member.list_id ?? list, tags: tags ?? [] };
}

const tagList = { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } };

/** A Customer Journey or step id: Mailchimp's ids are integers (as a number, or digits). */
const journeyPart = (description) => ({ type: ['integer', 'string'], minimum: 1, pattern: '^[1-9][0-9]{0,17}$', description });

export default definePlugin({
  providers: [
    {
      id: 'mailchimp',
      name: 'Mailchimp',
      category: 'email',
      description: 'Add session registrants to a Mailchimp audience, tag and record who attended and how long they watched, trigger Customer Journeys, and sync your audiences.',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://login.mailchimp.com/oauth2/authorize',
        tokenUrl: 'https://login.mailchimp.com/oauth2/token',
        // Mailchimp has no scopes, and its tokens never expire (expires_in is 0): there is nothing to refresh.
        scopes: [],
        refresh: false,
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          listId: { type: 'string', minLength: 1, maxLength: 100, title: 'Audience', description: 'The audience (list id) registrants are added to' },
          doubleOptIn: { type: 'boolean', default: false, title: 'Double opt-in', description: 'New members get a confirmation email and stay pending until they confirm' },
          tags: { ...tagList, title: 'Tags', description: 'Tags given to every registrant added' },
          attendedTag: {
            type: 'string',
            maxLength: 100,
            default: DEFAULT_ATTENDED_TAG,
            title: 'Attended tag',
            description: 'Tag given to audience members who join a session (leave empty for none)',
          },
          trackEngagement: {
            type: 'boolean',
            default: true,
            title: 'Record engagement events',
            description: 'Record a member event when someone joins a session and when a session ends with their watch time (usable in Customer Journeys and segments)',
          },
          joinedEventName: {
            type: 'string',
            pattern: EVENT_NAME,
            default: DEFAULT_JOINED_EVENT,
            title: 'Joined event name',
            description: '2–30 letters, digits, underscores or dashes',
          },
          watchedEventName: {
            type: 'string',
            pattern: EVENT_NAME,
            default: DEFAULT_WATCHED_EVENT,
            title: 'Watched event name',
            description: '2–30 letters, digits, underscores or dashes',
          },
          watchTimeTags: {
            type: 'array',
            maxItems: 10,
            default: [],
            title: 'Watch-time tags',
            description: 'When a session ends, each participant gets the tag of the highest bucket their watch time reached, e.g. 0 → "watched", 30 → "watched-30m"',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['minMinutes', 'tag'],
              properties: {
                minMinutes: { type: 'integer', minimum: 0, maximum: 1440, title: 'From minutes watched' },
                tag: { type: 'string', minLength: 1, maxLength: 100, title: 'Tag' },
              },
            },
          },
        },
      },
      baseUrl: 'https://{dc}.api.mailchimp.com/3.0',
      errors,
      // No rateLimits: Mailchimp publishes no request quota, only a cap of 10 simultaneous connections
      // per account (a 429 "Too Many Requests" past it, without Retry-After), which a requests-per-window
      // budget cannot express; fan-outs here stay at FAN_OUT_CONCURRENCY.

      /** The metadata endpoint tells which data centre serves the account. @param {MailchimpContext} ctx */
      async verify(ctx) {
        const response = await ctx.http(METADATA_URL, { headers: { Authorization: `OAuth ${ctx.credentials.accessToken}` } });
        if (response.status === 401 || response.status === 403) throw new ProviderRejectedError('Mailchimp refused the access token: connect the account again.');
        const body = await readJson(response, ctx, errors);
        if (typeof body?.dc !== 'string' || !DC_PATTERN.test(body.dc)) throw new Error('Mailchimp metadata has no valid data centre');
        return {
          displayName: body.accountname || body.login?.login_email || `Mailchimp (${body.dc})`,
          metadata: {
            dc: body.dc,
            apiEndpoint: `https://${body.dc}.api.mailchimp.com`,
            accountName: body.accountname ?? null,
            loginEmail: body.login?.login_email ?? null,
            userId: body.user_id ?? null,
          },
        };
      },

      healthCheck: { request: { path: '/ping' } },

      actions: {
        listAudiences: {
          description: 'Lists the account’s audiences (lists) with their member counts; page with offset.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            properties: { count: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, offset: { type: 'integer', minimum: 0, default: 0 } },
          },
          /** @param {MailchimpContext} ctx */
          async run(ctx, input = {}) {
            const page = await mailchimp(ctx, `/lists?count=${input.count ?? 100}&offset=${input.offset ?? 0}`);
            return { audiences: page.lists.map(audienceRecord), totalItems: page.total_items };
          },
        },
        addMember: {
          description: 'Adds a contact to an audience, or updates them if present (never re-subscribes someone who unsubscribed).',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['email'],
            properties: {
              email: { type: 'string', format: 'email' },
              listId: { type: 'string', minLength: 1, maxLength: 100, description: 'Defaults to the configured audience' },
              firstName: { type: 'string', maxLength: 255 },
              lastName: { type: 'string', maxLength: 255 },
              mergeFields: { type: 'object', description: 'Other merge fields by tag, e.g. { "COMPANY": "Acme" }' },
              doubleOptIn: { type: 'boolean' },
              tags: tagList,
            },
          },
          /** @param {MailchimpContext} ctx */
          run: upsertMember,
        },
        triggerJourney: {
          description:
            'Triggers a Customer Journey step for a contact, through the step’s “Customer Journeys API” starting point or condition (its URL names the journey and step ids). The contact must be in the journey’s audience.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['journeyId', 'stepId', 'email'],
            properties: {
              journeyId: journeyPart('The journey id, from the trigger URL Mailchimp shows'),
              stepId: journeyPart('The step id, from the same URL'),
              email: { type: 'string', format: 'email', maxLength: 254 },
            },
          },
          /** Mailchimp answers 204 with no body. @param {MailchimpContext} ctx */
          async run(ctx, input) {
            const journeyId = String(input.journeyId);
            const stepId = String(input.stepId);
            const email = input.email.trim();
            await mailchimp(ctx, `/customer-journeys/journeys/${encodeURIComponent(journeyId)}/steps/${encodeURIComponent(stepId)}/actions/trigger`, {
              method: 'POST',
              body: { email_address: email },
            });
            return { triggered: true, journeyId, stepId, email };
          },
        },
      },

      onEvent: {
        /** Adds the registrant to the configured audience. @param {MailchimpContext} ctx */
        async 'registration.received'(ctx, event) {
          const data = event.data ?? {};
          if (!ctx.settings?.listId) {
            ctx.log.warn('no audience configured: registrant not added', { eventId: event.id });
            return;
          }
          if (typeof data.email !== 'string') {
            ctx.log.warn('registration without an email: nothing to add', { eventId: event.id });
            return;
          }
          const [firstName, ...rest] = typeof data.name === 'string' ? data.name.trim().split(/\s+/) : [];
          const member = await upsertMember(ctx, { email: data.email, firstName, lastName: rest.join(' ') || undefined, tags: ctx.settings.tags });
          ctx.log.info('registrant added to the audience', { eventId: event.id, status: member.status });
        },

        /**
         * Tags the participant (attendedTag) and records a `session_joined` event on them. Only members
         * already in the audience: nobody is subscribed for joining a session.
         * @param {MailchimpContext} ctx
         */
        async 'participant.joined'(ctx, event) {
          const data = event.data ?? {};
          const settings = ctx.settings ?? {};
          const attendedTag = settings.attendedTag ?? DEFAULT_ATTENDED_TAG;
          const track = settings.trackEngagement ?? true;
          if (!attendedTag && !track) return;
          if (!settings.listId) {
            ctx.log.warn('no audience configured: participant not tagged', { eventId: event.id });
            return;
          }
          if (!isEmail(data.email)) {
            ctx.log.warn('participant without an email: nothing to record', { eventId: event.id });
            return;
          }
          try {
            await engage(ctx, {
              listId: settings.listId,
              email: data.email.trim(),
              tags: attendedTag ? [attendedTag] : [],
              event: track
                ? {
                    name: eventName(settings.joinedEventName, DEFAULT_JOINED_EVENT),
                    properties: eventProperties({ sessionId: data.sessionId, roomId: data.roomId }),
                    occurredAt: mailchimpTime(data.joinedAt) ?? mailchimpTime(event.timestamp),
                  }
                : undefined,
            });
          } catch (error) {
            if (!notFound(error)) throw error;
            ctx.log.warn('participant is not a member of the audience (or the audience does not exist): nothing recorded', { eventId: event.id });
            return;
          }
          ctx.log.info('participant engagement recorded', { eventId: event.id, tagged: Boolean(attendedTag), event: track });
        },

        /**
         * When the session end lists `participants: [{ email, watchTimeSeconds }]`, each audience member
         * among them gets a `session_watched` event with their watch time and the tag of the watch-time
         * bucket they reached. Member events cannot be de-duplicated, so the handler fails (and the host
         * runs it again) only when nothing at all was recorded; a later failure is logged instead.
         * @param {MailchimpContext} ctx
         */
        async 'session.ended'(ctx, event) {
          const data = event.data ?? {};
          const settings = ctx.settings ?? {};
          const seen = new Set();
          const participants = (Array.isArray(data.participants) ? data.participants : []).filter((participant) => {
            if (!isEmail(participant?.email)) return false;
            const key = participant.email.trim().toLowerCase();
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          });
          if (participants.length === 0) return;
          const track = settings.trackEngagement ?? true;
          const buckets = settings.watchTimeTags ?? [];
          if (!track && !buckets.length) return;
          if (!settings.listId) {
            ctx.log.warn('no audience configured: watch time not recorded', { eventId: event.id });
            return;
          }
          const name = eventName(settings.watchedEventName, DEFAULT_WATCHED_EVENT);
          const occurredAt = mailchimpTime(data.endedAt) ?? mailchimpTime(event.timestamp);
          let recorded = 0;
          let notMembers = 0;
          let failure;
          await eachLimited(participants, FAN_OUT_CONCURRENCY, async (participant) => {
            if (failure) return;
            const raw = Number(participant.watchTimeSeconds);
            const seconds = Number.isFinite(raw) && raw >= 0 ? Math.round(raw) : undefined;
            const tag = seconds === undefined ? undefined : watchTimeTag(buckets, seconds);
            if (!track && !tag) return;
            try {
              await engage(ctx, {
                listId: settings.listId,
                email: participant.email.trim(),
                tags: tag ? [tag] : [],
                event: track
                  ? {
                      name,
                      properties: eventProperties({
                        sessionId: data.sessionId,
                        roomId: data.roomId,
                        watchTimeSeconds: seconds,
                        watchTimeMinutes: seconds === undefined ? undefined : Math.floor(seconds / 60),
                      }),
                      occurredAt,
                    }
                  : undefined,
              });
              recorded += 1;
            } catch (error) {
              if (notFound(error)) notMembers += 1;
              else failure ??= error;
            }
          });
          if (failure && recorded === 0) throw failure;
          if (failure) {
            ctx.log.error('watch time was not recorded for every participant; the event is not failed so that a retry records no one twice', {
              eventId: event.id,
              recorded,
              reason: failure instanceof Error ? failure.message : String(failure),
            });
          }
          ctx.log.info('watch time recorded', { eventId: event.id, recorded, notMembers });
        },
      },

      sync: {
        defaultFrequency: '6h',
        /** @param {MailchimpContext} ctx */
        async run(ctx) {
          const audiences = [];
          for await (const list of paginate(ctx, lists, {}, errors)) audiences.push(audienceRecord(list));
          return { records: { audiences } };
        },
      },
    },
  ],
});
