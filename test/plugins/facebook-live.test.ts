import { graphError } from '../fixtures/providers/facebook-login.js';
import {
  ALL_FACEBOOK_PERMISSIONS,
  FACEBOOK_PERMISSIONS,
  LONG_LIVED_SECONDS,
  startFakeFacebook,
  type FakeFacebook,
} from '../fixtures/providers/facebook-live.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '1234567890123456', clientSecret: 'facebook-app-secret-0123456789abcdef', redirectUris: [REDIRECT_URI] };
const GRAPH = 'https://graph.facebook.com/v26.0';

let plugin: PluginDefinition;
let facebook: Json;
let fake: FakeFacebook;
let accessToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('facebook-live');
  facebook = plugin.providers[0];
  fake = await startFakeFacebook();
  fake.state.oauth.registerClient(CLIENT);
  accessToken = fake.state.oauth.mintTokens(CLIENT.clientId, ALL_FACEBOOK_PERMISSIONS).accessToken;
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.queued.length = 0;
  fake.state.userCallsPerHour = 200;
  fake.state.pageCallsPerDay = 4800;
  fake.state.declined = [];
});

const managedPage = () => fake.state.pages[0];
const moderatedPage = () => fake.state.pages[1];
const harness = ({ token = accessToken, settings = {} }: { token?: string; settings?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'facebook_live',
    credentials: { accessToken: token, tokenType: 'bearer' },
    settings,
    integration: { metadata: { userId: fake.state.user.id } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const form = (h: Harness, index: number) => Object.fromEntries(new URLSearchParams(h.requests[index].body));
const event = (data: Json, id = 'evt_1'): PlugboardEvent => ({
  id,
  event: 'livestream.ended',
  timestamp: new Date().toISOString(),
  accountId: 'acct_test',
  livemode: false,
  data,
});
const mint = (scope: string) => fake.state.oauth.mintTokens(CLIENT.clientId, scope).accessToken;
/** Whatever the plugin returned or logged, as text: no Page token may be in it. */
const leaks = (h: Harness, result: unknown) => {
  const text = JSON.stringify([result, h.logs]);
  return fake.state.pageTokensIssued().filter((token) => text.includes(token));
};

describe('facebook_live plugin: declaration and OAuth', () => {
  it('declares Facebook Login with a pinned Graph version, the Live Video permissions, no refresh, and a per-user hourly budget', () => {
    expect(facebook).toMatchObject({
      id: 'facebook_live',
      category: 'live_streaming',
      baseUrl: GRAPH,
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://www.facebook.com/v26.0/dialog/oauth',
        tokenUrl: `${GRAPH}/oauth/access_token`,
        scopes: ['publish_video', 'pages_show_list', 'pages_read_engagement', 'pages_manage_posts'],
        scopeSeparator: ',',
        refresh: false,
      },
      rateLimits: [{ requests: 200, windowMs: 3_600_000, scope: 'connection' }],
    });
    expect(Object.keys(facebook.actions)).toEqual(['listPages', 'createLiveVideo', 'endLiveVideo']);
    expect(Object.keys(facebook.onEvent)).toEqual(['livestream.ended']);
    expect(facebook.webhook).toBeUndefined();
  });

  it('the fake runs Facebook’s flow: comma-separated scopes, a long-lived bearer token and no refresh token, Graph errors for bad exchanges', async () => {
    const url = new URL(facebook.auth.authorizationUrl);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: REDIRECT_URI,
      scope: facebook.auth.scopes.join(','),
      state: 'st-fb',
    }))
      url.searchParams.set(key, value);
    const back = await followAuthorizationUrl(url, fake.origins);
    expect(back.searchParams.get('state')).toBe('st-fb');
    const token = (body: Record<string, string>) => postTokenRequest(facebook.auth.tokenUrl, fake.origins, body);
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };

    const badSecret = await token({ ...exchange, client_secret: 'wrong' });
    expect(badSecret).toEqual({
      status: 400,
      body: { error: { message: 'Error validating client secret.', type: 'OAuthException', code: 1, fbtrace_id: expect.any(String) } },
    });
    const mismatch = await token({ ...exchange, redirect_uri: 'http://localhost:3000/elsewhere' });
    expect(mismatch.body.error).toMatchObject({ code: 100, error_subcode: 36008 });

    const granted = await token(exchange);
    expect(granted).toEqual({ status: 200, body: { access_token: expect.any(String), token_type: 'bearer', expires_in: LONG_LIVED_SECONDS } });
    expect(granted.body.refresh_token).toBeUndefined();
    expect((await harness({ token: granted.body.access_token }).verify()).displayName).toBe('Ada Broadcaster');

    const reused = await token(exchange);
    expect(reused).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ message: 'This authorization code has been used.', code: 100, error_subcode: 36009 }) },
    });

    fake.state.oauth.authorizeError = 'access_denied';
    try {
      const denied = await followAuthorizationUrl(url, fake.origins);
      expect(Object.fromEntries(denied.searchParams)).toMatchObject({ error: 'access_denied', error_reason: 'user_denied', error_code: '200', state: 'st-fb' });
    } finally {
      fake.state.oauth.authorizeError = null;
    }
  });
});

