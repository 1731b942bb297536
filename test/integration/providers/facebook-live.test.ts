import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { ALL_FACEBOOK_PERMISSIONS, startFakeFacebook, type FakeFacebook } from '../../fixtures/providers/facebook-live.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = (metadata: Json = {}) => ({ id: '5b0c7e2a-3d4f-4a1b-9c8d-7e6f5a4b3c2d', accountId: 'acct_facebook', livemode: false, metadata });

/**
 * The Facebook Live plugin as the host runs it: loaded from plugins/ by the real loader, called through
 * the PluginRunner in a child process, ctx.http performed by the host's SafeHttp (the user token as a
 * bearer header under the Graph base URL, unless the plugin sends a Page token itself), and
 * PROVIDER_ORIGIN_OVERRIDES pointing Facebook's origins at the local fake.
 */
describe('facebook_live in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeFacebook;

  beforeAll(async () => {
    fake = await startFakeFacebook();
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

  it('verifies, creates a live video on a Page with a per-call Page token, and refuses a Page without a role as 422', async () => {
    fake.state.oauth.registerClient({ clientId: '2345678901234567', clientSecret: 'fb-secret' });
    const { accessToken } = fake.state.oauth.mintTokens('2345678901234567', ALL_FACEBOOK_PERMISSIONS);
    const page = fake.state.pages[0];
    const connect = { credentials: { accessToken, tokenType: 'bearer' }, settings: { pageId: page.id }, integration: integration() };
    const verified = await runner.invoke<VerifyResult>('facebook_live', { kind: 'verify', context: connect });
    expect(verified).toMatchObject({ displayName: 'Ada Broadcaster', metadata: { userId: fake.state.user.id, name: 'Ada Broadcaster' } });

    const context = { ...connect, integration: integration(verified.metadata) };
    const created = await runner.invoke<Json>('facebook_live', { kind: 'action', name: 'createLiveVideo', input: { title: 'Launch webinar' }, context });
    const video = fake.state.liveVideos.get(created.id)!;
    expect(created).toMatchObject({ id: video.id, pageId: page.id, status: 'LIVE_NOW', secure_stream_url: video.secureStreamUrl, stream_url: video.streamUrl });
    expect(video.ownerId).toBe(page.id);
    const lookup = fake.state.requests.find((request) => request.path === `/v26.0/${page.id}`)!;
    expect(lookup.headers.authorization).toBe(`Bearer ${accessToken}`);
    const post = fake.state.requests.find((request) => request.path === `/v26.0/${page.id}/live_videos`)!;
    expect(fake.state.pageTokensIssued()).toContain(post.headers.authorization.replace(/^Bearer /, ''));
    expect(JSON.stringify(created)).not.toContain(post.headers.authorization.replace(/^Bearer /, ''));

    const stranger = fake.state.publicPages[0];
    await expect(
      runner.invoke('facebook_live', { kind: 'action', name: 'createLiveVideo', input: { title: 'x', pageId: stranger.id }, context }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining(`cannot stream to the Page "Someone Else’s Page" (${stranger.id})`),
    });
  });
});
