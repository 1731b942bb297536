import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeYouTube, YOUTUBE_SCOPES, type FakeYouTube } from '../../fixtures/providers/youtube.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The YouTube plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, ctx.http performed by the host's SafeHttp with its declared budgets,
 * and PROVIDER_ORIGIN_OVERRIDES pointing Google's origins at the local fake.
 */
describe('youtube in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeYouTube;

  beforeAll(async () => {
    fake = await startFakeYouTube();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5d0c3c1e-7a2b-4b8e-9e61-2f4a6c8e0b1d', accountId: 'acct_youtube' } });
  });
  afterAll(() => host?.close());

  it('verifies, creates a broadcast with its stream key, refuses an impossible end as 422 and a spent quota as 429', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'yt', clientSecret: 'yt-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('yt', YOUTUBE_SCOPES.manage);
    const connect = host.context({ accessToken, tokenType: 'Bearer' });
    const verified = await runner.invoke<VerifyResult>('youtube', { kind: 'verify', context: connect });
    expect(verified).toEqual({ displayName: 'Acme Live', metadata: { channelId: fake.state.channel!.id, channelTitle: 'Acme Live', customUrl: '@acmelive' } });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${accessToken}`);

    const context = host.context(connect.credentials, { defaultPrivacy: 'unlisted' }, verified.metadata);
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
