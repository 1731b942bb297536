import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeMux, type FakeMux } from '../../fixtures/providers/mux.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const WEBHOOK_SECRET = 'mux-host-webhook-secret-0123456789';

/**
 * Mux as the host runs it: the bundled plugin loaded by the real loader into a child process, HTTP
 * Basic from the token ID and secret applied by the host, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://api.mux.com at the local fake.
 */
describe('mux through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let mux: FakeMux;

  beforeAll(async () => {
    mux = await startFakeMux();
    host = await startProviderHost({ fakes: [mux], integration: { id: '5b7d9f1a-2c4e-4a6b-8d0f-1e3a5c7e9b2d', accountId: 'acct_mux' } });
  });
  afterAll(() => host?.close());

  it('verifies, creates an asset, checks asset webhook signatures, and refuses a wrong secret as 422', async () => {
    const { runner } = host;
    const credentials = { tokenId: mux.token.id, tokenSecret: mux.token.secret, webhookSecret: WEBHOOK_SECRET };
    const context = host.context(credentials, { playbackPolicy: 'public' }, { environmentId: mux.token.environmentId });

    await expect(runner.invoke<VerifyResult>('mux', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: 'Acme Events / Production',
      metadata: { environmentId: mux.token.environmentId, organizationName: 'Acme Events' },
    });
    expect(mux.state.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from(`${mux.token.id}:${mux.token.secret}`).toString('base64')}`);

    const asset = await runner.invoke<Json>('mux', {
      kind: 'action',
      name: 'createAssetFromUrl',
      input: { url: 'https://cdn.example.com/rec_5.mp4', passthrough: 'rec_5' },
      context,
    });
    const stored = mux.state.assets.at(-1)!;
    expect(asset).toMatchObject({ assetId: stored.id, status: 'preparing', passthrough: 'rec_5' });
    expect(mux.state.requests.at(-1)!.body).toEqual({
      inputs: [{ url: 'https://cdn.example.com/rec_5.mp4' }],
      playback_policies: ['public'],
      passthrough: 'rec_5',
    });

    const ready = mux.state.assetWebhook(stored.id, 'ready', WEBHOOK_SECRET);
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody: ready.rawBody });
    await expect(runner.invoke('mux', { kind: 'webhookVerify', input: inbound(ready.headers), context })).resolves.toBe(true);
    const forged = { ...ready.headers, 'mux-signature': mux.state.assetWebhook(stored.id, 'ready', 'another-secret-entirely').headers['mux-signature'] };
    await expect(runner.invoke('mux', { kind: 'webhookVerify', input: inbound(forged), context })).resolves.toBe(false);
    await expect(runner.invoke('mux', { kind: 'webhookToEvents', input: inbound(ready.headers), context })).resolves.toEqual([
      { event: 'video.asset.ready', data: expect.objectContaining({ assetId: stored.id, provider: 'mux', recordingId: 'rec_5' }) },
    ]);

    const wrong = host.context({ tokenId: mux.token.id, tokenSecret: 'not-the-secret-0123456789' });
    await expect(runner.invoke('mux', { kind: 'verify', context: wrong })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('Mux refused the access token'),
    });
  });
});
