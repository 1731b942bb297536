import { jest } from '@jest/globals';
import { followAuthorizationUrl, postTokenRequest } from '../fixtures/providers/oauth2-authorization-server.js';
import { SLACK_SCOPES, slackSignature, startFakeSlack, type FakeSlack, type SlackApp, type SlackChannel } from '../fixtures/providers/slack.js';
import { toOAuthCredentials } from '../../src/modules/integrations/oauth/token-refresher.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PlugboardEvent, PluginDefinition } from '../../src/sdk/index.js';
import { readTokenMetadata } from '../../src/sdk/provider-auth.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let slack: Json;
let fake: FakeSlack;
let app: SlackApp;
let token: string;
let general: SlackChannel;
let alerts: SlackChannel;
let secret: SlackChannel;
let hidden: SlackChannel;

beforeAll(async () => {
  plugin = await loadBundledPlugin('slack');
  slack = plugin.providers[0];
  fake = await startFakeSlack();
  app = fake.state.registerApp();
  token = fake.state.mintToken(app.clientId).accessToken;
  general = fake.state.addChannel('general', { is_member: true });
  alerts = fake.state.addChannel('alerts');
  secret = fake.state.addChannel('leadership', { is_private: true, is_member: true });
  hidden = fake.state.addChannel('hr-private', { is_private: true });
  fake.state.addChannel('old-launch', { is_archived: true });
});
afterAll(() => fake.close());

const METADATA = { teamId: 'T0ACME7EVT', teamName: 'Acme Events', botUserId: 'U0PLUGBOT1' };

/** Credentials as the host stores them after the OAuth callback: Slack's token_type is "bot". */
const harness = (options: { accessToken?: string; settings?: Record<string, unknown>; metadata?: Record<string, unknown>; signingSecret?: string } = {}) =>
  createHarness(plugin, {
    provider: 'slack',
    credentials: {
      accessToken: options.accessToken ?? token,
      tokenType: 'bot',
      scope: SLACK_SCOPES.join(','),
      ...(options.signingSecret ? { app: { signingSecret: options.signingSecret } } : {}),
    },
    settings: options.settings ?? {},
    integration: { metadata: options.metadata ?? METADATA },
    http: forwardTo(fake.origins),
  });

const paths = (requests: Array<{ method: string; url: string }>) => requests.map((request) => `${request.method} ${new URL(request.url).pathname}`);
const event = (type: string, data: Json, id = `evt_${Math.random().toString(36).slice(2)}`): PlugboardEvent => ({
  id,
  event: type,
  timestamp: '2026-03-02T15:00:00Z',
  accountId: 'acct_test',
  livemode: false,
  data,
});

