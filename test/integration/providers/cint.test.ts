import type { VerifyResult } from '../../../src/sdk/index.js';
import { CINT_ACCOUNT_ID, CINT_API_VERSION, CINT_PROJECT_MANAGER_ID, CINT_TEST_CLIENT, startFakeCint, type FakeCint } from '../../fixtures/providers/cint.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * Cint as the host runs it: the bundled plugin in a child process, the host obtaining the JWT from
 * auth.cint.com and sending it with Cint-API-Version, PROVIDER_ORIGIN_OVERRIDES pointing both Cint origins at the fake.
 */
describe('cint in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeCint;

  beforeAll(async () => {
    fake = await startFakeCint();
    host = await startProviderHost({ fakes: [fake], integration: { id: '3c2b1a0f-9e8d-4c7b-8a6f-5e4d3c2b1a0f', accountId: 'acct_cint' } });
  });
  afterAll(() => host?.close());

  it('verifies, creates and launches a target group, reads its progress, and refuses wrong credentials as 422', async () => {
    const { runner } = host;
    const metadata = { accountId: CINT_ACCOUNT_ID };
    const verified = await runner.invoke<VerifyResult>('cint', { kind: 'verify', context: host.context(CINT_TEST_CLIENT, {}, metadata) });
    expect(verified).toEqual({ displayName: `Cint: Acme Research (${CINT_ACCOUNT_ID})`, metadata: { accountName: 'Acme Research' } });
    const accounts = fake.state.requests.find((request) => request.path === '/v1/accounts')!;
    expect(accounts.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(accounts.headers['cint-api-version']).toBe(CINT_API_VERSION);

    const context = host.context(CINT_TEST_CLIENT, {}, { ...metadata, ...verified.metadata });
    const project = fake.state.addProject('Brand lift Q2');
    const created = await runner.invoke<Json>('cint', {
      kind: 'action',
      name: 'createTargetGroup',
      input: {
        projectId: project.id,
        name: 'Exposed cell — US',
        countryCode: 'US',
        quota: 400,
        cpi: { amount: 250, currency: 'USD' },
        projectManagerId: CINT_PROJECT_MANAGER_ID,
        endAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        liveUrl: 'https://survey.example.com/s/abc',
      },
      context,
    });
    expect(created).toMatchObject({ locale: 'eng_us', status: 'draft', currency: 'USD' });
    expect(fake.state.targetGroups.at(-1)!.body).toMatchObject({ completes_goal: 400, cost_per_interview: { value: '2.50', currency_code: 'USD' } });

    const launched = await runner.invoke<Json>('cint', {
      kind: 'action',
      name: 'launchTargetGroup',
      input: { projectId: project.id, targetGroupId: created.targetGroupId, endFieldingAt: new Date(Date.now() + 7 * 86_400_000).toISOString() },
      context,
    });
    expect(launched).toMatchObject({ status: 'Completed' });
    fake.state.targetGroups.at(-1)!.completes = 100;
    await expect(
      runner.invoke<Json>('cint', {
        kind: 'action',
        name: 'getTargetGroupProgress',
        input: { projectId: project.id, targetGroupId: created.targetGroupId },
        context,
      }),
    ).resolves.toMatchObject({ status: 'live', completes: 100, fillingGoal: 400, progressPercent: 25 });

    await expect(
      runner.invoke('cint', { kind: 'verify', context: host.context({ clientId: CINT_TEST_CLIENT.clientId, clientSecret: 'wrong_secret_000' }, {}, metadata) }),
    ).rejects.toMatchObject({ status: 422, code: 'provider_rejected', message: expect.stringContaining('Unauthorized') });
  });
});
