import {
  ACCESS_TOKEN_SECONDS,
  LINKEDIN_SCOPES,
  linkedinError,
  REFRESH_TOKEN_SECONDS,
  startFakeLinkedIn,
  type FakeLinkedIn,
} from '../fixtures/providers/linkedin-live.js';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type Harness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const REDIRECT_URI = 'http://localhost:3000/v1/oauth/callback';
const CLIENT = { clientId: '78abcdefghij12', clientSecret: 'linkedin-client-secret-0123456789', redirectUris: [REDIRECT_URI] };
const UNAPPROVED = { clientId: '86unapproved001', clientSecret: 'unapproved-secret', redirectUris: [REDIRECT_URI] };
const PARTNER = { clientId: '77partnerrefresh', clientSecret: 'partner-secret', redirectUris: [REDIRECT_URI] };
const API = 'https://api.linkedin.com';
const NOT_APPROVED = 'LinkedIn has not approved live streaming for this app';
const MEMBER = LINKEDIN_SCOPES.member.join(' ');
const PAGE = LINKEDIN_SCOPES.page.join(' ');

let plugin: PluginDefinition;
let member: Json;
let page: Json;
let fake: FakeLinkedIn;
let memberToken: string;
let pageToken: string;

beforeAll(async () => {
  plugin = await loadBundledPlugin('linkedin-live');
  [member, page] = plugin.providers;
  fake = await startFakeLinkedIn();
  fake.state.registerApp(CLIENT);
  fake.state.registerApp(UNAPPROVED, { liveApproved: false });
  fake.state.registerApp(PARTNER, { refreshTokens: true, scopes: LINKEDIN_SCOPES.member });
  memberToken = fake.state.oauth.mintTokens(CLIENT.clientId, MEMBER, false).accessToken;
  pageToken = fake.state.oauth.mintTokens(CLIENT.clientId, PAGE, false).accessToken;
});
afterAll(() => fake.close());
afterEach(() => {
  fake.state.queued.length = 0;
  fake.state.appDailyLimit = 100;
  fake.state.memberDailyLiveEvents = 1000;
  fake.state.member.liveApproved = true;
});
beforeEach(() => {
  fake.state.memberDailyLiveEvents = 1000;
});

const personUrn = () => fake.state.personUrn();
const memberHarness = ({ token = memberToken, metadata, settings = {} }: { token?: string; metadata?: Json; settings?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'linkedin_live',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    settings,
    integration: { metadata: metadata ?? { sub: fake.state.member.sub, personUrn: personUrn() } },
    http: forwardTo(fake.origins),
  });
const pageHarness = ({ token = pageToken, metadata, settings = { organizationId: '20277203' } }: { token?: string; metadata?: Json; settings?: Json } = {}) =>
  createHarness(plugin, {
    provider: 'linkedin_live_page',
    credentials: { accessToken: token, tokenType: 'Bearer' },
    settings,
    integration: { metadata: metadata ?? { personUrn: personUrn(), organizationId: '20277203' } },
    http: forwardTo(fake.origins),
  });
const calls = (h: Harness) => h.requests.map((request) => `${request.method} ${request.url}`);
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
const event = (data: Json, id = 'evt_1'): PlugboardEvent => ({
  id,
  event: 'livestream.ended',
  timestamp: new Date().toISOString(),
  accountId: 'acct_test',
  livemode: false,
  data,
});
const memberKey = () => `(entity:(member:${encodeURIComponent(personUrn())}),featureType:LIVE_VIDEO)`;

