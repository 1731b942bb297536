import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeClarity, type FakeClarity } from '../../fixtures/providers/microsoft-clarity.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Microsoft Clarity as the host runs it: the bundled plugin in a child process, the Data Export API token
 * applied by the host as a bearer token, the declared daily budget kept by the host, and
 * PROVIDER_ORIGIN_OVERRIDES pointing https://www.clarity.ms at the local fake.
 */
describe('microsoft_clarity through the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeClarity;

  beforeAll(async () => {
    fake = await startFakeClarity();
    host = await startProviderHost({ fakes: [fake], integration: { id: '3e5a7c9b-2d4f-4b6a-8c0e-1f3a5b7d9c2e', accountId: 'acct_clarity' } });
  });
  afterAll(() => host?.close());

  it('verifies without a request, gets live insights, and refuses an unknown token as 422', async () => {
    const { runner } = host;
    const context = host.context({ projectId: fake.projectId, apiToken: fake.token });
    await expect(runner.invoke<VerifyResult>('microsoft_clarity', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: `Clarity project ${fake.projectId}`,
      metadata: { projectId: fake.projectId, verifiedWithClarity: false },
    });
    expect(fake.state.requests).toHaveLength(0);

    fake.state.addSession(fake.projectId, { dimensions: { Device: 'Mobile' } });
    const insights = await runner.invoke<Json>('microsoft_clarity', {
      kind: 'action',
      name: 'getLiveInsights',
      input: { numOfDays: 2, dimensions: ['Device'] },
      context,
    });
    expect(insights).toMatchObject({ projectId: fake.projectId, numOfDays: 2, dimensions: ['Device'] });
    expect(insights.metrics[0]).toEqual({
      metricName: 'Traffic',
      information: [{ totalSessionCount: '1', totalBotSessionCount: '0', distantUserCount: '1', PagesPerSessionPercentage: 2, Device: 'Mobile' }],
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/export-data/api/v1/project-live-insights',
      query: { numOfDays: '2', dimension1: 'Device' },
      headers: expect.objectContaining({ authorization: `Bearer ${fake.token}` }),
    });

    const unknown = host.context({ projectId: fake.projectId, apiToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' });
    await expect(
      runner.invoke('microsoft_clarity', { kind: 'action', name: 'getLiveInsights', input: { numOfDays: 1 }, context: unknown }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringMatching(/^Clarity refused the Data Export API token \(401 Unauthorized\)/),
    });
  });
});
