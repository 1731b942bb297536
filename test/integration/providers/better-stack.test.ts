import type { VerifyResult } from '../../../src/sdk/index.js';
import { betterStackIncidentWebhook, startFakeBetterStack, type FakeBetterStack } from '../../fixtures/providers/better-stack.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

const WEBHOOK_TOKEN = 'whtok_9d41c7e2a85b4f06b3e1d7a2';

/**
 * Better Stack as the host runs it: the bundled plugin in a child process, the Uptime token applied by the host
 * as a bearer token, PROVIDER_ORIGIN_OVERRIDES pointing https://uptime.betterstack.com at the local fake.
 */
describe('better_stack through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeBetterStack;

  beforeAll(async () => {
    fake = await startFakeBetterStack();
    host = await startProviderHost({ fakes: [fake], integration: { id: '8b2d4f6a-1c3e-4a5b-9d7f-2e4a6c8b0d1f', accountId: 'acct_better_stack' } });
  });
  afterAll(() => host?.close());

  it('verifies, acknowledges an incident, checks the webhook token, and refuses an unknown incident as 422', async () => {
    const { runner } = host;
    const context = host.context({ apiToken: fake.token, webhookToken: WEBHOOK_TOKEN });
    const monitor = fake.state.addMonitor({ pronounceable_name: 'Checkout' });
    await expect(runner.invoke<VerifyResult>('better_stack', { kind: 'verify', context })).resolves.toEqual({
      displayName: 'Better Stack Uptime (Acme Ops)',
      metadata: { teamName: 'Acme Ops', monitorCount: 1 },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/api/v2/monitors',
      query: { per_page: '1' },
      headers: expect.objectContaining({ authorization: `Bearer ${fake.token}` }),
    });

    const incident = fake.state.addIncident(monitor);
    await expect(
      runner.invoke<Json>('better_stack', {
        kind: 'action',
        name: 'acknowledgeIncident',
        input: { incidentId: incident.id, acknowledgedBy: 'ana@example.com' },
        context,
      }),
    ).resolves.toMatchObject({ id: incident.id, status: 'Acknowledged', changed: true });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `/api/v3/incidents/${incident.id}/acknowledge`,
      body: { acknowledged_by: 'ana@example.com' },
    });

    const hook = betterStackIncidentWebhook('started', incident);
    const inbound = (query: Record<string, string>) => ({ method: 'POST', headers: hook.headers, query, rawBody: hook.rawBody, body: hook.body });
    await expect(runner.invoke('better_stack', { kind: 'webhookVerify', input: inbound({ token: WEBHOOK_TOKEN }), context })).resolves.toBe(true);
    await expect(runner.invoke('better_stack', { kind: 'webhookVerify', input: inbound({ token: 'whtok_guessed_guessed_guessed' }), context })).resolves.toBe(
      false,
    );
    await expect(runner.invoke('better_stack', { kind: 'webhookToEvents', input: inbound({ token: WEBHOOK_TOKEN }), context })).resolves.toEqual([
      { event: 'monitoring.incident.opened', data: expect.objectContaining({ provider: 'better_stack', incidentId: incident.id, monitorId: monitor.id }) },
    ]);

    await expect(runner.invoke('better_stack', { kind: 'action', name: 'resolveIncident', input: { incidentId: '999' }, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Better Stack has no incident 999 that this token can see.',
    });
  });
});