describe('slack plugin: declaration and OAuth', () => {
  it('declares Slack OAuth v2 with comma-separated bot scopes, token metadata and per-method rate limits', () => {
    expect(slack).toMatchObject({
      id: 'slack',
      category: 'communication',
      baseUrl: 'https://slack.com/api',
      auth: {
        type: 'oauth2',
        authorizationUrl: 'https://slack.com/oauth/v2/authorize',
        tokenUrl: 'https://slack.com/api/oauth.v2.access',
        scopes: ['chat:write', 'chat:write.public', 'channels:read', 'groups:read'],
        scopeSeparator: ',',
        refresh: true,
      },
    });
    expect(slack.rateLimits).toEqual([
      { requests: 1, windowMs: 1000, scope: 'account', accountKey: 'teamId', match: ['POST /chat.postMessage'] },
      { requests: 20, windowMs: 60_000, scope: 'account', accountKey: 'teamId', match: ['GET /conversations.list', 'POST /conversations.list'] },
    ]);
    expect(slack.auth.appSecrets).toEqual(['signingSecret']);
    expect(slack.settingsSchema.properties.signingSecret).toBeUndefined();
  });

  const authorize = (clientId: string) => {
    const query = new URLSearchParams({
      client_id: clientId,
      scope: slack.auth.scopes.join(slack.auth.scopeSeparator),
      redirect_uri: 'https://plugboard.example.com/v1/oauth/callback',
      state: 'st_1',
    });
    return followAuthorizationUrl(`${slack.auth.authorizationUrl}?${query.toString()}`, fake.origins);
  };
  const exchange = (form: Record<string, string>) => postTokenRequest(slack.auth.tokenUrl, fake.origins, form);

  it('installs: the code’s token response names the team and bot, which tokenMetadata keeps', async () => {
    const back = await authorize(app.clientId);
    expect(back.searchParams.get('state')).toBe('st_1');
    const granted = await exchange({
      code: back.searchParams.get('code')!,
      client_id: app.clientId,
      client_secret: app.clientSecret,
      redirect_uri: 'https://plugboard.example.com/v1/oauth/callback',
    });
    expect(granted).toMatchObject({
      status: 200,
      body: { ok: true, token_type: 'bot', access_token: expect.stringMatching(/^xoxb-/), scope: 'chat:write,chat:write.public,channels:read,groups:read' },
    });
    expect(granted.body.refresh_token).toBeUndefined();
    expect(readTokenMetadata(slack.auth.tokenMetadata, granted.body)).toEqual(METADATA);
    // Without token rotation the host keeps a token that never expires.
    expect(toOAuthCredentials(granted.body)).toMatchObject({ accessToken: granted.body.access_token, tokenType: 'bot' });
    expect(toOAuthCredentials(granted.body).expiresAt).toBeUndefined();

    // Slack's refusals are HTTP 200 with ok:false: a used code, a wrong secret. No team: the host refuses the connection.
    const replay = await exchange({ code: back.searchParams.get('code')!, client_id: app.clientId, client_secret: app.clientSecret });
    expect(replay).toEqual({ status: 200, body: { ok: false, error: 'invalid_code' } });
    expect(() => readTokenMetadata(slack.auth.tokenMetadata, replay.body)).toThrow(expect.objectContaining({ code: 'provider_rejected' }));
    const wrongSecret = await exchange({ code: 'x', client_id: app.clientId, client_secret: 'nope' });
    expect(wrongSecret.body).toEqual({ ok: false, error: 'bad_client_secret' });
  });

  it('with token rotation: 12-hour tokens, refreshed through oauth.v2.access with a single-use refresh token', async () => {
    const rotating = fake.state.registerApp({ tokenRotation: true });
    const back = await authorize(rotating.clientId);
    const granted = await exchange({ code: back.searchParams.get('code')!, client_id: rotating.clientId, client_secret: rotating.clientSecret });
    expect(granted.body).toMatchObject({
      ok: true,
      access_token: expect.stringMatching(/^xoxe\.xoxb-1-/),
      refresh_token: expect.stringMatching(/^xoxe-1-/),
      expires_in: 43_200,
    });
    const credentials = toOAuthCredentials(granted.body);
    expect(Date.parse(credentials.expiresAt!) - Date.now()).toBeGreaterThan(43_000_000);
    expect(credentials.refreshToken).toBe(granted.body.refresh_token);

    // What the host's refresher sends: grant_type=refresh_token with the client's id and secret.
    const refreshed = await exchange({
      grant_type: 'refresh_token',
      refresh_token: credentials.refreshToken!,
      client_id: rotating.clientId,
      client_secret: rotating.clientSecret,
    });
    expect(refreshed.body).toMatchObject({
      ok: true,
      access_token: expect.stringMatching(/^xoxe\.xoxb-1-/),
      refresh_token: expect.stringMatching(/^xoxe-1-/),
      team: { id: METADATA.teamId },
    });
    expect(refreshed.body.refresh_token).not.toBe(credentials.refreshToken);
    const next = toOAuthCredentials(refreshed.body, credentials.refreshToken);
    expect(next.refreshToken).toBe(refreshed.body.refresh_token);
    expect(readTokenMetadata(slack.auth.tokenMetadata, refreshed.body)).toEqual(METADATA);
    // The new token works; the spent refresh token does not (HTTP 200, ok:false).
    expect(await harness({ accessToken: next.accessToken }).verify()).toMatchObject({ metadata: { teamId: METADATA.teamId } });
    const again = await exchange({
      grant_type: 'refresh_token',
      refresh_token: credentials.refreshToken!,
      client_id: rotating.clientId,
      client_secret: rotating.clientSecret,
    });
    expect(again).toEqual({ status: 200, body: { ok: false, error: 'invalid_refresh_token' } });

    // A token past its 12 hours is refused with token_expired: only a new install helps then.
    fake.state.tokens.get(next.accessToken)!.expiresAt = Date.now() - 1;
    await expect(harness({ accessToken: next.accessToken }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('(token_expired): connect Slack again'),
    });
  });
});

