// LinkedIn Live providers for Plugboard, written against LinkedIn's Live Events API (https://learn.microsoft.com/en-us/linkedin/consumer/integrations/live-video: scheduled live events, content access, live asset registration), Sign In with LinkedIn using OpenID Connect (/v2/userinfo), Organization Access Control (/rest/organizationAcls), and the shared API guides on OAuth 2.0, error handling and rate limits.
import { definePlugin, ProviderRateLimitedError, ProviderRejectedError } from 'plugboard/sdk';

/**
 * @typedef {'member' | 'page'} LiveKind
 * @typedef {{ organizationId?: string, region?: string, endOnLivestreamEnded?: boolean }} LinkedInSettings
 * @typedef {import('plugboard/sdk').PluginContext<import('plugboard/sdk').OAuthCredentials, LinkedInSettings>} LinkedInContext
 * @typedef {{ url: string, ingestProtocol?: string }} IngestUrl
 */

/**
 * The Live Events API (liveVideos, liveAssetActions, assets, ugcPosts, contentAccess) and userinfo are
 * served under /v2 with Rest.li protocol 2.0.0; organizationAcls and organizations use the versioned
 * API under /rest, which wants LinkedIn-Version (each monthly version is supported at least a year).
 */
const API = 'https://api.linkedin.com';
const LINKEDIN_VERSION = '202609';
const RESTLI_PROTOCOL = '2.0.0';

/**
 * Profile and Page live permissions may not be asked for in one authorization, LinkedIn's Live Events
 * docs say: one provider for each. openid and profile give the member id (`sub`) a profile's events
 * are authored by; for a Page, the administrator is the roleAssignee of Organization Access Control.
 */
const MEMBER_SCOPES = ['openid', 'profile', 'r_member_live', 'w_member_live'];
const PAGE_SCOPES = ['r_organization_admin', 'r_organization_live', 'w_organization_live'];

/** The message a refusal for lack of Live Events approval becomes, word for word. */
const NOT_APPROVED = 'LinkedIn has not approved live streaming for this app';

const LIVE_RECIPE = 'urn:li:digitalmediaRecipe:feedshare-live-video';
const ASSET_PREFIX = 'urn:li:digitalmediaAsset:';
const REGIONS = ['WEST_US', 'EAST_US_NORTH', 'EAST_US_SOUTH', 'CENTRAL_US', 'SOUTH_CENTRAL_US', 'SOUTH_AMERICA', 'NORTH_EUROPE', 'WEST_EUROPE'];
const DEFAULT_REGION = 'WEST_US';
/** "Go live now" is an event scheduled a minute ahead; the encoder may start 15 minutes before the scheduled time and up to 2 hours after. */
const MIN_LEAD_MS = 60_000;
const EARLY_MS = 15 * 60_000;
const LATE_MS = 2 * 3_600_000;
const NAME_MAX = 75;
const DAY_MS = 86_400_000;

const LIVE_VIDEO_ID = '^[0-9]{1,20}$';
const ORGANIZATION_ID = '^[0-9]{1,20}$';
const ASSET_URN = '^urn:li:digitalmediaAsset:[A-Za-z0-9_-]{1,100}$';
const PERSON_URN = /^urn:li:person:[A-Za-z0-9_-]{1,100}$/;
/** The Live Events endpoints: a 403 there is LinkedIn refusing live streaming. */
const LIVE_PATH = /^\/v2\/(liveVideos|liveAssetActions|assets|ugcPosts|contentAccess)(\/|\?|$)/;
const PAGE_SIZE = 100;

function refusal(message) {
  return new ProviderRejectedError(message);
}

/** LinkedIn's daily limits reset at midnight UTC; it sends no Retry-After of its own. */
function secondsUntilMidnightUtc(now = Date.now()) {
  return Math.max(1, Math.ceil((DAY_MS - (now % DAY_MS)) / 1000));
}

const messageOf = (body) => (typeof body?.message === 'string' ? body.message.trim() : '');

/** A 403 for lack of permission (`ACCESS_DENIED`, serviceErrorCode 100, "Not enough permissions to access: …"). */
function isAccessDenied(status, body) {
  return status === 403 && (body?.code === 'ACCESS_DENIED' || body?.serviceErrorCode === 100 || /^not enough permissions/i.test(messageOf(body)));
}

