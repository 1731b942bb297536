import { PluginRunner } from '../../../src/modules/plugins/runner/plugin-runner.js';
import type { VerifyResult } from '../../../src/sdk/index.js';
import { providerOriginOverrides } from '../../fixtures/providers/fake-http-server.js';
import { LINKEDIN_SCOPES, startFakeLinkedIn, type FakeLinkedIn } from '../../fixtures/providers/linkedin-live.js';
import type { Json } from '../../support/bundled-plugins.js';
import { tempDir } from '../../support/plugin-fixtures.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const integration = (metadata: Json = {}) => ({ id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', accountId: 'acct_linkedin', livemode: false, metadata });

/**
 * The LinkedIn Live plugin as the host runs it: loaded from plugins/ by the real loader, called through
 * the PluginRunner in a child process, ctx.http performed by the host's SafeHttp (bearer token under
 * https://api.linkedin.com), and PROVIDER_ORIGIN_OVERRIDES pointing LinkedIn's origins at the local fake.
 */
describe('linkedin_live in the host (PLUGIN_ISOLATION=process)', () => {
  let t: TestApp;
  let runner: PluginRunner;
  let fake: FakeLinkedIn;

  beforeAll(async () => {
    fake = await startFakeLinkedIn();
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

  it('verifies (approval reported, not failing), schedules a live event with its ingest URL, and refuses an unapproved app as 422', async () => {
    fake.state.registerApp({ clientId: '78hostapproved01', clientSecret: 'li-secret' });
    fake.state.registerApp({ clientId: '86hostunapproved', clientSecret: 'li-secret-2' }, { liveApproved: false });
    const scope = LINKEDIN_SCOPES.member.join(' ');
    const approved = fake.state.oauth.mintTokens('78hostapproved01', scope, false).accessToken;
    const unapproved = fake.state.oauth.mintTokens('86hostunapproved', scope, false).accessToken;
    const context = (accessToken: string, metadata: Json = {}) => ({
      credentials: { accessToken, tokenType: 'Bearer' },
      settings: {},
      integration: integration(metadata),
    });

    const verified = await runner.invoke<VerifyResult>('linkedin_live', { kind: 'verify', context: context(approved) });
    expect(verified).toEqual({
      displayName: 'Ada Lovelace',
      metadata: { sub: fake.state.member.sub, name: 'Ada Lovelace', personUrn: fake.state.personUrn(), liveStreamingApproved: true, liveAccess: 'approved' },
    });
    const notYet = await runner.invoke<VerifyResult>('linkedin_live', { kind: 'verify', context: context(unapproved) });
    expect(notYet.metadata).toMatchObject({ liveStreamingApproved: false, liveAccess: 'app_not_approved' });

    const startAt = new Date(Date.now() + 5 * 60_000).toISOString();
    const created = await runner.invoke<Json>('linkedin_live', {
      kind: 'action',
      name: 'createLiveEvent',
      input: { title: 'Launch webinar', startAt },
      context: context(approved, verified.metadata),
    });
    const video = fake.state.liveVideos.get(created.id)!;
    expect(video).toMatchObject({ author: fake.state.personUrn(), name: 'Launch webinar', state: 'PRE_LIVE' });
    const asset = [...fake.state.assets.values()].at(-1)!;
    expect(created).toMatchObject({
      id: video.id,
      postUrn: video.ugcPost,
      asset: `urn:li:digitalmediaAsset:${asset.id}`,
      ingestUrl: `rtmps://live-ingest.linkedin.com:443/live/${asset.streamKey}`,
    });
    const post = fake.state.requests.find((request) => request.path === '/v2/liveVideos' && request.method === 'POST')!;
    expect(post.headers).toMatchObject({ authorization: `Bearer ${approved}`, 'x-restli-protocol-version': '2.0.0' });

    await expect(
      runner.invoke('linkedin_live', {
        kind: 'action',
        name: 'createLiveEvent',
        input: { title: 'x', startAt },
        context: context(unapproved, notYet.metadata),
      }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: 'LinkedIn has not approved live streaming for this app' });
  });
});
