import type { VerifyResult } from '../../../src/sdk/index.js';
import { retellKey, signRetellWebhook, startFakeRetell, type FakeRetell } from '../../fixtures/providers/retell.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Retell as the host runs it: the bundled plugin in a child process, the API key applied by the host as
 * a Bearer token, PROVIDER_ORIGIN_OVERRIDES pointing https://api.retellai.com at the local fake.
 */
describe('retell through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeRetell;

  beforeAll(async () => {
    fake = await startFakeRetell();
    host = await startProviderHost({ fakes: [fake], integration: { id: '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f', accountId: 'acct_retell' } });
  });
  afterAll(() => host?.close());

  it('verifies, places a call, checks call_ended signatures, and refuses an unknown from number as 422', async () => {
    const { runner } = host;
    const agent = fake.state.addAgent('Reminder agent');
    fake.state.addPhoneNumber('+14155550100', { outbound_agent_id: agent.agent_id });
    const context = host.context({ apiKey: fake.apiKey });

    await expect(runner.invoke<VerifyResult>('retell', { kind: 'verify', context })).resolves.toEqual({
      displayName: 'Retell AI (+14155550100)',
      metadata: { phoneNumbers: ['+14155550100'], concurrencyLimit: 20 },
    });
    expect(fake.state.requests.at(-1)!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);

    const call = await runner.invoke<Json>('retell', {
      kind: 'action',
      name: 'createPhoneCall',
      input: { fromNumber: '+14155550100', toNumber: '+14155550123', metadata: { sessionId: 'sess_9' } },
      context,
    });
    expect(call).toMatchObject({ callId: fake.state.calls.at(-1)!.call_id, callStatus: 'registered', agentId: agent.agent_id });

    const webhook = fake.state.endCall(call.callId, { durationMs: 61_000, disconnectionReason: 'user_hangup' });
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody: webhook.rawBody });
    await expect(runner.invoke('retell', { kind: 'webhookVerify', input: inbound(webhook.headers), context })).resolves.toBe(true);
    const forged = { ...webhook.headers, 'x-retell-signature': signRetellWebhook(webhook.rawBody, retellKey()) };
    await expect(runner.invoke('retell', { kind: 'webhookVerify', input: inbound(forged), context })).resolves.toBe(false);
    await expect(runner.invoke<Json[]>('retell', { kind: 'webhookToEvents', input: inbound(webhook.headers), context })).resolves.toEqual([
      {
        event: 'call.ended',
        data: expect.objectContaining({
          callId: call.callId,
          provider: 'retell',
          fromNumber: '+14155550100',
          toNumber: '+14155550123',
          durationSeconds: 61,
          disconnectionReason: 'user_hangup',
        }),
      },
    ]);

    await expect(
      runner.invoke('retell', { kind: 'action', name: 'createPhoneCall', input: { fromNumber: '+14155550999', toNumber: '+14155550123' }, context }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('Cannot find requested asset under given api key.') });
  });
});
