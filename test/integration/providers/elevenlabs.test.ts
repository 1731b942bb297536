import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../../fixtures/providers/elevenlabs.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * ElevenLabs as the host runs it: the bundled plugin in a child process, `xi-api-key` applied by the host,
 * PROVIDER_ORIGIN_OVERRIDES pointing https://api.elevenlabs.io at the local fake, and the audio crossing
 * the host's HTTP client and the process boundary as bytes.
 */
describe('elevenlabs through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeElevenLabs;

  beforeAll(async () => {
    fake = await startFakeElevenLabs();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5b8e2c1d-7f3a-4e6b-9d0c-1a2b3c4d5e6f', accountId: 'acct_elevenlabs' } });
  });
  afterAll(() => host?.close());

  it('verifies, speaks binary audio intact as base64, and refuses an unknown voice as 422', async () => {
    const { runner } = host;
    const context = host.context({ apiKey: fake.user.apiKey });
    await expect(runner.invoke<VerifyResult>('elevenlabs', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: 'Ada (creator plan)',
      metadata: { userId: fake.user.userId, tier: 'creator', characterLimit: 121_000 },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/user', headers: expect.objectContaining({ 'xi-api-key': fake.user.apiKey }) });

    const spoken = await runner.invoke<Json>('elevenlabs', {
      kind: 'action',
      name: 'textToSpeech',
      input: { voiceId: '21m00Tcm4TlvDq8ikWAM', text: 'Welcome to the launch webinar.', outputFormat: 'mp3_44100_64' },
      context,
    });
    const speech = fake.state.speeches.at(-1)!;
    // Real audio bytes, high ones included: a transport that read them as text would change them.
    expect(speech.audio.some((byte) => byte >= 0x80)).toBe(true);
    expect(Buffer.from(spoken.audioBase64, 'base64').equals(speech.audio)).toBe(true);
    expect(spoken).toMatchObject({
      contentType: 'audio/mpeg',
      bytes: speech.audio.length,
      outputFormat: 'mp3_44100_64',
      characterCost: 30,
      requestId: speech.requestId,
    });

    await expect(
      runner.invoke('elevenlabs', { kind: 'action', name: 'textToSpeech', input: { voiceId: 'UnknownVoice00000000', text: 'Hi' }, context }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message:
        'ElevenLabs: A voice with the voice_id UnknownVoice00000000 was not found. (voice_not_found). listVoices shows the voice IDs this account can use.',
    });
  });
});