describe('slack plugin: verify and healthCheck', () => {
  it('names the workspace and bot with auth.test, sending the token as Bearer although Slack calls it a bot token', async () => {
    const h = harness();
    expect(await h.verify()).toEqual({
      displayName: 'Acme Events (@plugboard)',
      metadata: {
        teamId: 'T0ACME7EVT',
        teamName: 'Acme Events',
        teamUrl: 'https://acme-events.slack.com/',
        botUserId: 'U0PLUGBOT1',
        botId: 'B0PLUGBOT1',
        botName: 'plugboard',
        enterpriseId: null,
        scopes: SLACK_SCOPES,
        canPostToPublicChannels: true,
        canListPrivateChannels: true,
      },
    });
    expect(paths(h.requests)).toEqual(['GET /api/auth.test']);
    expect(h.requests[0].headers.authorization).toBe(`Bearer ${token}`);
  });

  it('refuses an install without chat:write, and revoked or unknown tokens with "connect again"', async () => {
    const readOnly = fake.state.mintToken(app.clientId, ['channels:read']).accessToken;
    await expect(harness({ accessToken: readOnly }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'This Slack installation was not granted chat:write (granted: channels:read): connect Slack again and approve it.',
    });
    const revoked = fake.state.mintToken(app.clientId).accessToken;
    fake.state.tokens.get(revoked)!.revoked = true;
    await expect(harness({ accessToken: revoked }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      reconnect: true,
      message: expect.stringContaining('(token_revoked'),
    });
    await expect(harness({ accessToken: 'xoxb-0-0-unknown' }).healthCheck()).rejects.toMatchObject({
      message: 'Slack does not accept this connection’s token (invalid_auth): connect Slack again.',
    });
    await expect(harness({ accessToken: '' }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('no access token'),
    });
  });
});

