import {
  CINT_ACCOUNT_ID,
  CINT_API_VERSION,
  CINT_PROJECT_MANAGER_ID,
  CINT_TEST_CLIENT,
  fakeUlid,
  startFakeCint,
  type FakeCint,
} from '../fixtures/providers/cint.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeCint;

beforeAll(async () => {
  plugin = await loadBundledPlugin('cint');
  provider = plugin.providers[0];
  fake = await startFakeCint();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.state.requests.length = 0;
  fake.state.projects.length = 0;
  fake.state.targetGroups.length = 0;
  fake.state.idempotency.clear();
  fake.state.throttleNext = 0;
  fake.state.businessUnits.splice(0, fake.state.businessUnits.length, {
    id: 1234,
    name: 'Brand studies US',
    currency_code: 'USD',
    pricing_models: ['dynamic'],
  });
});

const harness = (metadata: Json = { accountId: CINT_ACCOUNT_ID }, credentials: Json = CINT_TEST_CLIENT) =>
  createHarness(plugin, { provider: 'cint', credentials, integration: { metadata }, http: forwardTo(fake.origins) });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const apiRequests = () => fake.state.requests.filter((request) => request.path.startsWith('/v1/'));

describe('cint plugin: declaration', () => {
  it('obtains a JWT from auth.cint.com and sends it with the pinned Cint-API-Version', () => {
    expect(provider).toMatchObject({
      id: 'cint',
      category: 'surveys',
      baseUrl: 'https://api.cint.com/v1',
      auth: {
        type: 'api_key',
        token: {
          url: 'https://auth.cint.com/oauth/token',
          body: { grant_type: 'client_credentials', auth_scopes: 'app:api', audience: 'https://api.luc.id' },
        },
        apply: { headers: { Authorization: 'Bearer {accessToken}', 'Cint-API-Version': '2025-12-18' } },
      },
      connectionInputs: { required: ['accountId'], properties: { accountId: { type: 'integer' } } },
      rateLimits: [{ requests: 10, windowMs: 1000, scope: 'account', accountKey: 'accountId' }],
    });
    expect(provider.auth.credentialsSchema.properties.clientSecret.secret).toBe(true);
  });

  it('refuses malformed inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const create = ajv.compile(provider.actions.createTargetGroup.inputSchema);
    const valid = {
      projectId: fakeUlid(),
      name: 'Brand lift wave 1',
      countryCode: 'US',
      quota: 400,
      projectManagerId: CINT_PROJECT_MANAGER_ID,
      endAt: inDays(7),
    };
    expect(create(valid)).toBe(true);
    expect(create({ ...valid, countryCode: 'USA' })).toBe(false);
    expect(create({ ...valid, quota: 0 })).toBe(false);
    expect(create({ ...valid, quota: 10.5 })).toBe(false);
    expect(create({ ...valid, loi: 60 })).toBe(false);
    expect(create({ ...valid, incidence: 0 })).toBe(false);
    expect(create({ ...valid, cpi: { amount: 2.5, currency: 'USD' } })).toBe(false);
    expect(create({ ...valid, projectId: 'not-a-ulid' })).toBe(false);
    expect(create({ ...valid, liveUrl: 'http://survey.example.com' })).toBe(false);
    expect(create({ ...valid, name: 'tiny' })).toBe(false);
    expect(create({ ...valid, surprise: true })).toBe(false);
    const list = ajv.compile(provider.actions.listTargetGroups.inputSchema);
    expect(list({ projectId: valid.projectId, status: ['live', 'paused'], pageSize: 100 })).toBe(true);
    expect(list({ projectId: valid.projectId, status: ['running'] })).toBe(false);
    expect(list({ projectId: valid.projectId, pageSize: 101 })).toBe(false);
  });
});

