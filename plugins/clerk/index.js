// Clerk provider for Plugboard, written against Clerk's Backend API reference (https://clerk.com/docs/reference/backend-api, OpenAPI version 2025-11-10: instance, users, organizations, organization memberships), its rate limits (https://clerk.com/docs/guides/how-clerk-works/system-limits) and Svix's webhook signatures (https://docs.svix.com/receiving/verifying-payloads/how-manual).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ secretKey: string, webhookSecret?: string }} ClerkCredentials
 * @typedef {import('plugboard/sdk').PluginContext<ClerkCredentials, Record<string, never>>} ClerkContext
 * @typedef {{ method: string, headers: Record<string, string>, query: Record<string, string>, rawBody: string, body?: unknown }} InboundRequest
 *
 * A Clerk user (Backend API `User`): timestamps are Unix milliseconds.
 * @typedef {{
 *   id: string,
 *   external_id?: string | null,
 *   primary_email_address_id?: string | null,
 *   email_addresses?: Array<{ id: string, email_address: string, verification?: { status?: string } | null }>,
 *   username?: string | null,
 *   first_name?: string | null,
 *   last_name?: string | null,
 *   image_url?: string,
 *   public_metadata?: Record<string, unknown>,
 *   organization_memberships?: Array<{ organization?: { id?: string } }>,
 *   banned?: boolean,
 *   locked?: boolean,
 *   last_sign_in_at?: number | null,
 *   last_active_at?: number | null,
 *   created_at?: number,
 *   updated_at?: number,
 * }} ClerkUser
 *
 * Clerk's error body: `{ errors: [{ message, long_message, code, meta }], clerk_trace_id }`.
 * @typedef {{ errors?: Array<{ message?: string, long_message?: string, code?: string }>, clerk_trace_id?: string }} ClerkErrors
 */

/** The Backend API version this plugin is written against (sent as Clerk-API-Version). */
const API_VERSION = '2025-11-10';
/** Lists take at most 500 items a page. */
const PAGE = 500;
/** A bound on the pages one list is read for in a run. */
const MAX_PAGES = 200;
/** An incremental user sync reads back this far before the last mark (updates that landed while it ran). */
const OVERLAP_MS = 60_000;
/** Svix's tolerance for webhook timestamps, in seconds. */
const WEBHOOK_TOLERANCE = 5 * 60;
const USER_ID = '^user_[A-Za-z0-9]{1,64}$';
const ORG_ID = '^org_[A-Za-z0-9]{1,64}$';

/**
 * Clerk's errors as a message a person can act on: each error's long message and code, and what to do
 * about a refused secret key.
 * @param {ClerkErrors | undefined} body
 */
function describeErrors(body) {
  const list = Array.isArray(body?.errors) ? body.errors : [];
  const parts = list
    .map((entry) => {
      const text = (typeof entry?.long_message === 'string' && entry.long_message) || (typeof entry?.message === 'string' && entry.message);
      return text ? `${text}${entry.code ? ` (${entry.code})` : ''}` : undefined;
    })
    .filter(Boolean);
  if (!parts.length) return undefined;
  const keyRefused = list.some((entry) => ['clerk_key_invalid', 'authentication_invalid', 'authorization_invalid', 'authorization_header_missing'].includes(entry?.code ?? ''));
  return `Clerk: ${parts.join('; ')}${keyRefused ? ' Copy the Secret Key from API Keys in the Clerk Dashboard.' : ''}`;
}

const errors = { message: describeErrors };

/** A Backend API GET (the host adds the bearer key and the API version). @param {ClerkContext} ctx */
async function clerk(ctx, path) {
  const response = await ctx.http(path, { headers: { accept: 'application/json' } });
  return readJson(response, ctx, errors);
}

/** Unix milliseconds as ISO 8601; null when absent. */
const iso = (ms) => (typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null);

/** @param {ClerkUser} user */
const primaryEmail = (user) =>
  (Array.isArray(user?.email_addresses) ? user.email_addresses : []).find((entry) => entry?.id === user.primary_email_address_id)?.email_address ?? null;

/** @param {ClerkUser} user */
function fullName(user) {
  const name = [user?.first_name, user?.last_name].filter((part) => typeof part === 'string' && part.trim()).join(' ');
  return name || null;
}

/**
 * A user as actions and syncs return it.
 * @param {ClerkUser} user
 * @param {string[] | null} organizationIds
 */
