import type { VerifyResult } from '../../../src/sdk/index.js';
import { FAIRING_TEST_KEY, startFakeFairing, type FakeFairing } from '../../fixtures/providers/fairing.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Fairing as the host runs it: the bundled plugin in a child process, the API key applied by the host
 * as the raw Authorization header, PROVIDER_ORIGIN_OVERRIDES pointing https://app.fairing.co at the fake.
 */
describe('fairing in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeFairing;
  const webhookToken = 'wh_8e1d4c7b0a3f6e9d2c5b8a1f4e7d0c3b6a9f2e';

  beforeAll(async () => {
    fake = await startFakeFairing();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d', accountId: 'acct_fairing' } });
  });
  afterAll(() => host?.close());

  const context = (apiKey = FAIRING_TEST_KEY) => host.context({ apiKey, webhookToken });

  it('verifies, lists responses, checks the webhook token, and refuses a wrong key as 422', async () => {
    const { runner } = host;
    const question = fake.state.addQuestion('How did you hear about us?', ['Podcast', 'Friend']);
    const answered = fake.state.addResponse(question, 'Friend', '2026-03-05T15:00:00.000000Z');

    await expect(runner.invoke<VerifyResult>('fairing', { kind: 'verify', context: context() })).resolves.toEqual({
      displayName: 'Fairing',
      metadata: { questionCount: 1 },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ path: '/api/questions', headers: expect.objectContaining({ authorization: FAIRING_TEST_KEY }) });

    const listed = await runner.invoke<Json>('fairing', { kind: 'action', name: 'listResponses', input: { limit: 10 }, context: context() });
    expect(listed).toEqual({ responses: [expect.objectContaining({ id: answered.id, answer: 'Friend', questionId: String(question.id) })], next: null });

    const rawBody = JSON.stringify(answered);
    const inbound = (token?: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, query: token ? { token } : {}, rawBody });
    await expect(runner.invoke('fairing', { kind: 'webhookVerify', input: inbound(webhookToken), context: context() })).resolves.toBe(true);
    await expect(
      runner.invoke('fairing', { kind: 'webhookVerify', input: inbound('wh_wrong_token_wrong_token_wrong_token_00'), context: context() }),
    ).resolves.toBe(false);
    await expect(runner.invoke('fairing', { kind: 'webhookToEvents', input: inbound(webhookToken), context: context() })).resolves.toEqual([
      {
        event: 'survey.response.received',
        data: expect.objectContaining({ responseId: answered.id, provider: 'fairing', answer: 'Friend', orderId: answered.order_id }),
      },
    ]);

    await expect(runner.invoke('fairing', { kind: 'verify', context: context('fk_live_wrong_key_000000') })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining('Invalid API key'),
    });
  });
});