describe('slack plugin: postMessage', () => {
  it('posts JSON to chat.postMessage and answers the channel and ts', async () => {
    const h = harness();
    const result = await h.action<Json>('postMessage', { channel: general.id, text: 'Doors open at *5pm*' });
    const posted = fake.state.messages.at(-1)!;
    expect(result).toEqual({ channel: general.id, ts: posted.ts, threadTs: null });
    expect(paths(h.requests)).toEqual(['POST /api/chat.postMessage']);
    expect(h.requests[0].headers).toMatchObject({ authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' });
    expect(h.requests[0].json()).toEqual({ channel: general.id, text: 'Doors open at *5pm*' });
  });

  it('posts blocks in a thread, to a channel named #name it has not joined (chat:write.public)', async () => {
    const parent = await harness().action<Json>('postMessage', { channel: '#alerts', text: 'Thread start' });
    expect(parent.channel).toBe(alerts.id);
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Launch webinar* starts soon' } }, { type: 'divider' }];
    const reply = await harness().action<Json>('postMessage', {
      channel: alerts.id,
      text: 'Launch webinar starts soon',
      blocks,
      threadTs: parent.ts,
      unfurlLinks: false,
    });
    expect(reply).toEqual({ channel: alerts.id, ts: fake.state.messages.at(-1)!.ts, threadTs: parent.ts });
    expect(fake.state.messages.at(-1)!.body).toEqual({
      channel: alerts.id,
      text: 'Launch webinar starts soon',
      blocks,
      thread_ts: parent.ts,
      unfurl_links: false,
    });
  });

  it('turns Slack’s HTTP 200 ok:false refusals into readable ones', async () => {
    const post = (input: Json, accessToken?: string) => harness({ accessToken }).action('postMessage', input);
    await expect(post({ channel: hidden.id, text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      slackError: 'channel_not_found',
      message: expect.stringContaining('invite the app to private channels'),
    });
    await expect(post({ channel: '#nowhere', text: 'x' })).rejects.toMatchObject({ slackError: 'channel_not_found' });
    const noPublic = fake.state.mintToken(app.clientId, ['chat:write', 'channels:read']).accessToken;
    await expect(post({ channel: alerts.id, text: 'x' }, noPublic)).rejects.toMatchObject({
      slackError: 'not_in_channel',
      message:
        'The Slack app is not in that channel (not_in_channel): invite it with /invite, or reconnect granting chat:write.public to post in public channels without joining.',
    });
    await expect(post({ channel: '#old-launch', text: 'x' })).rejects.toMatchObject({ slackError: 'is_archived' });
    await expect(post({ channel: general.id, blocks: [{ type: 'carousel' }] })).rejects.toMatchObject({
      message: 'Slack refused the blocks (invalid_blocks): [ERROR] unsupported type: carousel [json-pointer:/blocks/0/type]. Check them in Block Kit Builder.',
    });
    const noChatWrite = fake.state.mintToken(app.clientId, ['channels:read']).accessToken;
    await expect(post({ channel: general.id, text: 'x' }, noChatWrite)).rejects.toMatchObject({
      message: 'The Slack app was not granted the chat:write scope (missing_scope; granted: channels:read): connect Slack again and approve it.',
    });
  });

  it('answers Slack’s 429 as a rate limit with its Retry-After; the fake enforces one message a second per channel', async () => {
    fake.state.tooManyRequests = 1;
    const limited: Json = await harness()
      .action<Json>('postMessage', { channel: general.id, text: 'x' })
      .catch((error: unknown) => error as Json);
    expect(limited).toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 3 });

    fake.state.enforceChannelRate = true;
    try {
      await harness().action('postMessage', { channel: secret.id, text: 'first' });
      await expect(harness().action('postMessage', { channel: secret.id, text: 'second' })).rejects.toMatchObject({
        code: 'provider_rate_limited',
        retryAfterSeconds: 1,
      });
      // Another channel is not held back.
      const quiet = fake.state.addChannel('quiet', { is_member: true });
      await expect(harness().action('postMessage', { channel: quiet.id, text: 'elsewhere' })).resolves.toMatchObject({ channel: quiet.id });
      fake.state.channels.splice(fake.state.channels.indexOf(quiet), 1);
    } finally {
      fake.state.enforceChannelRate = false;
    }
  });

  it('has strict inputs', () => {
    const ajv = createSchemaCompiler();
    const input = ajv.compile(slack.actions.postMessage.inputSchema);
    expect(input({ channel: 'C0123ABCDE', text: 'hi' })).toBe(true);
    expect(input({ channel: '#alerts', blocks: [{ type: 'divider' }] })).toBe(true);
    expect(input({ channel: 'C0123ABCDE' })).toBe(false);
    expect(input({ channel: 'alerts', text: 'hi' })).toBe(false);
    expect(input({ channel: '#Alerts', text: 'hi' })).toBe(false);
    expect(input({ channel: 'C0123ABCDE', text: 'x'.repeat(40_001) })).toBe(false);
    expect(input({ channel: 'C0123ABCDE', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toBe(false);
    expect(input({ channel: 'C0123ABCDE', text: 'hi', threadTs: 'yesterday' })).toBe(false);
    expect(input({ channel: 'C0123ABCDE', text: 'hi', asUser: true })).toBe(false);
    const list = ajv.compile(slack.actions.listChannels.inputSchema);
    expect(list({ types: ['private_channel'], limit: 1000 })).toBe(true);
    expect(list({ types: ['im'] })).toBe(false);
    expect(list({ limit: 1001 })).toBe(false);
    const settings = ajv.compile(slack.settingsSchema);
    expect(settings({ notifications: { 'integration.expired': { channel: '#alerts' } } })).toBe(true);
    expect(settings({ notifications: { 'order.created': { channel: '#sales' } } })).toBe(false);
    expect(settings({ notifications: { 'payment.completed': { template: 'x' } } })).toBe(false);
  });
});

describe('slack plugin: listChannels and sync', () => {
  it('lists one page with conversations.list and hands back Slack’s next_cursor', async () => {
    const h = harness();
    const first = await h.action<Json>('listChannels', { limit: 2 });
    expect(first.channels.map((channel: Json) => channel.name)).toEqual(['general', 'alerts']);
    expect(first.channels[0]).toEqual({
      id: general.id,
      name: 'general',
      isPrivate: false,
      isArchived: false,
      isMember: true,
      numMembers: 3,
      topic: null,
      purpose: 'The general channel',
    });
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(Object.fromEntries(new URL(h.requests[0].url).searchParams)).toEqual({
      types: 'public_channel,private_channel',
      exclude_archived: 'true',
      limit: '2',
    });
    const second = await h.action<Json>('listChannels', { limit: 2, cursor: first.nextCursor });
    // The private channel the app is not in stays invisible; the archived one is left out.
    expect(second).toEqual({ channels: [expect.objectContaining({ id: secret.id, isPrivate: true })], nextCursor: null });
    expect(new URL(h.requests[1].url).searchParams.get('cursor')).toBe(first.nextCursor);
  });

  it('follows the cursor to the end with all, and names the scope a private listing lacks', async () => {
    const h = harness();
    const everything = await h.action<Json>('listChannels', { all: true, limit: 1, excludeArchived: false });
    expect(everything.channels.map((channel: Json) => channel.name)).toEqual(['general', 'alerts', 'leadership', 'old-launch']);
    expect(h.requests).toHaveLength(4);
    const publicOnly = fake.state.mintToken(app.clientId, ['chat:write', 'channels:read']).accessToken;
    await expect(harness({ accessToken: publicOnly }).action('listChannels', {})).rejects.toMatchObject({
      message: 'The Slack app was not granted the groups:read scope (missing_scope; granted: chat:write,channels:read): connect Slack again and approve it.',
    });
    await expect(h.action('listChannels', { cursor: 'garbage' })).rejects.toMatchObject({ slackError: 'invalid_cursor' });
  });

  it('syncs the channels', async () => {
    const result = await harness().sync();
    expect(result.records!.channels.map((channel) => channel.id)).toEqual([general.id, alerts.id, secret.id]);
  });
});

describe('slack plugin: notification routing', () => {
  const notify = async (type: string, data: Json, settings: Json) => {
    const h = harness({ settings });
    await slack.onEvent[type](h.context(), event(type, data));
    return h;
  };

  it('reacts to a documented set of event types', () => {
    expect(Object.keys(slack.onEvent).sort()).toEqual(
      [
        'integration.attention_needed',
        'integration.error',
        'integration.expired',
        'integration.sync.failed',
        'payment.completed',
        'recording.completed',
        'registration.received',
        'session.cancelled',
        'session.scheduled',
        'session.started',
        'webhook.endpoint.disabled',
      ].sort(),
    );
  });

  it('posts each routed event to its channel with the default message, and leaves unrouted ones alone', async () => {
    const settings = { notifications: { 'integration.expired': { channel: '#alerts' }, 'registration.received': { channel: general.id } } };
    const expired = await notify(
      'integration.expired',
      { integrationId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b', provider: 'hubspot', category: 'crm' },
      settings,
    );
    expect(expired.requests[0].json()).toEqual({
      channel: '#alerts',
      text: ':warning: *hubspot* needs reconnecting: its credentials expired and could not be refreshed (connection 0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b).',
      unfurl_links: false,
      unfurl_media: false,
    });
    expect(fake.state.messages.at(-1)!.channel).toBe(alerts.id);
    expect(expired.logs.at(-1)).toMatchObject({ message: 'notification posted', fields: { type: 'integration.expired', channel: alerts.id } });

    const unrouted = await notify('payment.completed', { paymentId: 'pay_1', amount: 4900, currency: 'USD' }, settings);
    expect(unrouted.requests).toEqual([]);
  });

  it('renders custom templates: money in the currency’s minor unit, Slack date tokens, durations, nested fields; event data is escaped', async () => {
    const settings = {
      notifications: {
        'payment.completed': { channel: '#alerts', template: '{amount|money} from {customerEmail} ({provider}) [{event} {eventId}]' },
        'session.scheduled': { channel: '#alerts', template: '{title} on {start|date}, hosted by {host.name}{missing}' },
        'recording.completed': { channel: '#alerts' },
        'registration.received': { channel: '#alerts' },
      },
    };
    const text = async (type: string, data: Json) => (await notify(type, data, settings)).requests[0].json() as Json;
    expect(
      (await text('payment.completed', { paymentId: 'pay_1', amount: 4900, currency: 'usd', customerEmail: 'ana@example.com', provider: 'stripe' })).text,
    ).toMatch(/^\$49\.00 from ana@example\.com \(stripe\) \[payment\.completed evt_\w+\]$/);
    expect((await text('payment.completed', { paymentId: 'pay_2', amount: 4900, currency: 'JPY' })).text).toMatch(/^¥4,900 from/);
    expect((await text('payment.completed', { paymentId: 'pay_3', amount: 12345, currency: 'KWD' })).text).toMatch(/^KWD 12\.345 from/);
    expect(
      (await text('session.scheduled', { sessionId: 's', title: 'Launch <webinar> & Q&A', start: '2026-03-02T16:00:00Z', host: { name: 'Bo' } })).text,
    ).toBe('Launch &lt;webinar&gt; &amp; Q&amp;A on <!date^1772467200^{date_short_pretty} at {time}|2026-03-02 16:00 UTC>, hosted by Bo');
    expect(
      (await text('recording.completed', { recordingId: 'rec_1', sessionId: 'sess_9', durationSeconds: 3725, url: 'https://cdn.example.com/rec_1.mp4' })).text,
    ).toBe(':movie_camera: The recording of sess_9 is ready (1h 2m 5s): https://cdn.example.com/rec_1.mp4');
    // A registrant cannot ping the channel or forge a link through their name.
    expect((await text('registration.received', { registrationId: 'r', email: 'eve@example.com', name: '<!channel> <https://evil.example|click>' })).text).toBe(
      ':tada: *&lt;!channel&gt; &lt;https://evil.example|click&gt;* (eve@example.com) registered for .',
    );
  });

  it('fails the reaction on Slack’s refusal so the host retries or reports it', async () => {
    await expect(
      slack.onEvent['integration.error'](
        harness({ settings: { notifications: { 'integration.error': { channel: hidden.id } } } }).context(),
        event('integration.error', { provider: 'x', error: { message: 'boom' } }),
      ),
    ).rejects.toMatchObject({ code: 'provider_rejected', slackError: 'channel_not_found' });
  });
});

describe('slack plugin: Events API requests', () => {
  const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

  it('verifies Slack’s documented example and refuses it tampered, re-signed with another secret, or stale', async () => {
    // docs.slack.dev/authentication/verifying-requests-from-slack: the worked example.
    const rawBody =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = { 'X-Slack-Request-Timestamp': '1531420618', 'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' };
    expect(slackSignature(SIGNING_SECRET, 1531420618, rawBody)).toBe(headers['X-Slack-Signature']);
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1531420618_000 + 120_000);
      const h = harness({ signingSecret: SIGNING_SECRET });
      expect(await h.webhookVerify({ headers, rawBody })).toBe(true);
      expect(await h.webhookVerify({ headers, rawBody: rawBody.replace('roadrunner', 'coyote') })).toBe(false);
      expect(await h.webhookVerify({ headers: { ...headers, 'X-Slack-Request-Timestamp': '1531420619' }, rawBody })).toBe(false);
      expect(await harness({ signingSecret: 'another0secret0entirely00' }).webhookVerify({ headers, rawBody })).toBe(false);
      now.mockReturnValue(1531420618_000 + 301_000);
      expect(await h.webhookVerify({ headers, rawBody })).toBe(false);
    } finally {
      now.mockRestore();
    }
  });

  it('accepts nothing without a signing secret, and says why', async () => {
    const h = harness();
    const rawBody = JSON.stringify(fake.state.eventCallback({ type: 'app_mention' }));
    expect(await h.webhookVerify({ headers: fake.state.sign(rawBody), rawBody })).toBe(false);
    expect(h.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('no signing secret') })]);
  });

  it('answers the url_verification challenge (for the host to send back) and publishes nothing', async () => {
    const h = harness({ signingSecret: app.signingSecret });
    const rawBody = JSON.stringify({
      token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    const request = { headers: fake.state.sign(rawBody), rawBody };
    expect(await h.webhookVerify(request)).toBe(true);
    expect(await h.webhookToEvents(request)).toEqual([]);
    expect(h.provider.webhook!).toHaveProperty('reply');
    const reply = (h.provider.webhook as Json).reply(h.context(), { ...request, method: 'POST', query: {} });
    expect(reply).toEqual({ status: 200, contentType: 'text/plain', body: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect((h.provider.webhook as Json).reply(h.context(), { rawBody: JSON.stringify(fake.state.eventCallback({ type: 'app_mention' })) })).toBeUndefined();
  });

  it('logs events of this workspace, warns about uninstalls, and drops another workspace’s events', async () => {
    const h = harness({ signingSecret: app.signingSecret });
    const deliver = async (payload: Json) => {
      const rawBody = JSON.stringify(payload);
      expect(await h.webhookVerify({ headers: fake.state.sign(rawBody), rawBody })).toBe(true);
      return h.webhookToEvents({ rawBody });
    };
    expect(await deliver(fake.state.eventCallback({ type: 'app_mention', user: 'U0ANA00001', text: '<@U0PLUGBOT1> hi', channel: general.id }))).toEqual([]);
    expect(await deliver(fake.state.eventCallback({ type: 'app_uninstalled' }))).toEqual([]);
    expect(await deliver(fake.state.eventCallback({ type: 'app_mention' }, fake.state.otherTeam.id))).toEqual([]);
    expect(h.logs.map((line) => [line.level, line.fields?.type ?? line.fields?.teamId ?? null])).toEqual([
      ['info', 'app_mention'],
      ['warn', null],
      ['warn', fake.state.otherTeam.id],
    ]);
    expect(h.logs[1].message).toContain('app_uninstalled');
  });
});