function userRecord(user, organizationIds = null) {
  return {
    id: user.id,
    email: primaryEmail(user),
    emailAddresses: (Array.isArray(user.email_addresses) ? user.email_addresses : []).map((entry) => entry.email_address),
    name: fullName(user),
    firstName: user.first_name ?? null,
    lastName: user.last_name ?? null,
    username: user.username ?? null,
    externalId: user.external_id ?? null,
    imageUrl: user.image_url ?? null,
    banned: user.banned === true,
    locked: user.locked === true,
    publicMetadata: user.public_metadata ?? {},
    organizationIds,
    lastSignInAt: iso(user.last_sign_in_at),
    lastActiveAt: iso(user.last_active_at),
    createdAt: iso(user.created_at),
    updatedAt: iso(user.updated_at),
  };
}

function membershipRecord(membership) {
  const user = membership.public_user_data ?? {};
  return {
    id: membership.id,
    organizationId: membership.organization?.id ?? null,
    userId: user.user_id ?? null,
    identifier: user.identifier ?? null,
    firstName: user.first_name ?? null,
    lastName: user.last_name ?? null,
    role: membership.role ?? null,
    roleName: membership.role_name ?? null,
    permissions: Array.isArray(membership.permissions) ? membership.permissions : [],
    createdAt: iso(membership.created_at),
    updatedAt: iso(membership.updated_at),
  };
}

/**
 * Every item of an offset-paged list (`{ data, total_count }`), `PAGE` at a time.
 * @param {ClerkContext} ctx
 */
async function allPages(ctx, path, query = {}, limit = MAX_PAGES * PAGE) {
  const items = [];
  for (let offset = 0, page = 0; page < MAX_PAGES && items.length < limit; page += 1) {
    const answer = await clerk(ctx, `${path}?${new URLSearchParams({ ...query, limit: String(PAGE), offset: String(offset) })}`);
    const data = Array.isArray(answer?.data) ? answer.data : [];
    items.push(...data);
    offset += data.length;
    if (data.length < PAGE || offset >= Number(answer?.total_count ?? 0)) return items;
  }
  ctx.log.warn('a Clerk list was cut at the page bound', { path, items: items.length });
  return items;
}

/**
 * Users. The first sync walks the whole list newest first with the `starting_after` cursor (offsets grow
 * slow on long lists, and the cursor needs the created_at order); later syncs read users by
 * `-updated_at` (offset pages) until they reach the last mark, less a minute.
 * @param {ClerkContext} ctx
 */
async function syncUsers(ctx, since) {
  const users = new Map();
  let mark = since;
  const keep = (user) => {
    users.set(user.id, user);
    const updated = iso(user.updated_at);
    if (updated && (!mark || updated > mark)) mark = updated;
  };
  const floor = since ? Date.parse(since) - OVERLAP_MS : NaN;
  if (Number.isNaN(floor)) {
    mark = undefined;
    let after;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ limit: String(PAGE), order_by: '-created_at', ...(after ? { starting_after: after } : {}) });
      const list = await clerk(ctx, `/users?${query}`);
      const batch = Array.isArray(list) ? list : [];
      batch.forEach(keep);
      if (batch.length < PAGE) return { users: [...users.values()], mark };
      after = batch.at(-1).id;
    }
    ctx.log.warn('user sync stopped at the page bound; the rest waits for the next sync', { users: users.size });
    return { users: [...users.values()], mark };
  }
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(page * PAGE), order_by: '-updated_at' });
    const list = await clerk(ctx, `/users?${query}`);
    const batch = Array.isArray(list) ? list : [];
    for (const user of batch) {
      if (typeof user.updated_at === 'number' && user.updated_at < floor) return { users: [...users.values()], mark };
      keep(user);
    }
    if (batch.length < PAGE) break;
  }
  return { users: [...users.values()], mark };
}