describe('facebook_live plugin: verify and health', () => {
  it('reads the user and the permissions they granted, with the user token as a bearer header', async () => {
    fake.state.declined = ['pages_manage_metadata'];
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: 'Ada Broadcaster',
      metadata: {
        userId: fake.state.user.id,
        name: 'Ada Broadcaster',
        grantedPermissions: ['public_profile', 'publish_video', 'pages_show_list', 'pages_read_engagement', 'pages_manage_posts'],
        declinedPermissions: ['pages_manage_metadata'],
      },
    });
    expect(calls(h)).toEqual([`GET ${GRAPH}/me?fields=id%2Cname`, `GET ${GRAPH}/me/permissions`]);
    expect(h.requests[0].headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('refuses a grant that can stream nowhere, an expired token (190/463, HTTP 400) and a token of an app the user removed (190/458)', async () => {
    await expect(harness({ token: mint(FACEBOOK_PERMISSIONS.pagesShowList) }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Facebook did not grant publish_video, pages_show_list, pages_read_engagement, pages_manage_posts'),
    });
    // Page permissions alone are enough.
    expect((await harness({ token: mint('pages_show_list,pages_read_engagement,pages_manage_posts') }).verify()).displayName).toBe('Ada Broadcaster');

    const stale = mint(ALL_FACEBOOK_PERMISSIONS);
    fake.state.oauth.expireAccessToken(stale);
    const direct = await fetch(`${fake.url}/v26.0/me`, { headers: { authorization: `Bearer ${stale}` } });
    expect(direct.status).toBe(400);
    expect(((await direct.json()) as Json).error).toMatchObject({
      type: 'OAuthException',
      code: 190,
      error_subcode: 463,
      message: expect.stringContaining('Session has expired'),
    });
    await expect(harness({ token: stale }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^Facebook no longer accepts this connection's access token \(Error validating access token: Session has expired .*\): connect Facebook again\.$/,
      ),
    });

    const removed = mint(ALL_FACEBOOK_PERMISSIONS);
    fake.state.oauth.accessTokens.get(removed)!.revoked = true;
    await expect(harness({ token: removed }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('has not authorized application'),
    });
    await expect(harness({ token: 'garbage' }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Cannot parse access token'),
    });
  });

  it('checks health with GET /me?fields=id, and notices a token of another user', async () => {
    const h = harness();
    await h.healthCheck();
    expect(calls(h)).toEqual([`GET ${GRAPH}/me?fields=id`]);
    const other = createHarness(plugin, {
      provider: 'facebook_live',
      credentials: { accessToken, tokenType: 'bearer' },
      integration: { metadata: { userId: '42' } },
      http: forwardTo(fake.origins),
    });
    await expect(other.healthCheck()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('another Facebook user') });
  });
});

describe('facebook_live plugin: Pages', () => {
  it('lists the user’s Pages with their tasks, asking only for id, name and tasks, and never returns a Page token', async () => {
    const h = harness();
    const result = await h.action<Json>('listPages', {});
    expect(result).toEqual({
      pages: [
        { id: managedPage().id, name: 'Acme Live', tasks: managedPage().tasks, canStream: true },
        { id: moderatedPage().id, name: 'Acme Support', tasks: ['ANALYZE', 'MODERATE'], canStream: false },
      ],
    });
    expect(calls(h)).toEqual([`GET ${GRAPH}/me/accounts?fields=id%2Cname%2Ctasks&limit=100`]);
    expect(JSON.stringify(result)).not.toContain('access_token');
  });

  it('follows the after cursor while Facebook says there is a next page', async () => {
    const extra = Array.from({ length: 130 }, (_, index) => ({
      id: String(900_000_000_000 + index),
      name: `Page ${index}`,
      category: 'Community',
      tasks: ['CREATE_CONTENT'],
    }));
    fake.state.pages.push(...extra);
    try {
      const h = harness();
      const { pages } = await h.action<Json>('listPages', {});
      expect(pages).toHaveLength(132);
      expect(pages.at(-1)).toEqual({ id: '900000000129', name: 'Page 129', tasks: ['CREATE_CONTENT'], canStream: true });
      expect(h.requests).toHaveLength(2);
      expect(new URL(h.requests[1].url).searchParams.get('after')).toEqual(expect.any(String));
    } finally {
      fake.state.pages.splice(2);
    }
  });

  it('lists nothing when pages_show_list was not granted', async () => {
    expect(await harness({ token: mint(FACEBOOK_PERMISSIONS.publishVideo) }).action('listPages', {})).toEqual({ pages: [] });
  });
});