/**
 * LinkedIn's `{ status, serviceErrorCode, code, message }` as what it means: 429 a daily limit, 401 a
 * token to renew, a permission refusal on the Live Events endpoints the missing approval, other 4xx
 * refusals LinkedIn's own message, anything else an outage.
 */
function linkedinFailure(response, body, path) {
  const status = response.status;
  const message = messageOf(body) || `LinkedIn answered HTTP ${status}`;
  if (status === 429) {
    const retryAfter = Number(response.headers.get('retry-after'));
    const wait = response.headers.has('retry-after') && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : secondsUntilMidnightUtc();
    return new ProviderRateLimitedError(`LinkedIn's daily limit for this call is reached (it resets at midnight UTC): ${message}`, wait);
  }
  if (status === 401) return refusal(`LinkedIn refused the access token (${message}): connect LinkedIn again.`);
  if (isAccessDenied(status, body) && LIVE_PATH.test(path)) return refusal(NOT_APPROVED);
  if (status === 426) return new Error(`LinkedIn no longer serves API version ${LINKEDIN_VERSION}: ${message}`);
  if (status >= 400 && status < 500 && status !== 408) return refusal(message);
  return new Error(`LinkedIn answered HTTP ${status}: ${message}`);
}

/**
 * One request, answered as it came: the host adds the bearer token under the base URL; every call
 * carries the Rest.li protocol version, versioned (/rest) ones LinkedIn-Version too.
 * @param {LinkedInContext} ctx
 */