describe('linkedin_live plugin: declaration and OAuth', () => {
  it('declares a profile provider and a Page provider whose live permissions never mix, on the /v2 Live Events API', () => {
    expect(plugin.providers.map((provider) => provider.id)).toEqual(['linkedin_live', 'linkedin_live_page']);
    for (const [provider, scopes] of [
      [member, ['openid', 'profile', 'r_member_live', 'w_member_live']],
      [page, ['r_organization_admin', 'r_organization_live', 'w_organization_live']],
    ] as const) {
      expect(provider).toMatchObject({
        category: 'live_streaming',
        baseUrl: API,
        auth: {
          type: 'oauth2',
          authorizationUrl: 'https://www.linkedin.com/oauth/v2/authorization',
          tokenUrl: 'https://www.linkedin.com/oauth/v2/accessToken',
          scopes,
          scopeSeparator: ' ',
          refresh: true,
        },
      });
      expect(provider.rateLimits).toEqual(
        expect.arrayContaining([
          { requests: 20, windowMs: 86_400_000, scope: 'account', accountKey: 'personUrn', match: ['POST /v2/liveVideos'] },
          { requests: 100, windowMs: 86_400_000, scope: 'app', match: ['POST /v2/liveAssetActions'] },
        ]),
      );
      expect(Object.keys(provider.onEvent)).toEqual(['livestream.ended']);
    }
    expect(member.auth.scopes.some((scope: string) => scope.includes('organization'))).toBe(false);
    expect(page.auth.scopes.some((scope: string) => scope.includes('member'))).toBe(false);
    expect(Object.keys(member.actions)).toEqual(['createLiveEvent', 'registerLiveStream', 'linkLiveStream', 'endLiveEvent']);
    expect(Object.keys(page.actions)).toEqual(['createLiveEvent', 'registerLiveStream', 'linkLiveStream', 'endLiveEvent', 'listOrganizations']);
  });

  it('the fake runs LinkedIn’s flow: 60-day tokens with comma-separated scope and an id_token, refresh tokens only for enabled partners, LinkedIn’s refusals', async () => {
    const authorizeUrl = (client: { clientId: string }, scope: string) => {
      const url = new URL(member.auth.authorizationUrl);
      for (const [key, value] of Object.entries({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope, state: 'st-li' }))
        url.searchParams.set(key, value);
      return url;
    };
    const token = (form: Record<string, string>) => postTokenRequest(member.auth.tokenUrl, fake.origins, form);
    const back = await followAuthorizationUrl(authorizeUrl(CLIENT, member.auth.scopes.join(' ')), fake.origins);
    expect(back.searchParams.get('state')).toBe('st-li');
    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    };
    expect(await token({ ...exchange, client_secret: 'wrong' })).toEqual({
      status: 401,
      body: { error: 'invalid_client', error_description: 'Client authentication failed' },
    });
    const granted = await token(exchange);
    expect(granted).toEqual({
      status: 200,
      body: {
        access_token: expect.any(String),
        expires_in: ACCESS_TOKEN_SECONDS,
        scope: 'openid,profile,r_member_live,w_member_live',
        token_type: 'Bearer',
        id_token: expect.any(String),
      },
    });
    expect((await memberHarness({ token: granted.body.access_token, metadata: {} }).verify()).displayName).toBe('Ada Lovelace');
    expect(await token(exchange)).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: expect.stringContaining('Unable to retrieve access token') },
    });

    // A partner LinkedIn enabled programmatic refresh for gets a year-long refresh token.
    const partnerBack = await followAuthorizationUrl(authorizeUrl(PARTNER, member.auth.scopes.join(' ')), fake.origins);
    const partner = await token({ ...exchange, code: partnerBack.searchParams.get('code')!, client_id: PARTNER.clientId, client_secret: PARTNER.clientSecret });
    expect(partner.body).toMatchObject({ refresh_token: expect.any(String), refresh_token_expires_in: REFRESH_TOKEN_SECONDS });
    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: partner.body.refresh_token,
      client_id: PARTNER.clientId,
      client_secret: PARTNER.clientSecret,
    });
    expect(refreshed.body).toMatchObject({ access_token: expect.any(String), refresh_token: partner.body.refresh_token });

    // Scopes outside the app's products come back as unauthorized_scope_error.
    const refused = await followAuthorizationUrl(authorizeUrl(PARTNER, page.auth.scopes.join(' ')), fake.origins);
    expect(Object.fromEntries(refused.searchParams)).toMatchObject({
      error: 'unauthorized_scope_error',
      error_description: 'Scope "r_organization_admin" is not authorized for your application',
    });
  });

  it('the fake holds the versioned API to LinkedIn-Version', async () => {
    const acls = `${fake.url}/rest/organizationAcls?q=roleAssignee`;
    const get = async (headers: Record<string, string>) => {
      const response = await fetch(acls, { headers: { authorization: `Bearer ${pageToken}`, ...headers } });
      return { status: response.status, body: await response.json() };
    };
    expect(await get({})).toEqual({ status: 400, body: { status: 400, code: 'VERSION_MISSING', message: expect.stringContaining('LinkedIn-Version header') } });
    expect(await get({ 'LinkedIn-Version': '202401' })).toEqual({
      status: 426,
      body: { status: 426, code: 'NONEXISTENT_VERSION', message: 'Requested version 202401 is not active' },
    });
    expect((await get({ 'LinkedIn-Version': '202609' })).status).toBe(200);
  });
});