describe('cint plugin: verify and errors', () => {
  it('verifies the account is reachable with a token from client credentials', async () => {
    const h = harness();
    await expect(h.verify()).resolves.toEqual({ displayName: `Cint: Acme Research (${CINT_ACCOUNT_ID})`, metadata: { accountName: 'Acme Research' } });
    const [token, accounts] = fake.state.requests;
    expect(token).toMatchObject({ method: 'POST', path: '/oauth/token' });
    expect(token.body).toEqual({
      client_id: CINT_TEST_CLIENT.clientId,
      client_secret: CINT_TEST_CLIENT.clientSecret,
      grant_type: 'client_credentials',
      auth_scopes: 'app:api',
      audience: 'https://api.luc.id',
    });
    expect(accounts).toMatchObject({ method: 'GET', path: '/v1/accounts' });
    expect(accounts.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(accounts.headers['cint-api-version']).toBe(CINT_API_VERSION);
    await h.healthCheck();
    expect(fake.state.requests.at(-1)).toMatchObject({ path: `/v1/demand/accounts/${CINT_ACCOUNT_ID}/projects`, query: { page_size: '1' } });
    expect(fake.state.requests.filter((request) => request.path === '/oauth/token')).toHaveLength(1);
  });

  it('refuses an unreachable account, wrong credentials, and reads 429 as a rate limit', async () => {
    await expect(harness({ accountId: 777 }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `These Cint credentials cannot reach account 777; they reach: ${CINT_ACCOUNT_ID} (Acme Research), 101 (Acme Sandbox).`,
    });
    await expect(harness(undefined, { clientId: CINT_TEST_CLIENT.clientId, clientSecret: 'wrong_secret_000' }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'The provider refused the credentials: Unauthorized',
    });
    fake.state.throttleNext = 1;
    const project = fake.state.addProject('Brand lift Q2');
    await expect(harness().action('listTargetGroups', { projectId: project.id })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      retryAfterSeconds: 3,
      message: expect.stringContaining('Rate limit exceeded'),
    });
  });
});

