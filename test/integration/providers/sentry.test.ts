import type { VerifyResult } from '../../../src/sdk/index.js';
import { sentryWebhook, startFakeSentry, type FakeSentry } from '../../fixtures/providers/sentry.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Sentry as the host runs it: the bundled plugin in a child process, its base URL built from the connection's
 * region and organization slug, the token applied by the host, PROVIDER_ORIGIN_OVERRIDES pointing
 * https://us.sentry.io and https://de.sentry.io at the local fake.
 */
describe('sentry through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeSentry;

  beforeAll(async () => {
    fake = await startFakeSentry();
    host = await startProviderHost({ fakes: [fake], integration: { id: '5a7c9e1b-3d5f-4a6b-8c9d-0e1f2a3b4c5d', accountId: 'acct_sentry' } });
  });
  afterAll(() => host?.close());

  it('verifies, resolves an issue, checks webhook signatures, and refuses an unknown issue as 422', async () => {
    const { runner } = host;
    const context = host.context({ authToken: fake.token, clientSecret: fake.state.clientSecret }, {}, { region: 'us', organizationSlug: 'acme' });
    await expect(runner.invoke<VerifyResult>('sentry', { kind: 'verify', context })).resolves.toEqual({
      displayName: 'Acme Events',
      metadata: {
        organizationId: fake.organization.id,
        organizationSlug: 'acme',
        organizationName: 'Acme Events',
        regionUrl: 'https://us.sentry.io',
        organizationUrl: 'https://acme.sentry.io',
      },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      region: 'us',
      path: '/api/0/organizations/acme/',
      headers: expect.objectContaining({ authorization: `Bearer ${fake.token}` }),
    });

    const issue = fake.state.addIssue('acme', 'web', { title: 'ReferenceError: blooopy is not defined' });
    await expect(runner.invoke<Json>('sentry', { kind: 'action', name: 'resolveIssue', input: { issueId: issue.id }, context })).resolves.toMatchObject({
      id: issue.id,
      status: 'resolved',
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'PUT', path: `/api/0/organizations/acme/issues/${issue.id}/`, body: { status: 'resolved' } });

    const hook = sentryWebhook(fake.state.clientSecret, 'issue', 'resolved', {
      issue: { id: issue.id, title: issue.title, level: 'error', status: 'resolved' },
    });
    const inbound = (headers: Record<string, string>) => ({ method: 'POST', headers, query: {}, rawBody: hook.rawBody, body: hook.body });
    await expect(runner.invoke('sentry', { kind: 'webhookVerify', input: inbound(hook.headers), context })).resolves.toBe(true);
    const forged = { ...hook.headers, 'sentry-hook-signature': 'a'.repeat(64) };
    await expect(runner.invoke('sentry', { kind: 'webhookVerify', input: inbound(forged), context })).resolves.toBe(false);
    await expect(runner.invoke('sentry', { kind: 'webhookToEvents', input: inbound(hook.headers), context })).resolves.toEqual([
      {
        event: 'monitoring.incident.resolved',
        data: expect.objectContaining({ provider: 'sentry', incidentId: issue.id, title: issue.title, resolvedAt: expect.any(String) }),
      },
    ]);

    await expect(runner.invoke('sentry', { kind: 'action', name: 'resolveIssue', input: { issueId: '424242' }, context })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: 'Sentry has no issue 424242 in the organization "acme" that this token can see.',
    });
  });
});
