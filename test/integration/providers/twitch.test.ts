import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeTwitch, TWITCH_SCOPES, type FakeTwitch } from '../../fixtures/providers/twitch.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Twitch plugin as the host runs it: loaded from plugins/ by the real loader, called through the
 * PluginRunner in a child process, ctx.http performed by the host's SafeHttp (bearer token under the
 * Helix base URL only), and PROVIDER_ORIGIN_OVERRIDES pointing Twitch's origins at the local fake.
 */
describe('twitch in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeTwitch;

  beforeAll(async () => {
    fake = await startFakeTwitch();
    host = await startProviderHost({ fakes: [fake], integration: { id: '8e4b2f6a-1c3d-4e5f-8a9b-0c1d2e3f4a5b', accountId: 'acct_twitch' } });
  });
  afterAll(() => host?.close());

  it('verifies and keeps the client id, reads the stream destination with it, refuses an unknown category as 422', async () => {
    const { runner } = host;
    fake.state.oauth.registerClient({ clientId: 'twitchappclientid0123456789abc', clientSecret: 'tw-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('twitchappclientid0123456789abc', `${TWITCH_SCOPES.streamKey} ${TWITCH_SCOPES.manageBroadcast}`);
    const connect = host.context({ accessToken, tokenType: 'bearer' });
    const verified = await runner.invoke<VerifyResult>('twitch', { kind: 'verify', context: connect });
    expect(verified).toMatchObject({
      displayName: 'AcmeLive',
      metadata: { clientId: 'twitchappclientid0123456789abc', userId: fake.state.user.id, login: 'acmelive' },
    });

    const context = host.context(connect.credentials, {}, verified.metadata);
    const destination = await runner.invoke<Json>('twitch', { kind: 'action', name: 'getStreamDestination', input: {}, context });
    expect(destination).toEqual({
      broadcasterId: fake.state.user.id,
      ingestName: 'Default',
      server: 'rtmp://ingest.global-contribute.live-video.net/app',
      secureServer: 'rtmps://ingest.global-contribute.live-video.net/app',
      streamKey: fake.state.streamKey,
    });
    const keyRequest = fake.state.requests.find((request) => request.path === '/helix/streams/key')!;
    expect(keyRequest.headers).toMatchObject({ authorization: `Bearer ${accessToken}`, 'client-id': 'twitchappclientid0123456789abc' });
    expect(fake.state.requests.find((request) => request.path === '/ingests')!.headers.authorization).toBeUndefined();

    await expect(
      runner.invoke('twitch', { kind: 'action', name: 'updateChannel', input: { categoryName: 'Underwater basket weaving' }, context }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Twitch has no category named "Underwater basket weaving".',
    });
  });
});