describe('cint plugin: createTargetGroup', () => {
  it('creates a draft with the country’s preferred locale, completes goal and the CPI in decimal', async () => {
    const project = fake.state.addProject('Brand lift Q2');
    const endAt = inDays(10);
    const result = await harness().action<Json>('createTargetGroup', {
      projectId: project.id,
      name: 'Exposed cell — US',
      countryCode: 'us',
      quota: 400,
      loi: 8,
      incidence: 35,
      cpi: { amount: 275, currency: 'USD' },
      projectManagerId: CINT_PROJECT_MANAGER_ID,
      endAt,
      liveUrl: 'https://survey.example.com/s/abc?rid=[%RID%]',
      idempotencyKey: 'brandlift-exposed-us-1',
    });
    expect(result).toEqual({
      targetGroupId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      projectId: project.id,
      locale: 'eng_us',
      status: 'draft',
      businessUnitId: '1234',
      currency: 'USD',
    });
    const create = fake.state.requests.at(-1)!;
    expect(create).toMatchObject({ method: 'POST', path: `/v1/demand/accounts/${CINT_ACCOUNT_ID}/projects/${project.id}/target-groups` });
    expect(create.headers['idempotency-key']).toBe('brandlift-exposed-us-1');
    expect(create.body).toMatchObject({
      name: 'Exposed cell — US',
      business_unit_id: '1234',
      locale: 'eng_us',
      project_manager_id: CINT_PROJECT_MANAGER_ID,
      completes_goal: 400,
      expected_length_of_interview_minutes: 8,
      expected_incidence_rate: 0.35,
      collects_pii: false,
      cost_per_interview: { value: '2.75', currency_code: 'USD' },
      fielding_specification: { end_at: endAt },
      live_url: 'https://survey.example.com/s/abc?rid=[%RID%]',
      allocations: { open_exchange_allocations: { blocked_supplier_ids: [], exchange_min_percentage: 0, exchange_max_percentage: 100, groups: [] } },
    });
    expect(apiRequests().map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /v1/accounts/${CINT_ACCOUNT_ID}/business-units`,
      'GET /v1/locales',
      `POST /v1/demand/accounts/${CINT_ACCOUNT_ID}/projects/${project.id}/target-groups`,
    ]);
  });

  it('refuses a CPI in another currency or on rate card pricing, an unknown country, and shows Cint’s invalid params', async () => {
    const project = fake.state.addProject('Brand lift Q2');
    const input = {
      projectId: project.id,
      name: 'Control cell — DE',
      countryCode: 'DE',
      quota: 300,
      projectManagerId: CINT_PROJECT_MANAGER_ID,
      endAt: inDays(5),
    };
    await expect(harness().action('createTargetGroup', { ...input, cpi: { amount: 300, currency: 'EUR' } })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('billed in USD'),
    });
    await expect(harness().action('createTargetGroup', { ...input, countryCode: 'ZZ' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Cint has no locale for the country ZZ.',
    });
    await expect(harness().action('createTargetGroup', { ...input, languageCode: 'fra' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Cint does not offer fra in DE; it offers deu.',
    });
    await expect(harness().action('createTargetGroup', { ...input, startAt: inDays(6) })).rejects.toMatchObject({ message: 'endAt must be after startAt.' });
    fake.state.businessUnits.splice(0, 1, { id: 1234, name: 'Brand studies US', currency_code: 'USD', pricing_models: ['rate_card'] });
    await expect(harness().action('createTargetGroup', { ...input, cpi: { amount: 300, currency: 'USD' } })).rejects.toMatchObject({
      message: expect.stringContaining('rate card pricing'),
    });
    fake.state.businessUnits.push({ id: 99, name: 'EU', currency_code: 'EUR', pricing_models: ['dynamic'] });
    await expect(harness().action('createTargetGroup', input)).rejects.toMatchObject({ message: expect.stringContaining('Choose the businessUnitId') });
    await expect(harness().action('createTargetGroup', { ...input, businessUnitId: '99', name: 'Control cell — DE × 2', quota: 300 })).resolves.toMatchObject({
      locale: 'deu_de',
      currency: 'EUR',
    });
    // Cint's own validation answer reads as its detail and each invalid parameter.
    const invalid = await harness()
      .action('createTargetGroup', { ...input, businessUnitId: '99', projectId: fakeUlid() })
      .catch((error: Error) => error);
    expect(invalid).toMatchObject({ code: 'provider_rejected', message: expect.stringMatching(/^project not found \(not_found_error, id [0-9a-f-]{36}\)$/) });
    await expect(
      harness().action('createTargetGroup', { ...input, businessUnitId: '99', projectManagerId: '0f3c1a2b-4d5e-4f6a-8b7c-9d0e1f2a3b4c' }),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^The request body is invalid\. — project_manager_id: not a user of the account \(bad_request_error, id [0-9a-f-]{36}\)$/),
    });
  });
});

describe('cint plugin: launch, progress and lists', () => {
  it('launches a draft through a launch-from-draft job and reads the job’s outcome', async () => {
    const project = fake.state.addProject('Brand lift Q2');
    const ready = fake.state.addTargetGroup(project.id, 'Exposed cell — US', 'draft', 0, 400);
    ready.body.live_url = 'https://survey.example.com/s/abc';
    const endFieldingAt = inDays(7);
    const launched = await harness().action<Json>('launchTargetGroup', {
      projectId: project.id,
      targetGroupId: ready.id,
      endFieldingAt,
      idempotencyKey: 'launch-exposed-1',
    });
    expect(launched).toEqual({
      jobId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'Completed',
      fieldingRunId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      failure: null,
    });
    const [post, job] = apiRequests().slice(-2);
    expect(post).toMatchObject({
      method: 'POST',
      path: `/v1/demand/accounts/${CINT_ACCOUNT_ID}/projects/${project.id}/target-groups/${ready.id}/fielding-run-jobs/launch-from-draft`,
      body: { end_fielding_at: endFieldingAt },
    });
    expect(post.headers['idempotency-key']).toBe('launch-exposed-1');
    expect(job).toMatchObject({ method: 'GET', path: `${post.path}/${launched.jobId}` });
    expect(ready.status).toBe('live');

    const incomplete = fake.state.addTargetGroup(project.id, 'Control cell — US', 'draft', 0, 400);
    await expect(harness().action('launchTargetGroup', { projectId: project.id, targetGroupId: incomplete.id, endFieldingAt })).resolves.toMatchObject({
      status: 'Failed',
      failure: 'The target group cannot be launched; A live URL is required to launch',
    });
    await expect(
      harness().action('launchTargetGroup', { projectId: project.id, targetGroupId: incomplete.id, endFieldingAt: inDays(-1) }),
    ).rejects.toMatchObject({
      message: 'endFieldingAt must be in the future.',
    });
  });

  it('reports progress of a live target group in minor units, and of a draft', async () => {
    const project = fake.state.addProject('Brand lift Q2');
    const live = fake.state.addTargetGroup(project.id, 'Exposed cell — US', 'live', 130, 400);
    await expect(harness().action<Json>('getTargetGroupProgress', { projectId: project.id, targetGroupId: live.id })).resolves.toEqual({
      targetGroupId: live.id,
      name: 'Exposed cell — US',
      status: 'live',
      completes: 130,
      prescreens: 137,
      fillingGoal: 400,
      fillingStrategy: 'completes',
      progressPercent: 32.5,
      countryCode: 'US',
      languageCode: 'eng',
      incidenceRate: 0.42,
      conversionRate: 0.31,
      dropOffRate: 0.12,
      currentCostPerInterview: { amount: 274, currency: 'USD', value: '2.7352' },
      currentCost: { amount: 35558, currency: 'USD', value: '355.5760' },
    });
    const draft = fake.state.addTargetGroup(project.id, 'Control cell — US', 'draft', 0, 250);
    await expect(harness().action<Json>('getTargetGroupProgress', { projectId: project.id, targetGroupId: draft.id })).resolves.toMatchObject({
      status: 'draft',
      completes: 0,
      fillingGoal: 250,
      progressPercent: 0,
      countryCode: 'US',
      languageCode: 'eng',
    });
    expect(
      apiRequests()
        .slice(-2)
        .map((request) => request.path.split('/').pop()),
    ).toEqual(['overview', draft.id]);
  });

  it('lists a page of target groups and continues from its cursor', async () => {
    const project = fake.state.addProject('Brand lift Q2');
    for (let index = 0; index < 3; index += 1) fake.state.addTargetGroup(project.id, `Cell number ${index}`, 'live', index * 10, 100);
    const first = await harness().action<Json>('listTargetGroups', { projectId: project.id, pageSize: 2, status: ['live'] });
    expect(first).toMatchObject({ hasMore: true, nextCursor: expect.stringMatching(/^cur_/) });
    expect(first.targetGroups.map((group: Json) => group.name)).toEqual(['Cell number 0', 'Cell number 1']);
    expect(first.targetGroups[1]).toMatchObject({
      projectId: project.id,
      status: 'live',
      completes: 10,
      fillingGoal: 100,
      progressPercent: 10,
      averageCostPerInterview: { amount: 274, currency: 'USD', value: '2.7352' },
    });
    expect(fake.state.requests.at(-1)!.query).toEqual({ page_size: '2', status: 'live' });
    const second = await harness().action<Json>('listTargetGroups', { projectId: project.id, pageSize: 2, startAfter: first.nextCursor });
    expect(second).toMatchObject({ hasMore: false, nextCursor: null, targetGroups: [expect.objectContaining({ name: 'Cell number 2' })] });
  });
});

describe('cint plugin: sync', () => {
  it('syncs every target group of every project with its progress, page by page', async () => {
    const projects = Array.from({ length: 3 }, (_, index) => fake.state.addProject(`Brand lift wave ${index}`));
    for (let index = 0; index < 105; index += 1) fake.state.addTargetGroup(projects[0].id, `Cell number ${index}`, 'live', index, 200);
    fake.state.addTargetGroup(projects[2].id, 'Control cell', 'completed', 300, 300);
    const result = await harness().sync();
    expect(result.records!.targetGroups).toHaveLength(106);
    expect(result.records!.targetGroups.at(-1)).toMatchObject({
      projectId: projects[2].id,
      projectName: 'Brand lift wave 2',
      status: 'completed',
      completes: 300,
      progressPercent: 100,
      lastCompleteAt: '2026-03-02T12:00:00.000Z',
    });
    const pages = apiRequests().filter((request) => request.path.endsWith(`/projects/${projects[0].id}/target-groups`));
    expect(pages.map((request) => request.query)).toEqual([{ page_size: '100' }, { page_size: '100', start_after: expect.stringMatching(/^cur_/) }]);
  });
});