describe('linkedin_live plugin: verify and health', () => {
  it('reads the member from userinfo and probes content access, with the Rest.li protocol header', async () => {
    const h = memberHarness({ metadata: {} });
    expect(await h.verify()).toEqual({
      displayName: 'Ada Lovelace',
      metadata: { sub: fake.state.member.sub, name: 'Ada Lovelace', personUrn: personUrn(), liveStreamingApproved: true, liveAccess: 'approved' },
    });
    expect(calls(h)).toEqual([`GET ${API}/v2/userinfo`, `GET ${API}/v2/contentAccess/${memberKey()}`]);
    expect(h.requests[1].headers).toMatchObject({ authorization: `Bearer ${memberToken}`, 'x-restli-protocol-version': '2.0.0' });
  });

  it('reports liveStreamingApproved: false instead of failing when LinkedIn refuses the probe for lack of approval (403), or the profile is not approved (404)', async () => {
    const unapproved = fake.state.oauth.mintTokens(UNAPPROVED.clientId, MEMBER, false).accessToken;
    const direct = await fetch(`${fake.url}/v2/contentAccess/${memberKey()}`, {
      headers: { authorization: `Bearer ${unapproved}`, 'x-restli-protocol-version': '2.0.0' },
    });
    expect({ status: direct.status, body: await direct.json() }).toEqual({
      status: 403,
      body: { status: 403, serviceErrorCode: 100, message: 'Not enough permissions to access: GET /contentAccess' },
    });
    expect(await memberHarness({ token: unapproved, metadata: {} }).verify()).toEqual({
      displayName: 'Ada Lovelace',
      metadata: expect.objectContaining({ liveStreamingApproved: false, liveAccess: 'app_not_approved' }),
    });
    fake.state.member.liveApproved = false;
    expect((await memberHarness({ metadata: {} }).verify()).metadata).toMatchObject({ liveStreamingApproved: false, liveAccess: 'profile_not_approved' });
  });

  it('refuses an expired or revoked token with what to do, and a token without openid profile with LinkedIn’s message', async () => {
    const stale = fake.state.oauth.mintTokens(CLIENT.clientId, MEMBER, false).accessToken;
    fake.state.oauth.expireAccessToken(stale);
    await expect(memberHarness({ token: stale }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'LinkedIn refused the access token (The token used in the request has expired): connect LinkedIn again.',
    });
    const revoked = fake.state.oauth.mintTokens(CLIENT.clientId, MEMBER, false).accessToken;
    fake.state.oauth.accessTokens.get(revoked)!.revoked = true;
    await expect(memberHarness({ token: revoked }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('revoked by the user'),
    });
    const liveOnly = fake.state.oauth.mintTokens(CLIENT.clientId, 'r_member_live w_member_live', false).accessToken;
    await expect(memberHarness({ token: liveOnly, metadata: {} }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Not enough permissions to access: GET /userinfo',
    });
  });

  it('checks health with userinfo only, and notices a token of another member', async () => {
    const h = memberHarness();
    await h.healthCheck();
    expect(calls(h)).toEqual([`GET ${API}/v2/userinfo`]);
    await expect(memberHarness({ metadata: { sub: 'someone-else' } }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('another LinkedIn member'),
    });
  });
});