async function send(ctx, path, { method = 'GET', body } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', 'X-Restli-Protocol-Version': RESTLI_PROTOCOL };
  if (path.startsWith('/rest/')) headers['LinkedIn-Version'] = LINKEDIN_VERSION;
  const response = await ctx.http(path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { response, text, body: parsed };
}

/** Like send, but a refusal throws what it means. @param {LinkedInContext} ctx */
async function linkedin(ctx, path, init = {}) {
  const answer = await send(ctx, path, init);
  if (!answer.response.ok) throw linkedinFailure(answer.response, answer.body, path);
  if (answer.text && answer.body === undefined) throw new Error(`LinkedIn answered HTTP ${answer.response.status} with a body that is not JSON`);
  return { response: answer.response, body: answer.body ?? {} };
}

/**
 * The id of what a create made: the x-restli-id header (live event ids pass 2^53, so the number in
 * the body cannot be trusted), else the Location header's last segment.
 */
function createdId(response) {
  const header = response.headers.get('x-restli-id');
  if (header) return header;
  const location = response.headers.get('location');
  return location ? decodeURIComponent(location.split('/').pop() ?? '') || undefined : undefined;
}

/** @param {LinkedInContext} ctx */
function settingsOrganizationId(ctx) {
  const id = ctx.settings?.organizationId;
  return typeof id === 'string' && new RegExp(ORGANIZATION_ID).test(id) ? id : undefined;
}

/** @param {LinkedInContext} ctx */
function region(ctx, input) {
  return input.region ?? (REGIONS.includes(ctx.settings?.region ?? '') ? ctx.settings.region : DEFAULT_REGION);
}

/** The member's person URN: kept by verify, else from /v2/userinfo's sub. @param {LinkedInContext} ctx */
async function memberUrn(ctx) {
  const kept = ctx.integration.metadata?.personUrn;
  if (typeof kept === 'string' && PERSON_URN.test(kept)) return kept;
  const { body } = await linkedin(ctx, '/v2/userinfo');
  if (typeof body.sub !== 'string' || !body.sub) throw refusal('LinkedIn answered no member for this access token: connect LinkedIn again.');
  return `urn:li:person:${body.sub}`;
}

/**
 * The Pages the member administers (approved ADMINISTRATOR roles), page after page.
 * @param {LinkedInContext} ctx
 * @returns {Promise<Array<{ organizationId: string, roleAssignee: string }>>}
 */
async function administeredPages(ctx) {
  const found = [];
  for (let start = 0; start < PAGE_SIZE * 10; start += PAGE_SIZE) {
    const query = new URLSearchParams({ q: 'roleAssignee', role: 'ADMINISTRATOR', state: 'APPROVED', start: String(start), count: String(PAGE_SIZE) });
    const { body } = await linkedin(ctx, `/rest/organizationAcls?${query}`);
    const elements = Array.isArray(body.elements) ? body.elements : [];
    for (const element of elements) {
      const match = /^urn:li:organization:(\d+)$/.exec(String(element?.organization ?? ''));
      if (match && element.state !== 'REJECTED') found.push({ organizationId: match[1], roleAssignee: String(element.roleAssignee ?? '') });
    }
    if (elements.length < PAGE_SIZE) break;
  }
  return found;
}

/** Names of Pages by id (one batch get). @param {LinkedInContext} ctx */
async function organizationNames(ctx, ids) {
  if (!ids.length) return {};
  const { body } = await linkedin(ctx, `/rest/organizations?ids=List(${ids.join(',')})`);
  const results = body.results && typeof body.results === 'object' ? body.results : {};
  return Object.fromEntries(
    ids.map((id) => [id, { name: typeof results[id]?.localizedName === 'string' ? results[id].localizedName : null, vanityName: results[id]?.vanityName ?? null }]),
  );
}

/**
 * Who a live event is by: the member (profile provider) or a Page the member administers (Page
 * provider; the action's organizationId, else the settings').
 * @param {LiveKind} kind
 * @param {LinkedInContext} ctx
 * @returns {Promise<{ urn: string, author: Record<string, string>, organizationId: string | null }>}
 */
async function owner(kind, ctx, input) {
  if (kind === 'member') {
    if (input.organizationId) {
      throw refusal(
        'This connection streams to your LinkedIn profile. To stream as a LinkedIn Page, connect "LinkedIn Live (Company Page)": LinkedIn does not allow profile and Page live permissions in one authorization.',
      );
    }
    const urn = await memberUrn(ctx);
    return { urn, author: { member: urn }, organizationId: null };
  }
  const organizationId = input.organizationId ?? settingsOrganizationId(ctx);
  if (!organizationId) throw refusal('Choose the LinkedIn Page to stream as: give organizationId (listOrganizations shows yours) or set it in the settings.');
  const pages = await administeredPages(ctx);
  if (!pages.some((page) => page.organizationId === organizationId)) {
    throw refusal(`The connected LinkedIn member is not an administrator of the LinkedIn Page ${organizationId}; LinkedIn lets only a Page's administrators stream as it.`);
  }
  const urn = `urn:li:organization:${organizationId}`;
  return { urn, author: { organization: urn }, organizationId };
}

/** The ingest URLs a registration answered: RTMPS preferred, as LinkedIn recommends. */
function ingestOf(value) {
  const urls = (Array.isArray(value?.ingestUrls) ? value.ingestUrls : []).filter((entry) => typeof entry?.url === 'string' && /^rtmps?:\/\//.test(entry.url));
  const preferred = urls.find((entry) => entry.ingestProtocol === 'RTMPS' || entry.url.startsWith('rtmps://')) ?? urls[0];
  return {
    asset: typeof value?.asset === 'string' ? value.asset : null,
    ingestUrl: preferred?.url ?? null,
    ingestUrls: urls.map((entry) => ({ url: entry.url, protocol: entry.ingestProtocol ?? (entry.url.startsWith('rtmps://') ? 'RTMPS' : 'RTMP') })),
    previewUrls: Array.isArray(value?.previewUrls) ? value.previewUrls.filter((url) => typeof url === 'string') : [],
  };
}

/**
 * Registers a live event asset and answers its ingest URLs (secrets: they carry the stream key, so
 * they are returned, never logged). Ingestion must start within the hour.
 * @param {LinkedInContext} ctx
 */
async function register(ctx, ownerUrn, chosenRegion) {
  const { body } = await linkedin(ctx, '/v2/liveAssetActions?action=register', {
    method: 'POST',
    body: { registerLiveEventRequest: { owner: ownerUrn, recipes: [LIVE_RECIPE], region: chosenRegion } },
  });
  const stream = ingestOf(body.value);
  if (!stream.asset || !stream.ingestUrl) throw new Error('LinkedIn registered the live event without an asset or an ingest URL');
  return stream;
}

const NO_STREAM = { asset: null, ingestUrl: null, ingestUrls: [], previewUrls: [] };

/**
 * Schedules a live event (POST /v2/liveVideos), announces it in the feed (POST /v2/ugcPosts with the
 * liveVideo URN) and, when its go-live window opens within 15 minutes, registers the live asset and
 * answers the ingest URL. A start in the past or within a minute means now.
 * @param {LiveKind} kind
 */
const createLiveEvent = (kind) => async (/** @type {LinkedInContext} */ ctx, input) => {
  const by = await owner(kind, ctx, input);
  const now = Date.now();
  const scheduledAt = Math.max(Date.parse(input.startAt), now + MIN_LEAD_MS);
  const created = await linkedin(ctx, '/v2/liveVideos', { method: 'POST', body: { author: by.author, scheduledAt, name: input.title } });
  const id = createdId(created.response) ?? (Number.isSafeInteger(created.body.id) ? String(created.body.id) : undefined);
  if (!id) throw new Error('LinkedIn scheduled the live event without naming its id');
  const liveVideoUrn = `urn:li:liveVideo:${id}`;
  const post = await linkedin(ctx, '/v2/ugcPosts', {
    method: 'POST',
    body: {
      author: by.urn,
      lifecycleState: 'PUBLISHED',
      specificContent: {
        'com.linkedin.ugc.ShareContent': {
          media: [{ media: liveVideoUrn, status: 'READY' }],
          shareCommentary: { attributes: [], text: input.description || input.title },
          shareMediaCategory: 'URN_REFERENCE',
        },
      },
      visibility: { 'com.linkedin.ugc.MemberNetworkVisibility': 'PUBLIC' },
      distribution: { feedDistribution: 'MAIN_FEED', externalDistributionChannels: [], distributedViaFollowFeed: true },
    },
  });
  const postUrn = createdId(post.response) ?? (typeof post.body.id === 'string' ? post.body.id : null);
  const stream = scheduledAt - now <= EARLY_MS ? await register(ctx, by.urn, region(ctx, input)) : NO_STREAM;
  ctx.log.info('LinkedIn live event scheduled', { liveVideoId: id, postUrn, owner: by.urn, registered: Boolean(stream.asset) });
  return {
    id,
    liveVideoUrn,
    organizationId: by.organizationId,
    postUrn,
    postUrl: postUrn ? `https://www.linkedin.com/feed/update/${postUrn}` : null,
    state: typeof created.body.state === 'string' ? created.body.state : 'PRE_LIVE',
    scheduledAt: new Date(scheduledAt).toISOString(),
    goLiveFrom: new Date(scheduledAt - EARLY_MS).toISOString(),
    goLiveUntil: new Date(scheduledAt + LATE_MS).toISOString(),
    ...stream,
  };
};

/** Registers a live asset for an event scheduled earlier, once its go-live window is near. @param {LiveKind} kind */
const registerLiveStream = (kind) => async (/** @type {LinkedInContext} */ ctx, input) => {
  const by = await owner(kind, ctx, input);
  const stream = await register(ctx, by.urn, region(ctx, input));
  ctx.log.info('LinkedIn live asset registered', { asset: stream.asset, owner: by.urn });
  return stream;
};

/**
 * Links the registered asset to its scheduled event once LinkedIn receives the stream (the asset's
 * live recipe is AVAILABLE): the announcement post then shows the live video.
 * @param {LinkedInContext} ctx
 */
async function linkLiveStream(ctx, { liveVideoId, asset }) {
  const { body } = await linkedin(ctx, `/v2/assets/${encodeURIComponent(asset.slice(ASSET_PREFIX.length))}`);
  const recipe = (Array.isArray(body.recipes) ? body.recipes : []).find((entry) => entry?.recipe === LIVE_RECIPE);
  const status = typeof recipe?.status === 'string' ? recipe.status : 'unknown';
  if (status !== 'AVAILABLE') {
    throw refusal(`LinkedIn is not receiving the stream yet (the live asset is ${status}): start the encoder on the ingest URL, then link again once it is AVAILABLE.`);
  }
  await linkedin(ctx, `/v2/liveVideos/${encodeURIComponent(liveVideoId)}`, { method: 'POST', body: { patch: { $set: { liveVideoAsset: { media: asset } } } } });
  return { id: liveVideoId, asset, linked: true };
}

/**
 * Ends a live event's asset (POST /v2/liveAssetActions?action=end); given the live event id, the asset
 * linked to it. LinkedIn advises ending about 10 seconds after the encoder stopped.
 * @param {LinkedInContext} ctx
 */
async function endLiveEvent(ctx, input) {
  let asset = input.asset;
  if (!asset) {
    const { body } = await linkedin(ctx, `/v2/liveVideos/${encodeURIComponent(input.liveVideoId)}`);
    asset = typeof body.liveVideoAsset?.media === 'string' ? body.liveVideoAsset.media : undefined;
    if (!asset) throw refusal(`The LinkedIn live event ${input.liveVideoId} has no live stream linked to it: end it by the asset registerLiveStream or createLiveEvent answered.`);
  }
  await linkedin(ctx, '/v2/liveAssetActions?action=end', { method: 'POST', body: { asset } });
  return { asset, liveVideoId: input.liveVideoId ?? null, ended: true };
}

/**
 * Whether LinkedIn lets this profile or Page go live (GET /v2/contentAccess: 200 yes, 404 not
 * approved), and the app at all (a 403 permission refusal): reported, never failing the connection.
 * @param {LinkedInContext} ctx
 */
async function liveAccess(ctx, key, kind) {
  const path = `/v2/contentAccess/${key}`;
  const { response, body } = await send(ctx, path);
  if (response.ok) return { liveStreamingApproved: true, liveAccess: 'approved' };
  if (response.status === 404) return { liveStreamingApproved: false, liveAccess: kind === 'member' ? 'profile_not_approved' : 'page_not_approved' };
  if (isAccessDenied(response.status, body)) return { liveStreamingApproved: false, liveAccess: 'app_not_approved' };
  throw linkedinFailure(response, body, path);
}

/** A URN inside a Rest.li key, URL-encoded as the docs show. */
const keyUrn = (urn) => encodeURIComponent(urn);

/** @param {LiveKind} kind */
function verify(kind) {
  if (kind === 'member') {
    return async (/** @type {LinkedInContext} */ ctx) => {
      const { body: me } = await linkedin(ctx, '/v2/userinfo');
      if (typeof me.sub !== 'string' || !me.sub) throw refusal('LinkedIn answered no member for this access token: connect LinkedIn again.');
      const personUrn = `urn:li:person:${me.sub}`;
      const access = await liveAccess(ctx, `(entity:(member:${keyUrn(personUrn)}),featureType:LIVE_VIDEO)`, kind);
      return { displayName: me.name || me.sub, metadata: { sub: me.sub, name: me.name ?? null, personUrn, ...access } };
    };
  }
  return async (/** @type {LinkedInContext} */ ctx) => {
    const pages = await administeredPages(ctx);
    if (!pages.length) throw refusal('The connected LinkedIn member administers no LinkedIn Page: only a Page administrator can stream as a Page.');
    const ids = [...new Set(pages.map((page) => page.organizationId))];
    const wanted = settingsOrganizationId(ctx);
    if (wanted && !ids.includes(wanted)) throw refusal(`The connected LinkedIn member is not an administrator of the LinkedIn Page ${wanted}; LinkedIn lets only a Page's administrators stream as it.`);
    const organizationId = wanted ?? ids[0];
    const personUrn = pages.find((page) => PERSON_URN.test(page.roleAssignee))?.roleAssignee ?? null;
    const names = await organizationNames(ctx, [organizationId]);
    const access = personUrn
      ? await liveAccess(ctx, `(entity:(company:${keyUrn(`urn:li:organization:${organizationId}`)}),admin:(member:${keyUrn(personUrn)}),featureType:LIVE_VIDEO)`, kind)
      : { liveStreamingApproved: false, liveAccess: 'unknown' };
    const organizationName = names[organizationId]?.name ?? null;
    return {
      displayName: organizationName ?? `LinkedIn Page ${organizationId}`,
      metadata: { personUrn, organizationId, organizationName, administeredOrganizationIds: ids, ...access },
    };
  };
}

/** @param {LiveKind} kind */
function healthCheck(kind) {
  return async (/** @type {LinkedInContext} */ ctx) => {
    const metadata = ctx.integration.metadata ?? {};
    if (kind === 'member') {
      const { body } = await linkedin(ctx, '/v2/userinfo');
      if (typeof metadata.sub === 'string' && metadata.sub && body.sub !== metadata.sub) throw refusal('The access token now belongs to another LinkedIn member: connect LinkedIn again.');
      return;
    }
    const pages = await administeredPages(ctx);
    const organizationId = settingsOrganizationId(ctx) ?? metadata.organizationId;
    if (typeof organizationId === 'string' && !pages.some((page) => page.organizationId === organizationId)) {
      throw refusal(`The connected LinkedIn member is no longer an administrator of the LinkedIn Page ${organizationId}.`);
    }
  };
}

/** The Pages the member administers, with their names. @param {LinkedInContext} ctx */
async function listOrganizations(ctx) {
  const ids = [...new Set((await administeredPages(ctx)).map((page) => page.organizationId))];
  const names = await organizationNames(ctx, ids);
  return { organizations: ids.map((id) => ({ id, urn: `urn:li:organization:${id}`, name: names[id]?.name ?? null, vanityName: names[id]?.vanityName ?? null })) };
}

/** @param {LiveKind} kind */
function livestreamEnded(kind, providerId) {
  return async (/** @type {LinkedInContext} */ ctx, event) => {
    if (ctx.settings?.endOnLivestreamEnded === false) return;
    const destinations = Array.isArray(event.data?.destinations) ? event.data.destinations : [];
    const [asset, videoId] = [new RegExp(ASSET_URN), new RegExp(LIVE_VIDEO_ID)];
    const ids = new Set(destinations.filter((entry) => entry?.provider === providerId && typeof entry.id === 'string' && (asset.test(entry.id) || videoId.test(entry.id))).map((entry) => entry.id));
    for (const id of ids) {
      const input = asset.test(id) ? { asset: id } : { liveVideoId: id };
      try {
        const result = await endLiveEvent(ctx, input);
        ctx.log.info('LinkedIn live event ended', { eventId: event.id, id, asset: result.asset, kind });
      } catch (error) {
        if (error?.code !== 'provider_rejected') throw error;
        ctx.log.warn('LinkedIn did not end the live event', { eventId: event.id, id, error: error.message });
      }
    }
  };
}

const regionField = { type: 'string', enum: REGIONS, description: 'The LinkedIn ingest region closest to the encoder (default: the settings’ region, else WEST_US)' };
const organizationField = { type: 'string', pattern: ORGANIZATION_ID, description: 'The LinkedIn Page (organization id) to stream as' };

/**
 * LinkedIn counts calls per application and per member per day, resetting at midnight UTC; standard
 * numbers are not published (the app's Analytics tab shows them per endpoint). The Live Events
 * Development tier allows about 100 calls per API per day for the whole app: the app budgets keep to
 * that (raise them on the Standard tier). A member may schedule 10 live events a day across their
 * profile and Pages: counted per member, linking a stream to its event (also POST /v2/liveVideos/…)
 * included, hence 20.
 */
const RATE_LIMITS = [
  { requests: 20, windowMs: DAY_MS, scope: 'account', accountKey: 'personUrn', match: ['POST /v2/liveVideos'] },
  { requests: 100, windowMs: DAY_MS, scope: 'app', match: ['POST /v2/liveVideos', 'GET /v2/liveVideos'] },
  { requests: 100, windowMs: DAY_MS, scope: 'app', match: ['POST /v2/liveAssetActions'] },
  { requests: 100, windowMs: DAY_MS, scope: 'app', match: ['POST /v2/ugcPosts'] },
  { requests: 100, windowMs: DAY_MS, scope: 'app', match: ['GET /v2/assets'] },
  { requests: 100, windowMs: DAY_MS, scope: 'app', match: ['GET /v2/contentAccess'] },
];

/**
 * One of the two providers: `member` streams to the member's profile, `page` as a Company Page.
 * @param {LiveKind} kind
 */
function provider(kind) {
  const id = kind === 'member' ? 'linkedin_live' : 'linkedin_live_page';
  const organizationProperty = kind === 'member' ? { organizationId: { ...organizationField, description: 'Not for this connection: Page streams need the LinkedIn Live (Company Page) connection' } } : { organizationId: { ...organizationField, description: 'The LinkedIn Page to stream as (listOrganizations shows yours); defaults to the settings’ Page' } };
  const actions = {
    createLiveEvent: {
      description:
        'Schedules a LinkedIn Live event and its announcement post. Answers the live event id, the post URL, the go-live window (15 minutes before to 2 hours after the start) and, when the start is within 15 minutes, the registered asset and its ingest URL (RTMPS preferred; a secret carrying the stream key). A start in the past or within a minute means now.',
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'startAt'],
        properties: {
          title: { type: 'string', minLength: 1, maxLength: NAME_MAX, pattern: '\\S', description: 'The live event name (up to 75 characters)' },
          startAt: { type: 'string', format: 'date-time', description: 'When the live event starts' },
          description: { type: 'string', maxLength: 3000, description: 'The announcement post’s text (default: the title)' },
          region: regionField,
          ...organizationProperty,
        },
      },
      run: createLiveEvent(kind),
    },
    registerLiveStream: {
      description:
        'Registers a live stream for an event created earlier, when its go-live window nears: answers the asset and the ingest URLs (secrets). Ingestion must start within the hour; then link the asset with linkLiveStream.',
      inputSchema: { type: 'object', additionalProperties: false, properties: { region: regionField, ...organizationProperty } },
      run: registerLiveStream(kind),
    },
    linkLiveStream: {
      description: 'Links the registered asset to its live event once LinkedIn receives the stream (asset AVAILABLE): the announcement post then plays the live video.',
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        required: ['liveVideoId', 'asset'],
        properties: {
          liveVideoId: { type: 'string', pattern: LIVE_VIDEO_ID, description: 'The live event id createLiveEvent answered' },
          asset: { type: 'string', pattern: ASSET_URN, description: 'The asset URN (urn:li:digitalmediaAsset:…) the registration answered' },
        },
      },
      run: linkLiveStream,
    },
    endLiveEvent: {
      description: 'Ends a live event’s stream, by its asset URN or by the live event id (the asset linked to it). Best sent about 10 seconds after the encoder stops.',
      inputSchema: {
        type: 'object',
        additionalProperties: false,
        anyOf: [{ required: ['asset'] }, { required: ['liveVideoId'] }],
        properties: {
          asset: { type: 'string', pattern: ASSET_URN, description: 'The asset URN (urn:li:digitalmediaAsset:…)' },
          liveVideoId: { type: 'string', pattern: LIVE_VIDEO_ID, description: 'The live event id' },
        },
      },
      run: endLiveEvent,
    },
    ...(kind === 'page'
      ? {
          listOrganizations: {
            description: 'The LinkedIn Pages the connected member administers (the only Pages they may stream as): id, URN, name, vanity name.',
            inputSchema: { type: 'object', additionalProperties: false, properties: {} },
            run: listOrganizations,
          },
        }
      : {}),
  };
  return {
    id,
    name: kind === 'member' ? 'LinkedIn Live' : 'LinkedIn Live (Company Page)',
    category: 'live_streaming',
    description:
      kind === 'member'
        ? 'Stream sessions to LinkedIn Live on your profile: schedule the live event with its announcement post, get the RTMP(S) ingest URL, link and end the stream. LinkedIn must have approved the app (Live Events API) and the profile for live streaming.'
        : 'Stream sessions to LinkedIn Live as a Company Page you administer: schedule the live event with its announcement post, get the RTMP(S) ingest URL, link and end the stream. LinkedIn must have approved the app (Live Events API) and the Page for live streaming.',
    auth: {
      type: 'oauth2',
      authorizationUrl: 'https://www.linkedin.com/oauth/v2/authorization',
      tokenUrl: 'https://www.linkedin.com/oauth/v2/accessToken',
      scopes: kind === 'member' ? MEMBER_SCOPES : PAGE_SCOPES,
      scopeSeparator: ' ',
      // Access tokens last 60 days; LinkedIn issues refresh tokens (365 days) only to partners it enabled
      // programmatic refresh for: without one, the member connects again.
      refresh: true,
    },
    settingsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...(kind === 'page'
          ? { organizationId: { type: 'string', pattern: ORGANIZATION_ID, title: 'LinkedIn Page', description: 'The id of the Page to stream as (run listOrganizations to see the Pages you administer)' } }
          : {}),
        region: { type: 'string', enum: REGIONS, default: DEFAULT_REGION, title: 'Ingest region', description: 'The LinkedIn ingest region closest to your encoder' },
        endOnLivestreamEnded: {
          type: 'boolean',
          default: true,
          title: 'End live events when streaming stops',
          description: 'When a session stops streaming, end the LinkedIn live events it was streaming to',
        },
      },
    },
    baseUrl: API,
    rateLimits: RATE_LIMITS,
    errors: { message: '/message' },
    verify: verify(kind),
    healthCheck: healthCheck(kind),
    actions,
    onEvent: { 'livestream.ended': livestreamEnded(kind, id) },
  };
}

export default definePlugin({ providers: [provider('member'), provider('page')] });