describe('facebook_live plugin: live videos', () => {
  it('creates a live video on the settings’ Page with a Page token fetched for this call only, and answers the stream URLs', async () => {
    const page = managedPage();
    const h = harness({ settings: { pageId: page.id } });
    const result = await h.action<Json>('createLiveVideo', { title: 'Launch webinar', description: 'What is new this quarter' });
    const video = fake.state.liveVideos.get(result.id)!;
    expect(result).toEqual({
      id: video.id,
      pageId: page.id,
      status: 'LIVE_NOW',
      stream_url: video.streamUrl,
      secure_stream_url: video.secureStreamUrl,
      server: 'rtmps://live-api-s.facebook.com:443/rtmp/',
      streamKey: video.secureStreamUrl.split('/').pop(),
    });
    expect(video).toMatchObject({ ownerId: page.id, title: 'Launch webinar', description: 'What is new this quarter', requestedStatus: 'LIVE_NOW' });
    expect(calls(h)).toEqual([`GET ${GRAPH}/${page.id}?fields=id%2Cname%2Caccess_token`, `POST ${GRAPH}/${page.id}/live_videos`]);
    expect(h.requests[0].headers.authorization).toBe(`Bearer ${accessToken}`);
    const pageToken = h.requests[1].headers.authorization.replace(/^Bearer /, '');
    expect(fake.state.pageTokensIssued()).toContain(pageToken);
    expect(pageToken).not.toBe(accessToken);
    expect(form(h, 1)).toEqual({ status: 'LIVE_NOW', title: 'Launch webinar', description: 'What is new this quarter' });
    // The Page token is used, never kept: not in the answer, not in the logs; the stream key is not logged either.
    expect(leaks(h, result)).toEqual([]);
    expect(JSON.stringify(h.logs)).not.toContain(result.streamKey);
    expect(h.logs).toEqual([
      { level: 'info', message: 'Facebook live video created', fields: { liveVideoId: video.id, target: 'page', pageId: page.id, status: 'LIVE_NOW' } },
    ]);
  });

  it('creates on the user’s profile with the user token when no Page is given, and an UNPUBLISHED preview when asked', async () => {
    const h = harness();
    const result = await h.action<Json>('createLiveVideo', { title: 'Office hours', status: 'UNPUBLISHED' });
    expect(calls(h)).toEqual([`POST ${GRAPH}/me/live_videos`]);
    expect(h.requests[0].headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(form(h, 0)).toEqual({ status: 'UNPUBLISHED', title: 'Office hours' });
    expect(fake.state.liveVideos.get(result.id)).toMatchObject({ ownerId: fake.state.user.id, requestedStatus: 'UNPUBLISHED' });
    expect(result).toMatchObject({ pageId: null, status: 'UNPUBLISHED' });

    // An action's pageId wins over the settings.
    const page = managedPage();
    const chosen = harness({ settings: { pageId: moderatedPage().id } });
    expect((await chosen.action<Json>('createLiveVideo', { title: 'x', pageId: page.id })).pageId).toBe(page.id);
    expect(calls(chosen)[1]).toBe(`POST ${GRAPH}/${page.id}/live_videos`);
  });

  it('refuses Pages it cannot stream to: no CREATE_CONTENT task, no role at all, an unknown id; and a profile without publish_video', async () => {
    await expect(harness().action('createLiveVideo', { title: 'x', pageId: moderatedPage().id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Facebook refused for lack of permission \(\(#200\) Permissions error\): connect Facebook again .* \(fbtrace_id \S+\)$/),
    });
    const stranger = fake.state.publicPages[0];
    const h = harness();
    await expect(h.action('createLiveVideo', { title: 'x', pageId: stranger.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `The connected Facebook account cannot stream to the Page "Someone Else’s Page" (${stranger.id}): Facebook gives no Page access token for it. Choose one of the Pages listPages returns, or connect the Facebook account that manages this Page.`,
    });
    expect(calls(h)).toEqual([`GET ${GRAPH}/${stranger.id}?fields=id%2Cname%2Caccess_token`]);
    await expect(harness().action('createLiveVideo', { title: 'x', pageId: '123456' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining("Object with ID '123456' does not exist"),
    });
    await expect(
      harness({ token: mint('pages_show_list,pages_read_engagement,pages_manage_posts') }).action('createLiveVideo', { title: 'x' }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('lack of permission'),
    });
    // A Page token obtained through a grant without pages_manage_posts cannot go live as the Page.
    await expect(
      harness({ token: mint('publish_video,pages_show_list') }).action('createLiveVideo', { title: 'x', pageId: managedPage().id }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('lack of permission'),
    });
  });

  it('ends a Page’s live video with that Page’s token, and a profile’s with the user token', async () => {
    const page = managedPage();
    const created = await harness({ settings: { pageId: page.id } }).action<Json>('createLiveVideo', { title: 'Launch' });
    fake.state.startStreaming(created.id);
    expect(fake.state.liveVideos.get(created.id)!.status).toBe('LIVE');
    const h = harness({ settings: { pageId: page.id } });
    expect(await h.action('endLiveVideo', { liveVideoId: created.id })).toEqual({ id: created.id, pageId: page.id, ended: true });
    expect(calls(h)).toEqual([`GET ${GRAPH}/${page.id}?fields=id%2Cname%2Caccess_token`, `POST ${GRAPH}/${created.id}`]);
    expect(form(h, 1)).toEqual({ end_live_video: 'true' });
    expect(fake.state.pageTokensIssued()).toContain(h.requests[1].headers.authorization.replace(/^Bearer /, ''));
    expect(fake.state.liveVideos.get(created.id)!.status).toBe('VOD');

    const own = await harness().action<Json>('createLiveVideo', { title: 'Mine' });
    const mine = harness();
    await mine.action('endLiveVideo', { liveVideoId: own.id });
    expect(calls(mine)).toEqual([`POST ${GRAPH}/${own.id}`]);
    expect(mine.requests[0].headers.authorization).toBe(`Bearer ${accessToken}`);
    expect(fake.state.liveVideos.get(own.id)!.status).toBe('LIVE_STOPPED');

    // The Page's video with the user's token: Graph's permissions error.
    await expect(harness().action('endLiveVideo', { liveVideoId: created.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('(#200) Permissions error'),
    });
  });
});

describe('facebook_live plugin: livestream.ended', () => {
  it('ends the Facebook live videos among the destinations and only those; a refusal is logged, an outage thrown; it can be turned off', async () => {
    const page = managedPage();
    const first = await harness({ settings: { pageId: page.id } }).action<Json>('createLiveVideo', { title: 'One' });
    const h = harness({ settings: { pageId: page.id } });
    await facebook.onEvent['livestream.ended'](
      h.context(),
      event({
        sessionId: 'sess_9',
        destinations: [
          { provider: 'facebook_live', id: first.id },
          { provider: 'youtube', id: '12345' },
          { provider: 'facebook_live', id: 'not-an-id' },
          { provider: 'facebook_live', id: first.id },
        ],
      }),
    );
    expect(calls(h)).toEqual([`GET ${GRAPH}/${page.id}?fields=id%2Cname%2Caccess_token`, `POST ${GRAPH}/${first.id}`]);
    expect(fake.state.liveVideos.get(first.id)!.status).toBe('LIVE_STOPPED');
    expect(h.logs).toEqual([{ level: 'info', message: 'Facebook live video ended', fields: { eventId: 'evt_1', liveVideoId: first.id } }]);

    const gone = harness({ settings: { pageId: page.id } });
    await facebook.onEvent['livestream.ended'](gone.context(), event({ sessionId: 's', destinations: [{ provider: 'facebook_live', id: '777' }] }, 'evt_2'));
    expect(gone.logs).toEqual([
      {
        level: 'warn',
        message: 'Facebook did not end the live video',
        fields: { eventId: 'evt_2', liveVideoId: '777', error: expect.stringContaining("Object with ID '777' does not exist") },
      },
    ]);

    fake.state.queued.push(graphError(500, 2, 'An unexpected error has occurred. Please retry your request later.'));
    await expect(
      facebook.onEvent['livestream.ended'](harness().context(), event({ sessionId: 's', destinations: [{ provider: 'facebook_live', id: first.id }] })),
    ).rejects.toThrow(/^Facebook answered HTTP 500: An unexpected error has occurred/);

    const off = harness({ settings: { pageId: page.id, endOnLivestreamEnded: false } });
    await facebook.onEvent['livestream.ended'](off.context(), event({ sessionId: 's', destinations: [{ provider: 'facebook_live', id: first.id }] }));
    expect(off.requests).toEqual([]);
  });
});

describe('facebook_live plugin: throttling, outages and input', () => {
  it('answers the per-user limit (code 17) as a rate limit', async () => {
    fake.state.userCallsPerHour = 0;
    await expect(harness().action('listPages', {})).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Facebook is rate limiting these calls: (#17) User request limit reached',
    });
  });

  it('answers the Page limit (80001) as a rate limit until the Business Use Case header’s regain time', async () => {
    fake.state.pageCallsPerDay = 0;
    const error = await harness()
      .action('createLiveVideo', { title: 'x', pageId: managedPage().id })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'provider_rate_limited', message: expect.stringContaining('too many calls to this Page account') });
    const wait = (error as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(wait % 60).toBe(0);
    expect(wait).toBeGreaterThanOrEqual(60);
    expect(wait).toBeLessThanOrEqual(24 * 3600);
  });

  it('treats codes 4 and 613 as rate limits whatever the HTTP status, 1 as an outage, and other Graph refusals as refusals', async () => {
    fake.state.queued.push(graphError(403, 4, '(#4) Application request limit reached'));
    await expect(harness().action('listPages', {})).rejects.toMatchObject({ code: 'provider_rate_limited' });
    fake.state.queued.push(graphError(400, 613, '(#613) Calls to this api have exceeded the rate limit.'));
    await expect(harness().action('createLiveVideo', { title: 'x' })).rejects.toMatchObject({ code: 'provider_rate_limited' });
    fake.state.queued.push(graphError(500, 1, 'An unknown error occurred'));
    const outage = await harness()
      .action('listPages', {})
      .catch((caught: unknown) => caught);
    expect((outage as { code?: string }).code).toBeUndefined();
    expect((outage as Error).message).toMatch(/^Facebook answered HTTP 500: An unknown error occurred \(fbtrace_id \S+\)$/);
    fake.state.queued.push(graphError(400, 368, 'The action attempted has been deemed abusive or is otherwise disallowed'));
    await expect(harness().action('createLiveVideo', { title: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('temporarily blocked this action under its policies: The action attempted has been deemed abusive'),
    });
    // What the declared mapping says for the host's proxy.
    expect(facebook.errors.classify({ error: { code: 17 } }, 400)).toBe('rate_limited');
    expect(facebook.errors.classify({ error: { code: 190 } }, 400)).toBe('rejected');
    expect(facebook.errors.classify({ error: { code: 2 } }, 500)).toBe('outage');
    expect(facebook.errors.classify({ id: '1' }, 200)).toBeUndefined();
  });

  it('refuses malformed input at the schema, before any call', () => {
    const ajv = createSchemaCompiler();
    const create = ajv.compile(facebook.actions.createLiveVideo.inputSchema);
    expect(create({ title: 'Launch' })).toBe(true);
    expect(create({ title: 'Launch', pageId: '1234', status: 'UNPUBLISHED', description: 'd' })).toBe(true);
    expect(create({})).toBe(false);
    expect(create({ title: '   ' })).toBe(false);
    expect(create({ title: 'x'.repeat(255) })).toBe(false);
    expect(create({ title: 'x', status: 'SCHEDULED_LIVE' })).toBe(false);
    expect(create({ title: 'x', pageId: 'me' })).toBe(false);
    expect(create({ title: 'x', privacy: 'EVERYONE' })).toBe(false);
    const end = ajv.compile(facebook.actions.endLiveVideo.inputSchema);
    expect(end({ liveVideoId: '1234' })).toBe(true);
    expect(end({ liveVideoId: '../me' })).toBe(false);
    expect(end({})).toBe(false);
    const settings = ajv.compile(facebook.settingsSchema);
    expect(settings({ pageId: '1234', endOnLivestreamEnded: false })).toBe(true);
    expect(settings({ pageId: 'acme' })).toBe(false);
    expect(settings({ pageAccessToken: 'EAAG' })).toBe(false);
  });
});