describe('linkedin_live plugin: scheduling live events on the profile', () => {
  it('schedules the event, announces it, registers the stream when the start is near, and keeps the 19-digit id exact', async () => {
    const startAt = inMinutes(5);
    const h = memberHarness({ settings: { region: 'WEST_EUROPE' } });
    const result = await h.action<Json>('createLiveEvent', { title: 'Launch webinar', startAt, description: 'Join us live for the launch' });
    expect(calls(h)).toEqual([`POST ${API}/v2/liveVideos`, `POST ${API}/v2/ugcPosts`, `POST ${API}/v2/liveAssetActions?action=register`]);
    const video = fake.state.liveVideos.get(result.id)!;
    expect(video).toMatchObject({ author: personUrn(), name: 'Launch webinar', scheduledAt: Date.parse(startAt), state: 'PRE_LIVE' });
    expect(BigInt(result.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(h.requests[0].json()).toEqual({ author: { member: personUrn() }, scheduledAt: Date.parse(startAt), name: 'Launch webinar' });
    expect(h.requests[1].json()).toEqual({
      author: personUrn(),
      lifecycleState: 'PUBLISHED',
      specificContent: {
        'com.linkedin.ugc.ShareContent': {
          media: [{ media: `urn:li:liveVideo:${result.id}`, status: 'READY' }],
          shareCommentary: { attributes: [], text: 'Join us live for the launch' },
          shareMediaCategory: 'URN_REFERENCE',
        },
      },
      visibility: { 'com.linkedin.ugc.MemberNetworkVisibility': 'PUBLIC' },
      distribution: { feedDistribution: 'MAIN_FEED', externalDistributionChannels: [], distributedViaFollowFeed: true },
    });
    expect(h.requests[2].json()).toEqual({
      registerLiveEventRequest: { owner: personUrn(), recipes: ['urn:li:digitalmediaRecipe:feedshare-live-video'], region: 'WEST_EUROPE' },
    });
    for (const request of h.requests) expect(request.headers['x-restli-protocol-version']).toBe('2.0.0');
    const asset = [...fake.state.assets.values()].at(-1)!;
    expect(result).toEqual({
      id: video.id,
      liveVideoUrn: `urn:li:liveVideo:${video.id}`,
      organizationId: null,
      postUrn: video.ugcPost,
      postUrl: `https://www.linkedin.com/feed/update/${video.ugcPost}`,
      state: 'PRE_LIVE',
      scheduledAt: new Date(Date.parse(startAt)).toISOString(),
      goLiveFrom: new Date(Date.parse(startAt) - 15 * 60_000).toISOString(),
      goLiveUntil: new Date(Date.parse(startAt) + 2 * 3_600_000).toISOString(),
      asset: `urn:li:digitalmediaAsset:${asset.id}`,
      ingestUrl: `rtmps://live-ingest.linkedin.com:443/live/${asset.streamKey}`,
      ingestUrls: [
        { url: `rtmp://live-ingest.linkedin.com:1935/live/${asset.streamKey}`, protocol: 'RTMP' },
        { url: `rtmp://live-ingest.linkedin.com:1936/live/${asset.streamKey}`, protocol: 'RTMP' },
        { url: `rtmps://live-ingest.linkedin.com:443/live/${asset.streamKey}`, protocol: 'RTMPS' },
        { url: `rtmps://live-ingest.linkedin.com:2936/live/${asset.streamKey}`, protocol: 'RTMPS' },
      ],
      previewUrls: [`https://live-preview.linkedin.com/preview/${asset.streamKey}.m3u8`],
    });
    expect(asset).toMatchObject({ owner: personUrn(), region: 'WEST_EUROPE', status: 'PROCESSING' });
    // The ingest URLs carry the stream key: returned, never logged.
    expect(JSON.stringify(h.logs)).not.toContain(asset.streamKey);
  });

  it('leaves the stream for later when the start is further than 15 minutes away, and schedules a past start a minute ahead', async () => {
    const later = memberHarness();
    const tomorrow = await later.action<Json>('createLiveEvent', { title: 'Tomorrow', startAt: inMinutes(24 * 60) });
    expect(calls(later)).toEqual([`POST ${API}/v2/liveVideos`, `POST ${API}/v2/ugcPosts`]);
    expect(tomorrow).toMatchObject({ asset: null, ingestUrl: null, ingestUrls: [], previewUrls: [] });
    expect(later.requests[1].json()).toMatchObject({ specificContent: { 'com.linkedin.ugc.ShareContent': { shareCommentary: { text: 'Tomorrow' } } } });

    const before = Date.now();
    const now = memberHarness();
    const result = await now.action<Json>('createLiveEvent', { title: 'Now', startAt: inMinutes(-30) });
    const scheduledAt = (now.requests[0].json() as Json).scheduledAt;
    expect(scheduledAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(scheduledAt).toBeLessThan(Date.now() + 61_000);
    expect(result.ingestUrl).toMatch(/^rtmps:\/\//);
  });

  it('finds the person URN through userinfo when the connection has not kept it', async () => {
    const h = memberHarness({ metadata: {} });
    await h.action('createLiveEvent', { title: 'x', startAt: inMinutes(600) });
    expect(calls(h)).toEqual([`GET ${API}/v2/userinfo`, `POST ${API}/v2/liveVideos`, `POST ${API}/v2/ugcPosts`]);
  });

  it('says exactly that LinkedIn has not approved live streaming when the Live Events API refuses the app, or the member’s grant lacks live', async () => {
    const unapproved = fake.state.oauth.mintTokens(UNAPPROVED.clientId, MEMBER, false).accessToken;
    const h = memberHarness({ token: unapproved });
    await expect(h.action('createLiveEvent', { title: 'x', startAt: inMinutes(5) })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: NOT_APPROVED,
    });
    expect(calls(h)).toEqual([`POST ${API}/v2/liveVideos`]);
    const answered = fake.state.requests.filter((request) => request.path === '/v2/liveVideos').at(-1)!;
    expect(answered.headers.authorization).toBe(`Bearer ${unapproved}`);
    await expect(memberHarness({ token: unapproved }).action('registerLiveStream', {})).rejects.toMatchObject({
      code: 'provider_rejected',
      message: NOT_APPROVED,
    });
    const readOnly = fake.state.oauth.mintTokens(CLIENT.clientId, 'openid profile r_member_live', false).accessToken;
    await expect(memberHarness({ token: readOnly }).action('createLiveEvent', { title: 'x', startAt: inMinutes(5) })).rejects.toMatchObject({
      message: NOT_APPROVED,
    });
  });

  it('sends Page streams to the Page provider, and passes LinkedIn’s validation refusals on', async () => {
    const h = memberHarness();
    await expect(h.action('createLiveEvent', { title: 'x', startAt: inMinutes(5), organizationId: '20277203' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('connect "LinkedIn Live (Company Page)"'),
    });
    expect(h.requests).toEqual([]);
    fake.state.queued.push(linkedinError(422, 'ERROR :: /name :: length of "x" exceeds the maximum of 75\n'));
    await expect(memberHarness().action('createLiveEvent', { title: 'x', startAt: inMinutes(5) })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'ERROR :: /name :: length of "x" exceeds the maximum of 75',
    });
  });
});

describe('linkedin_live plugin: stream, link, end', () => {
  it('registers a stream later, refuses to link it before LinkedIn receives it, links it once AVAILABLE, and ends it by the live event id', async () => {
    const created = await memberHarness().action<Json>('createLiveEvent', { title: 'Later', startAt: inMinutes(120) });
    const registered = await memberHarness().action<Json>('registerLiveStream', { region: 'NORTH_EUROPE' });
    expect(registered).toMatchObject({ asset: expect.stringMatching(/^urn:li:digitalmediaAsset:/), ingestUrl: expect.stringMatching(/^rtmps:\/\//) });
    expect(fake.state.assets.get(registered.asset.split(':').pop())!.region).toBe('NORTH_EUROPE');

    const early = memberHarness();
    await expect(early.action('linkLiveStream', { liveVideoId: created.id, asset: registered.asset })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('the live asset is PROCESSING'),
    });
    expect(calls(early)).toEqual([`GET ${API}/v2/assets/${registered.asset.split(':').pop()}`]);

    fake.state.startIngest(registered.asset);
    const link = memberHarness();
    expect(await link.action('linkLiveStream', { liveVideoId: created.id, asset: registered.asset })).toEqual({
      id: created.id,
      asset: registered.asset,
      linked: true,
    });
    expect(calls(link)[1]).toBe(`POST ${API}/v2/liveVideos/${created.id}`);
    expect(link.requests[1].json()).toEqual({ patch: { $set: { liveVideoAsset: { media: registered.asset } } } });
    expect(fake.state.liveVideos.get(created.id)).toMatchObject({ state: 'LIVE', liveVideoAsset: registered.asset });

    const end = memberHarness();
    expect(await end.action('endLiveEvent', { liveVideoId: created.id })).toEqual({ asset: registered.asset, liveVideoId: created.id, ended: true });
    expect(calls(end)).toEqual([`GET ${API}/v2/liveVideos/${created.id}`, `POST ${API}/v2/liveAssetActions?action=end`]);
    expect(end.requests[1].json()).toEqual({ asset: registered.asset });
    expect(fake.state.liveVideos.get(created.id)!.state).toBe('ENDED');
  });

  it('refuses to end a live event with nothing linked, and an unknown asset with LinkedIn’s 404', async () => {
    const created = await memberHarness().action<Json>('createLiveEvent', { title: 'Unlinked', startAt: inMinutes(300) });
    await expect(memberHarness().action('endLiveEvent', { liveVideoId: created.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('has no live stream linked'),
    });
    await expect(memberHarness().action('endLiveEvent', { asset: 'urn:li:digitalmediaAsset:C5nothere' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Not Found: assets/urn:li:digitalmediaAsset:C5nothere',
    });
  });

  it('ends the LinkedIn streams among livestream.ended’s destinations, logs refusals, and can be turned off', async () => {
    const registered = await memberHarness().action<Json>('registerLiveStream', {});
    const h = memberHarness();
    await member.onEvent['livestream.ended'](
      h.context(),
      event({
        sessionId: 'sess_9',
        destinations: [
          { provider: 'linkedin_live', id: registered.asset },
          { provider: 'linkedin_live_page', id: 'urn:li:digitalmediaAsset:C5other' },
          { provider: 'linkedin_live', id: 'not an id' },
          { provider: 'linkedin_live', id: 'urn:li:digitalmediaAsset:C5gone' },
        ],
      }),
    );
    expect(calls(h)).toEqual([`POST ${API}/v2/liveAssetActions?action=end`, `POST ${API}/v2/liveAssetActions?action=end`]);
    expect(fake.state.assets.get(registered.asset.split(':').pop())!.status).toBe('INCOMPLETE');
    expect(h.logs).toEqual([
      { level: 'info', message: 'LinkedIn live event ended', fields: { eventId: 'evt_1', id: registered.asset, asset: registered.asset, kind: 'member' } },
      {
        level: 'warn',
        message: 'LinkedIn did not end the live event',
        fields: { eventId: 'evt_1', id: 'urn:li:digitalmediaAsset:C5gone', error: expect.stringContaining('Not Found') },
      },
    ]);
    const off = memberHarness({ settings: { endOnLivestreamEnded: false } });
    await member.onEvent['livestream.ended'](off.context(), event({ sessionId: 's', destinations: [{ provider: 'linkedin_live', id: registered.asset }] }));
    expect(off.requests).toEqual([]);
  });
});

describe('linkedin_live_page plugin: streaming as a Company Page', () => {
  it('verifies through Organization Access Control with LinkedIn-Version, names the Page and probes its content access', async () => {
    const h = pageHarness({ metadata: {}, settings: {} });
    expect(await h.verify()).toEqual({
      displayName: 'Acme Corp',
      metadata: {
        personUrn: personUrn(),
        organizationId: '20277203',
        organizationName: 'Acme Corp',
        administeredOrganizationIds: ['20277203', '31888304'],
        liveStreamingApproved: true,
        liveAccess: 'approved',
      },
    });
    const company = `(entity:(company:${encodeURIComponent('urn:li:organization:20277203')}),admin:(member:${encodeURIComponent(personUrn())}),featureType:LIVE_VIDEO)`;
    expect(calls(h)).toEqual([
      `GET ${API}/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=0&count=100`,
      `GET ${API}/rest/organizations?ids=List(20277203)`,
      `GET ${API}/v2/contentAccess/${company}`,
    ]);
    expect(h.requests[0].headers).toMatchObject({ 'linkedin-version': '202609', 'x-restli-protocol-version': '2.0.0' });
    expect(h.requests[2].headers['linkedin-version']).toBeUndefined();

    const labs = await pageHarness({ metadata: {}, settings: { organizationId: '31888304' } }).verify();
    expect(labs).toMatchObject({
      displayName: 'Acme Labs',
      metadata: { organizationId: '31888304', liveStreamingApproved: false, liveAccess: 'page_not_approved' },
    });
    const unapproved = fake.state.oauth.mintTokens(UNAPPROVED.clientId, PAGE, false).accessToken;
    expect((await pageHarness({ token: unapproved, metadata: {}, settings: {} }).verify()).metadata).toMatchObject({
      liveStreamingApproved: false,
      liveAccess: 'app_not_approved',
    });
    await expect(pageHarness({ metadata: {}, settings: { organizationId: '42999405' } }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('not an administrator of the LinkedIn Page 42999405'),
    });
  });

  it('lists the Pages the member administers, with their names in one batch get', async () => {
    const h = pageHarness();
    expect(await h.action('listOrganizations', {})).toEqual({
      organizations: [
        { id: '20277203', urn: 'urn:li:organization:20277203', name: 'Acme Corp', vanityName: 'acme' },
        { id: '31888304', urn: 'urn:li:organization:31888304', name: 'Acme Labs', vanityName: 'acme-labs' },
      ],
    });
    expect(calls(h)[1]).toBe(`GET ${API}/rest/organizations?ids=List(20277203,31888304)`);
  });

  it('schedules as the Page after checking the member administers it, and refuses Pages it cannot stream as', async () => {
    const h = pageHarness();
    const result = await h.action<Json>('createLiveEvent', { title: 'Acme live', startAt: inMinutes(10) });
    expect(calls(h).map((call) => call.split('?')[0])).toEqual([
      `GET ${API}/rest/organizationAcls`,
      `POST ${API}/v2/liveVideos`,
      `POST ${API}/v2/ugcPosts`,
      `POST ${API}/v2/liveAssetActions`,
    ]);
    expect(h.requests[1].json()).toMatchObject({ author: { organization: 'urn:li:organization:20277203' } });
    expect(h.requests[2].json()).toMatchObject({ author: 'urn:li:organization:20277203' });
    expect(h.requests[3].json()).toMatchObject({ registerLiveEventRequest: { owner: 'urn:li:organization:20277203', region: 'WEST_US' } });
    expect(result).toMatchObject({ organizationId: '20277203', ingestUrl: expect.stringMatching(/^rtmps:\/\//) });
    expect(fake.state.liveVideos.get(result.id)!.author).toBe('urn:li:organization:20277203');

    await expect(pageHarness().action('createLiveEvent', { title: 'x', startAt: inMinutes(10), organizationId: '42999405' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('not an administrator of the LinkedIn Page 42999405'),
    });
    await expect(pageHarness({ settings: {} }).action('createLiveEvent', { title: 'x', startAt: inMinutes(10) })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Choose the LinkedIn Page'),
    });
    await expect(pageHarness().action('createLiveEvent', { title: 'x', startAt: inMinutes(10), organizationId: '31888304' })).rejects.toMatchObject({
      message: NOT_APPROVED,
    });
  });
});

describe('linkedin_live plugin: limits, outages and input', () => {
  it('answers the app’s daily limit per API (429) as a rate limit until midnight UTC', async () => {
    fake.state.appDailyLimit = 0;
    const error = await memberHarness()
      .action('createLiveEvent', { title: 'x', startAt: inMinutes(5) })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'provider_rate_limited',
      message:
        "LinkedIn's daily limit for this call is reached (it resets at midnight UTC): Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
    });
    const untilMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    expect(Math.abs((error as { retryAfterSeconds: number }).retryAfterSeconds - untilMidnight)).toBeLessThanOrEqual(2);
  });

  it('answers the member’s 10 live events a day as a rate limit too', async () => {
    fake.state.memberDailyLiveEvents = 0;
    await expect(memberHarness().action('createLiveEvent', { title: 'x', startAt: inMinutes(5) })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining('MEMBER DAY limit'),
    });
  });

  it('answers a 5xx as an outage, not a refusal', async () => {
    fake.state.queued.push(linkedinError(503, 'Service Unavailable'));
    const error = await memberHarness()
      .action('registerLiveStream', {})
      .catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBeUndefined();
    expect((error as Error).message).toBe('LinkedIn answered HTTP 503: Service Unavailable');
  });

  it('refuses malformed input at the schema, before any call', () => {
    const ajv = createSchemaCompiler();
    const create = ajv.compile(member.actions.createLiveEvent.inputSchema);
    expect(create({ title: 'Launch', startAt: '2030-01-01T10:00:00Z' })).toBe(true);
    expect(create({ title: 'Launch', startAt: '2030-01-01T10:00:00Z', region: 'WEST_EUROPE', description: 'd' })).toBe(true);
    expect(create({ title: 'Launch', startAt: 'tomorrow' })).toBe(false);
    expect(create({ title: 'x'.repeat(76), startAt: '2030-01-01T10:00:00Z' })).toBe(false);
    expect(create({ title: ' ', startAt: '2030-01-01T10:00:00Z' })).toBe(false);
    expect(create({ title: 'x', startAt: '2030-01-01T10:00:00Z', region: 'MARS' })).toBe(false);
    expect(create({ title: 'x', startAt: '2030-01-01T10:00:00Z', organizationId: 'acme' })).toBe(false);
    expect(create({ startAt: '2030-01-01T10:00:00Z' })).toBe(false);
    const end = ajv.compile(page.actions.endLiveEvent.inputSchema);
    expect(end({ asset: 'urn:li:digitalmediaAsset:C5abc' })).toBe(true);
    expect(end({ liveVideoId: '7298765432109876543' })).toBe(true);
    expect(end({})).toBe(false);
    expect(end({ asset: 'urn:li:ugcPost:1' })).toBe(false);
    const link = ajv.compile(page.actions.linkLiveStream.inputSchema);
    expect(link({ liveVideoId: '1', asset: 'urn:li:digitalmediaAsset:C5abc' })).toBe(true);
    expect(link({ liveVideoId: '1' })).toBe(false);
    const settings = ajv.compile(page.settingsSchema);
    expect(settings({ organizationId: '20277203', region: 'CENTRAL_US', endOnLivestreamEnded: false })).toBe(true);
    expect(settings({ organizationId: 'urn:li:organization:1' })).toBe(false);
    expect(ajv.compile(member.settingsSchema)({ organizationId: '1' })).toBe(false);
  });
});
