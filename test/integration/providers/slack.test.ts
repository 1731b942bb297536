import type { VerifyResult } from '../../../src/sdk/index.js';
import { SLACK_SCOPES, startFakeSlack, type FakeSlack, type SlackApp } from '../../fixtures/providers/slack.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';
import { createAccount } from '../../support/test-app.js';

/**
 * Slack as the host runs it: the bundled plugin loaded by the real loader into a child process, its
 * calls made by the host's ctx.http with the declared per-workspace rate limits, and
 * PROVIDER_ORIGIN_OVERRIDES pointing https://slack.com at the local fake. The credentials are what the
 * host stores after Slack's OAuth callback (token_type "bot").
 */
describe('slack in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeSlack;
  let app: SlackApp;

  beforeAll(async () => {
    fake = await startFakeSlack();
    // The operator's Slack app, with token rotation on.
    app = fake.state.registerApp({ tokenRotation: true });
    host = await startProviderHost({
      fakes: [fake],
      integration: { id: '8b7a6f5e-4d3c-4b2a-9f1e-0d9c8b7a6f5e', accountId: 'acct_slack' },
      env: {
        PLUGBOARD_OAUTH_SLACK_CLIENT_ID: app.clientId,
        PLUGBOARD_OAUTH_SLACK_CLIENT_SECRET: app.clientSecret,
        PLUGBOARD_OAUTH_SLACK_APP_SIGNING_SECRET: app.signingSecret,
      },
    });
  });
  afterAll(() => host?.close());

  it('verifies, posts a message and a routed notification, checks signed Events API requests, and refuses an unknown channel as 422', async () => {
    const { runner } = host;
    const { accessToken } = fake.state.mintToken(app.clientId);
    const credentials = { accessToken, tokenType: 'bot', scope: SLACK_SCOPES.join(',') };
    const general = fake.state.addChannel('general', { is_member: true });
    const alerts = fake.state.addChannel('alerts');

    const verified = await runner.invoke<VerifyResult>('slack', { kind: 'verify', context: host.context(credentials) });
    expect(verified).toMatchObject({ displayName: 'Acme Events (@plugboard)', metadata: { teamId: fake.state.team.id, botUserId: fake.state.bot.userId } });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/api/auth.test',
      headers: expect.objectContaining({ authorization: `Bearer ${accessToken}` }),
    });

    const settings = { notifications: { 'integration.expired': { channel: '#alerts' } } };
    const context = host.context({ ...credentials, app: { signingSecret: app.signingSecret } }, settings, {
      teamId: fake.state.team.id,
      teamName: fake.state.team.name,
      botUserId: fake.state.bot.userId,
    });
    const posted = await runner.invoke<Json>('slack', {
      kind: 'action',
      name: 'postMessage',
      input: { channel: general.id, text: 'Doors open at 5' },
      context,
    });
    expect(posted).toEqual({ channel: general.id, ts: fake.state.messages.at(-1)!.ts, threadTs: null });

    await runner.invoke('slack', {
      kind: 'onEvent',
      name: 'integration.expired',
      input: {
        id: 'evt_expired',
        event: 'integration.expired',
        timestamp: '2026-03-02T15:00:00Z',
        accountId: 'acct_slack',
        livemode: false,
        data: { integrationId: '0b7f5c1e-4a8e-4d5f-9f2a-1c3d5e7f9a0b', provider: 'hubspot', category: 'crm' },
      },
      context,
    });
    expect(fake.state.messages.at(-1)).toMatchObject({ channel: alerts.id, text: expect.stringContaining('*hubspot* needs reconnecting') });

    const rawBody = JSON.stringify(fake.state.eventCallback({ type: 'app_mention', text: '<@U0PLUGBOT1> hi', channel: general.id }));
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody, body: JSON.parse(rawBody) });
    await expect(runner.invoke('slack', { kind: 'webhookVerify', input: inbound(fake.state.sign(rawBody)), context })).resolves.toBe(true);
    await expect(
      runner.invoke('slack', { kind: 'webhookVerify', input: inbound(fake.state.sign(rawBody, { secret: 'not-the-apps-signing-secret' })), context }),
    ).resolves.toBe(false);
    await expect(runner.invoke('slack', { kind: 'webhookToEvents', input: inbound(fake.state.sign(rawBody)), context })).resolves.toEqual([]);

    await expect(runner.invoke('slack', { kind: 'action', name: 'postMessage', input: { channel: '#nowhere', text: 'x' }, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('(channel_not_found)'),
    });
  });

  it('installs through the host’s OAuth flow (team and bot kept from the token response), then rotates the token', async () => {
    const { t } = host;
    const { ownerToken } = await createAccount(t);
    const bearer = { Authorization: `Bearer ${ownerToken}` };
    const started = await t.http.post('/v1/connections/oauth/start').set(bearer).send({ provider: 'slack', returnUrl: '/back' });
    expect(started.status).toBe(200);
    const authorization = new URL(started.body.authorizationUrl);
    expect(authorization.pathname).toBe('/oauth/v2/authorize');
    expect(authorization.searchParams.get('scope')).toBe('chat:write,chat:write.public,channels:read,groups:read');
    const atSlack = await fetch(authorization, { redirect: 'manual' });
    const callback = new URL(atSlack.headers.get('location')!);
    const atPlugboard = await t.http.get(`${callback.pathname}${callback.search}`);
    expect(new URL(atPlugboard.headers.location, 'http://return.test').searchParams.get('status')).toBe('connected');

    const list = await t.http.get('/v1/connections?provider=slack').set(bearer);
    const connection = list.body.data[0];
    expect(connection).toMatchObject({
      displayName: 'Acme Events (@plugboard)',
      metadata: expect.objectContaining({ teamId: fake.state.team.id, teamName: fake.state.team.name, botUserId: fake.state.bot.userId }),
    });
    const [first] = [...fake.state.tokens.values()].filter((token) => token.clientId === app.clientId && token.token.startsWith('xoxe.xoxb-')).slice(-1);

    // The host's refresher spends the single-use refresh token; the plugin then posts with the new access token.
    const refreshed = await t.http.post(`/v1/connections/${connection.id}/refresh`).set(bearer);
    expect(refreshed.status).toBe(200);
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/api/oauth.v2.access',
      body: expect.objectContaining({ grant_type: 'refresh_token', client_id: app.clientId }),
    });
    expect(
      [...fake.state.refreshTokens.values()]
        .filter((token) => token.clientId === app.clientId)
        .slice(-2)
        .map((token) => token.used),
    ).toEqual([true, false]);
    const general = fake.state.channels.find((channel) => channel.name === 'general')!;
    const posted = await t.http
      .post(`/v1/connections/${connection.id}/actions/postMessage`)
      .set(bearer)
      .send({ input: { channel: general.id, text: 'After rotation' } });
    expect(posted.status).toBe(200);
    const used = fake.state.requests.at(-1)!.headers.authorization;
    expect(used).toMatch(/^Bearer xoxe\.xoxb-1-/);
    expect(used).not.toBe(`Bearer ${first.token}`);

    // Slack's requests to the connection's hook URL: checked with the operator app's signing secret
    // (PLUGBOARD_OAUTH_SLACK_APP_SIGNING_SECRET, handed to the plugin as an app secret), and the
    // url_verification handshake answered with its challenge.
    const handshake = JSON.stringify({ token: 'deprecated', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const challenged = await t.http
      .post(`/v1/hooks/${connection.id}`)
      .set({ 'content-type': 'application/json', ...fake.state.sign(handshake) })
      .send(handshake);
    expect([challenged.status, challenged.headers['content-type'], challenged.text]).toEqual([
      200,
      expect.stringMatching(/^text\/plain/),
      '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    ]);
    const forged = await t.http
      .post(`/v1/hooks/${connection.id}`)
      .set({ 'content-type': 'application/json', ...fake.state.sign(handshake, { secret: 'not-the-apps-signing-secret' }) })
      .send(handshake);
    expect(forged.status).toBe(401);
    const mention = JSON.stringify(fake.state.eventCallback({ type: 'app_mention', text: 'hi', channel: general.id }));
    const delivered = await t.http
      .post(`/v1/hooks/${connection.id}`)
      .set({ 'content-type': 'application/json', ...fake.state.sign(mention) })
      .send(mention);
    expect([delivered.status, delivered.body]).toEqual([200, { received: 0 }]);
  });
});