/** A header of an inbound request, whatever its case. */
function header(req, name) {
  for (const [key, value] of Object.entries(req?.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * Svix's signature: `svix-signature` lists `v1,<base64>` entries (space-separated, several while a
 * secret is rotated), each an HMAC-SHA256 of `{svix-id}.{svix-timestamp}.{raw body}` keyed with the
 * base64-decoded part of the `whsec_` secret; the timestamp within five minutes of now. Svix's
 * white-labelled `webhook-*` headers are read the same way.
 * @param {string} secret
 * @param {InboundRequest} req
 */
function svixVerified(secret, req) {
  const id = header(req, 'svix-id') ?? header(req, 'webhook-id');
  const timestamp = header(req, 'svix-timestamp') ?? header(req, 'webhook-timestamp');
  const signatures = header(req, 'svix-signature') ?? header(req, 'webhook-signature');
  if (!id || !timestamp || !signatures || typeof req?.rawBody !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length === 0) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${req.rawBody}`, 'utf8').digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const USER_OUTPUT = {
  type: 'object',
  required: ['id', 'email', 'name', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    email: { type: ['string', 'null'], description: 'The primary email address' },
    emailAddresses: { type: 'array', items: { type: 'string' } },
    name: { type: ['string', 'null'] },
    firstName: { type: ['string', 'null'] },
    lastName: { type: ['string', 'null'] },
    username: { type: ['string', 'null'] },
    externalId: { type: ['string', 'null'] },
    imageUrl: { type: ['string', 'null'] },
    banned: { type: 'boolean' },
    locked: { type: 'boolean' },
    publicMetadata: { type: 'object' },
    organizationIds: { type: ['array', 'null'], items: { type: 'string' }, description: 'With includeOrganizations' },
    lastSignInAt: { type: ['string', 'null'], format: 'date-time' },
    lastActiveAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

const MEMBERSHIP_OUTPUT = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    organizationId: { type: ['string', 'null'] },
    userId: { type: ['string', 'null'] },
    identifier: { type: ['string', 'null'], description: 'The member’s email address or other identifier' },
    firstName: { type: ['string', 'null'] },
    lastName: { type: ['string', 'null'] },
    role: { type: ['string', 'null'], description: 'e.g. org:admin, org:member' },
    roleName: { type: ['string', 'null'] },
    permissions: { type: 'array', items: { type: 'string' } },
    createdAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'clerk',
      name: 'Clerk',
      category: 'identity',
      description: 'Read Clerk users and organization memberships, sync users, organizations and memberships, and turn Clerk’s user.created and user.updated webhooks into events.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['secretKey'],
          additionalProperties: false,
          properties: {
            secretKey: {
              type: 'string',
              pattern: '^sk_(live|test)_[A-Za-z0-9]{20,200}$',
              title: 'Secret Key',
              description: 'sk_live_… (production) or sk_test_… (development) from API Keys in the Clerk Dashboard',
              secret: true,
            },
            webhookSecret: {
              type: 'string',
              pattern: '^whsec_[A-Za-z0-9+/]{16,200}={0,2}$',
              title: 'Webhook signing secret',
              description: 'whsec_… of the Clerk webhook endpoint that posts to this connection’s hook URL (Webhooks → endpoint → Signing Secret)',
              secret: true,
            },
          },
        },
        apply: { headers: { Authorization: 'Bearer {secretKey}', 'Clerk-API-Version': API_VERSION } },
      },
      baseUrl: 'https://api.clerk.com/v1',
      errors,
      // Backend API requests are limited per instance (identified by its secret key): 1,000 requests per 10
      // seconds for production instances, 100 for development ones. A connection's instance type is only
      // known after verify, so the lower figure is declared, per instance; past it Clerk answers 429 with
      // Retry-After, which the host honours.
      rateLimits: [{ requests: 100, windowMs: 10_000, scope: 'account', accountKey: 'instanceId' }],

      /** The instance behind the secret key (GET /instance). @param {ClerkContext} ctx */
      async verify(ctx) {
        const instance = await clerk(ctx, '/instance');
        if (typeof instance?.id !== 'string' || !instance.id) throw new Error('Clerk answered /instance without an instance id');
        const environment = typeof instance.environment_type === 'string' ? instance.environment_type : 'unknown';
        return {
          displayName: `Clerk ${environment} instance ${instance.id}`,
          metadata: {
            instanceId: instance.id,
            environmentType: environment,
            liveKey: String(ctx.credentials?.secretKey ?? '').startsWith('sk_live_'),
            webhooks: typeof ctx.credentials?.webhookSecret === 'string' && ctx.credentials.webhookSecret !== '',
          },
        };
      },

      /** One user: the cheapest authenticated read. */
      healthCheck: { request: { path: '/users', query: { limit: '1' } } },

      actions: {
        getUser: {
          description: 'Reads a user: primary email, name, username, metadata and timestamps; with includeOrganizations, the ids of the organizations they belong to.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['userId'],
            properties: {
              userId: { type: 'string', pattern: USER_ID, description: 'user_…' },
              includeOrganizations: { type: 'boolean', default: false, description: 'Also read the user’s organization memberships' },
            },
          },
          outputSchema: USER_OUTPUT,
          /** @param {ClerkContext} ctx */
          async run(ctx, input) {
            const user = await clerk(ctx, `/users/${encodeURIComponent(input.userId)}`);
            let organizationIds = null;
            if (input.includeOrganizations) {
              const memberships = await allPages(ctx, `/users/${encodeURIComponent(input.userId)}/organization_memberships`);
              organizationIds = [...new Set(memberships.map((membership) => membership.organization?.id).filter((id) => typeof id === 'string'))];
            }
            return userRecord(user, organizationIds);
          },
        },
        listOrganizationMemberships: {
          description: 'Lists the members of an organization with their roles, a page at a time (limit/offset, with the total), or all of them.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['organizationId'],
            properties: {
              organizationId: { type: 'string', pattern: ORG_ID, description: 'org_…' },
              limit: { type: 'integer', minimum: 1, maximum: PAGE, default: 100 },
              offset: { type: 'integer', minimum: 0, default: 0 },
              all: { type: 'boolean', default: false, description: 'Read every page (up to 100,000 members) instead of one' },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['memberships', 'totalCount', 'nextOffset'],
            properties: {
              memberships: { type: 'array', items: MEMBERSHIP_OUTPUT },
              totalCount: { type: 'integer' },
              nextOffset: { type: ['integer', 'null'], description: 'The offset of the next page; null after the last' },
            },
          },
          /** @param {ClerkContext} ctx */
          async run(ctx, input) {
            const path = `/organizations/${encodeURIComponent(input.organizationId)}/memberships`;
            if (input.all) {
              const memberships = await allPages(ctx, path, { order_by: 'created_at' });
              return { memberships: memberships.map(membershipRecord), totalCount: memberships.length, nextOffset: null };
            }
            const limit = input.limit ?? 100;
            const offset = input.offset ?? 0;
            const answer = await clerk(ctx, `${path}?${new URLSearchParams({ limit: String(limit), offset: String(offset), order_by: 'created_at' })}`);
            const data = Array.isArray(answer?.data) ? answer.data : [];
            const totalCount = Number(answer?.total_count ?? data.length);
            return { memberships: data.map(membershipRecord), totalCount, nextOffset: offset + data.length < totalCount && data.length > 0 ? offset + data.length : null };
          },
        },
      },

      sync: {
        defaultFrequency: '1h',
        /**
         * Users (incrementally, see syncUsers), and every organization and membership: Clerk lists neither
         * by modification time. Users get the ids of their organizations from the memberships.
         * @param {ClerkContext} ctx
         */
        async run(ctx, input) {
          const { users, mark } = await syncUsers(ctx, input?.highWaterMarks?.users);
          const organizations = await allPages(ctx, '/organizations', { include_members_count: 'true' });
          const memberships = (await allPages(ctx, '/organization_memberships', { order_by: 'created_at' })).map(membershipRecord);
          const byUser = new Map();
          const byOrganization = new Map();
          for (const membership of memberships) {
            if (membership.userId && membership.organizationId) {
              byUser.set(membership.userId, [...(byUser.get(membership.userId) ?? []), membership.organizationId]);
              byOrganization.set(membership.organizationId, [...(byOrganization.get(membership.organizationId) ?? []), membership.userId]);
            }
          }
          return {
            records: {
              users: users.map((user) => userRecord(user, byUser.get(user.id) ?? [])),
              organizations: organizations.map((organization) => ({
                id: organization.id,
                name: organization.name ?? null,
                slug: organization.slug ?? null,
                membersCount: organization.members_count ?? (byOrganization.get(organization.id)?.length || 0),
                memberUserIds: byOrganization.get(organization.id) ?? [],
                createdBy: organization.created_by ?? null,
                publicMetadata: organization.public_metadata ?? {},
                createdAt: iso(organization.created_at),
                updatedAt: iso(organization.updated_at),
              })),
              memberships,
            },
            ...(mark ? { highWaterMarks: { users: mark } } : {}),
          };
        },
      },

      webhook: {
        /** Svix signatures with the endpoint's signing secret (see svixVerified). @param {ClerkContext} ctx */
        verify(ctx, req) {
          const secret = ctx.credentials?.webhookSecret;
          if (typeof secret !== 'string' || !secret.startsWith('whsec_')) return false;
          return svixVerified(secret, req);
        },

        /**
         * user.created and user.updated become the host's events of the same names (the user's primary email,
         * name, and organization ids when the payload has memberships); other Clerk events publish nothing.
         * @param {ClerkContext} ctx
         * @param {InboundRequest} req
         */
        toEvents(ctx, req) {
          let event = req?.body;
          if (event === undefined) {
            try {
              event = JSON.parse(req?.rawBody ?? '');
            } catch {
              return [];
            }
          }
          if (event?.type !== 'user.created' && event?.type !== 'user.updated') {
            ctx.log.debug('a Clerk event without a host event type', { type: event?.type ?? null });
            return [];
          }
          /** @type {ClerkUser} */
          const user = event.data;
          if (typeof user?.id !== 'string' || !user.id) return [];
          const email = primaryEmail(user);
          const name = fullName(user) ?? user.username ?? null;
          const organizationIds = Array.isArray(user.organization_memberships)
            ? [...new Set(user.organization_memberships.map((membership) => membership?.organization?.id).filter((id) => typeof id === 'string'))]
            : undefined;
          return [
            {
              event: event.type,
              data: { userId: user.id, provider: 'clerk', ...(email ? { email } : {}), ...(name ? { name } : {}), ...(organizationIds ? { organizationIds } : {}) },
            },
          ];
        },
      },
    },
  ],
});
