import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeAssemblyAI, type FakeAssemblyAI } from '../../fixtures/providers/assemblyai.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const INTEGRATION_ID = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
const HOOK_URL = `https://plugboard.example.com/v1/hooks/${INTEGRATION_ID}`;

/**
 * AssemblyAI as the host runs it: the bundled plugin in a child process, the base URL filled from the
 * connection input `apiHost`, the API key applied by the host in `authorization`, and
 * PROVIDER_ORIGIN_OVERRIDES pointing both AssemblyAI hosts at the local fake.
 */
describe('assemblyai through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeAssemblyAI;

  beforeAll(async () => {
    fake = await startFakeAssemblyAI();
    host = await startProviderHost({ fakes: [fake], integration: { id: INTEGRATION_ID, accountId: 'acct_assemblyai' } });
  });
  afterAll(() => host?.close());

  it('verifies, transcribes with an authenticated webhook, publishes transcript.completed, and refuses an unknown transcript as 422', async () => {
    const { runner } = host;
    const context = host.context({ apiKey: fake.apiKey }, { webhookUrl: HOOK_URL }, { apiHost: 'api.assemblyai.com' });
    await expect(runner.invoke<VerifyResult>('assemblyai', { kind: 'verify', context })).resolves.toEqual({
      displayName: 'AssemblyAI (US)',
      metadata: { region: 'us', latestTranscriptAt: null },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/v2/transcript',
      host: 'api.assemblyai.com',
      headers: expect.objectContaining({ authorization: fake.apiKey }),
    });

    const started = await runner.invoke<Json>('assemblyai', {
      kind: 'action',
      name: 'transcribe',
      input: { audioUrl: 'https://cdn.example.com/recordings/rec_5.mp4', recordingId: 'rec_5' },
      context,
    });
    expect(started).toMatchObject({ transcriptId: fake.state.transcripts.at(-1)!.id, status: 'queued', webhook: true });

    const delivery = fake.state.finish(started.transcriptId)!;
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: { recordingId: 'rec_5' }, rawBody: delivery.rawBody });
    await expect(runner.invoke('assemblyai', { kind: 'webhookVerify', input: inbound(delivery.headers), context })).resolves.toBe(true);
    await expect(
      runner.invoke('assemblyai', {
        kind: 'webhookVerify',
        input: inbound({ ...delivery.headers, 'x-plugboard-webhook-token': 'forged-token-value' }),
        context,
      }),
    ).resolves.toBe(false);
    await expect(runner.invoke<Json[]>('assemblyai', { kind: 'webhookToEvents', input: inbound(delivery.headers), context })).resolves.toEqual([
      {
        event: 'transcript.completed',
        data: expect.objectContaining({
          transcriptId: started.transcriptId,
          status: 'completed',
          provider: 'assemblyai',
          recordingId: 'rec_5',
          durationSeconds: 42,
        }),
      },
    ]);

    await expect(
      runner.invoke('assemblyai', { kind: 'action', name: 'getTranscript', input: { id: '00000000-0000-4000-8000-000000000000' }, context }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: 'AssemblyAI: Transcript not found' });
  });
});
