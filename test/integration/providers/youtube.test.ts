import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { startFakeYouTube, YOUTUBE_SCOPES, type FakeYouTube } from '../../fixtures/providers/youtube.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = (metadata: Json = {}) => ({ id: '5d0c3c1e-7a2b-4b8e-9e61-2f4a6c8e0b1d', accountId: 'acct_youtube', livemode: false, metadata });

/**
 * The YouTube plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, ctx.http performed by the host's SafeHttp with its declared budgets,
 * and PROVIDER_ORIGIN_OVERRIDES pointing Google's origins at the local fake.
 */
describe('youtube in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeYouTube;

  beforeAll(async () => {
    fake = await startFakeYouTube();
    t = await startTestApp({
      PLUGIN_ISOLATION: 'process',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides(fake.origins),
    });
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('verifies, creates a broadcast with its stream key, refuses an impossible end as 422 and a spent quota as 429', async () => {
    fake.state.oauth.registerClient({ clientId: 'yt', clientSecret: 'yt-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('yt', YOUTUBE_SCOPES.manage);
    const connect = { credentials: { accessToken, tokenType: 'Bearer' }, settings: {}, integration: integration() };
    const verified = await runner.invoke<VerifyResult>('youtube', { kind: 'verify', context: connect });
    expect(verified).toEqual({ displayName: 'Acme Live', metadata: { channelId: fake.state.channel!.id, channelTitle: 'Acme Live', customUrl: '@acmelive' } });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const context = { ...connect, settings: { defaultPrivacy: 'unlisted' }, integration: integration(verified.metadata) };
    const created = await runner.invoke<Json>('youtube', {
      kind: 'action',
      name: 'createBroadcast',
      input: { title: 'Quarterly update', scheduledStart: new Date(Date.now() + 3_600_000).toISOString() },
      context,
    });
    const stream = fake.state.streams.get(created.streamId)!;
    expect(created).toMatchObject({
      privacy: 'unlisted',
      lifeCycleStatus: 'ready',
      rtmpUrl: 'rtmp://a.rtmp.youtube.com/live2',
      streamKey: stream.cdn.ingestionInfo.streamName,
    });
    expect(fake.state.broadcasts.get(created.broadcastId)!.contentDetails.boundStreamId).toBe(stream.id);

    await expect(
      runner.invoke('youtube', { kind: 'action', name: 'endBroadcast', input: { broadcastId: created.broadcastId }, context }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Invalid transition: only a broadcast that is testing or live can be ended.',
    });

    fake.state.quota.used = fake.state.quota.limit;
    await expect(runner.invoke('youtube', { kind: 'healthCheck', context })).rejects.toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
      headers: { 'Retry-After': expect.stringMatching(/^\d+$/) },
    });
  });
});
