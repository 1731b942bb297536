import { createHmac } from 'node:crypto';
import {
  INSIGHTIQ_TEST_CLIENT,
  INSIGHTIQ_WEBHOOK_SECRET,
  INSTAGRAM_WORK_PLATFORM_ID,
  signInsightIQWebhook,
  startFakeInsightIQ,
  type FakeInsightIQ,
} from '../fixtures/providers/insightiq.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let provider: Json;
let fake: FakeInsightIQ;

const CREDENTIALS = { ...INSIGHTIQ_TEST_CLIENT, webhookSecret: INSIGHTIQ_WEBHOOK_SECRET };
const BASIC = `Basic ${Buffer.from(`${INSIGHTIQ_TEST_CLIENT.clientId}:${INSIGHTIQ_TEST_CLIENT.clientSecret}`).toString('base64')}`;
const VERIFIED = { environment: 'sandbox', apiHost: 'api.sandbox.insightiq.ai' };

beforeAll(async () => {
  plugin = await loadBundledPlugin('insightiq');
  provider = plugin.providers[0];
  fake = await startFakeInsightIQ();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.state.requests.length = 0;
  fake.state.users.length = 0;
  fake.state.profiles.length = 0;
  fake.state.audiences.clear();
  fake.state.creators.clear();
  fake.state.sdkTokens.length = 0;
  fake.state.throttleNext = 0;
});

const harness = (metadata: Json = VERIFIED, credentials: Json = CREDENTIALS) =>
  createHarness(plugin, { provider: 'insightiq', credentials, integration: { metadata }, http: forwardTo(fake.origins) });

describe('insightiq plugin: declaration', () => {
  it('sends the client ID and secret as HTTP Basic to the environment’s host', () => {
    expect(provider).toMatchObject({
      id: 'insightiq',
      category: 'analytics',
      baseUrl: 'https://{apiHost}',
      auth: { type: 'basic', apply: { basic: { username: '{clientId}', password: '{clientSecret}' } } },
      connectionInputs: { required: ['environment'], properties: { environment: { enum: ['sandbox', 'staging', 'production'] } } },
      rateLimits: [{ requests: 10, windowMs: 1000, scope: 'connection' }],
    });
    for (const field of ['clientId', 'clientSecret', 'webhookSecret']) expect(provider.auth.credentialsSchema.properties[field].secret).toBe(true);
  });

  it('refuses malformed inputs at the schema', () => {
    const ajv = createSchemaCompiler();
    const profile = ajv.compile(provider.actions.getProfile.inputSchema);
    expect(profile({ workPlatformId: INSTAGRAM_WORK_PLATFORM_ID, identifier: 'natgeo' })).toBe(true);
    expect(profile({ workPlatformId: 'instagram', identifier: 'natgeo' })).toBe(false);
    expect(profile({ workPlatformId: INSTAGRAM_WORK_PLATFORM_ID, identifier: 'nat geo' })).toBe(false);
    expect(profile({ workPlatformId: INSTAGRAM_WORK_PLATFORM_ID, identifier: 'natgeo', extra: 1 })).toBe(false);
    const token = ajv.compile(provider.actions.createSdkToken.inputSchema);
    expect(token({ userId: '0f3c1a2b-4d5e-4f6a-8b7c-9d0e1f2a3b4c', products: ['IDENTITY', 'ENGAGEMENT'] })).toBe(true);
    expect(token({ externalId: 'creator_42', products: ['IDENTITY.AUDIENCE'] })).toBe(true);
    expect(token({ products: ['IDENTITY'] })).toBe(false);
    expect(token({ userId: '0f3c1a2b-4d5e-4f6a-8b7c-9d0e1f2a3b4c', externalId: 'creator_42', products: ['IDENTITY'] })).toBe(false);
    expect(token({ externalId: 'creator_42', products: ['IDENTITY', 'IDENTITY'] })).toBe(false);
    expect(token({ externalId: 'creator_42', products: ['PAYOUTS'] })).toBe(false);
    expect(token({ externalId: 'creator_42', products: [] })).toBe(false);
    const list = ajv.compile(provider.actions.listWorkPlatforms.inputSchema);
    expect(list({ limit: 101 })).toBe(false);
    expect(list({ name: 'Instagram', limit: 5 })).toBe(true);
  });
});

describe('insightiq plugin: verify and errors', () => {
  it('verifies against the chosen environment’s host with HTTP Basic and stores that host', async () => {
    await expect(harness({ environment: 'sandbox' }).verify()).resolves.toEqual({
      displayName: 'InsightIQ sandbox',
      metadata: { apiHost: 'api.sandbox.insightiq.ai', workPlatformsListed: true },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/work-platforms',
      query: { limit: '1', offset: '0' },
      headers: expect.objectContaining({ authorization: BASIC }),
    });
    const production = harness({ environment: 'production' });
    await expect(production.verify()).resolves.toMatchObject({ metadata: { apiHost: 'api.insightiq.ai' } });
    expect(production.requests.at(-1)!.url).toBe('https://api.insightiq.ai/v1/work-platforms?limit=1&offset=0');
    await expect(harness({}).verify()).rejects.toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('No InsightIQ environment') });
  });

  it('refuses wrong credentials with InsightIQ’s message and reads 429 as a rate limit', async () => {
    await expect(
      harness({ environment: 'staging' }, { clientId: INSIGHTIQ_TEST_CLIENT.clientId, clientSecret: 'wrong-secret-0000' }).verify(),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'InsightIQ (staging) refused the client ID and secret: Invalid client id or secret (invalid_client_credentials, request_id req_invalid__401). Use the API credentials of the staging environment.',
    });
    fake.state.throttleNext = 1;
    await expect(harness().action('listWorkPlatforms', { limit: 1 })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterSeconds: 2 });
  });

  it('refuses calls of a connection not verified for its environment, and runs the health check', async () => {
    await expect(harness({ environment: 'production', apiHost: 'api.sandbox.insightiq.ai' }).action('listWorkPlatforms')).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('not been verified'),
    });
    expect(fake.state.requests).toHaveLength(0);
    await harness().healthCheck();
    expect(fake.state.requests.at(-1)).toMatchObject({
      path: '/v1/work-platforms',
      query: { limit: '1' },
      headers: expect.objectContaining({ authorization: BASIC }),
    });
  });
});

describe('insightiq plugin: actions', () => {
  it('lists work platforms with their products, by name', async () => {
    const result = await harness().action<Json>('listWorkPlatforms', { name: 'Instagram', limit: 5 });
    expect(result).toEqual({
      offset: 0,
      limit: 5,
      workPlatforms: [
        expect.objectContaining({
          id: INSTAGRAM_WORK_PLATFORM_ID,
          name: 'Instagram',
          category: 'SOCIAL',
          products: { identity: true, identityAudience: true, engagement: true, engagementAudience: true, income: false },
        }),
      ],
    });
    expect(fake.state.requests.at(-1)!.query).toEqual({ limit: '5', offset: '0', name: 'Instagram' });
  });

  it('gets a public creator profile by handle (leading @ dropped) and explains a miss', async () => {
    fake.state.addCreator(INSTAGRAM_WORK_PLATFORM_ID, 'natgeo', 283_000_000);
    const profile = await harness().action<Json>('getProfile', { workPlatformId: INSTAGRAM_WORK_PLATFORM_ID, identifier: '@natgeo' });
    expect(profile).toMatchObject({
      workPlatform: { id: INSTAGRAM_WORK_PLATFORM_ID, name: 'Instagram' },
      platformUsername: 'natgeo',
      followerCount: 283_000_000,
      engagementRate: 0.0213,
      averageLikes: 4_200_000,
      isVerified: true,
      audience: { countries: [{ code: 'US', value: 21.4 }] },
    });
    const sent = fake.state.requests.at(-1)!;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/social/creators/profiles/analytics', headers: expect.objectContaining({ authorization: BASIC }) });
    expect(sent.body).toEqual({ identifier: 'natgeo', work_platform_id: INSTAGRAM_WORK_PLATFORM_ID });
    await expect(harness().action('getProfile', { workPlatformId: INSTAGRAM_WORK_PLATFORM_ID, identifier: 'nobody_here' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'No public profile found for nobody_here (profile_not_found, request_id req_profile__404)',
    });
  });

  it('creates a user by external id once, then SDK tokens for it', async () => {
    const h = harness();
    const first = await h.action<Json>('createSdkToken', { externalId: 'creator_42', name: 'Ana', products: ['IDENTITY', 'ENGAGEMENT.AUDIENCE'] });
    expect(first).toEqual({ userId: expect.any(String), sdkToken: expect.stringMatching(/^eyJ/), expiresAt: '2026-03-08T10:00:00.000000', userCreated: true });
    expect(fake.state.users).toEqual([expect.objectContaining({ id: first.userId, name: 'Ana', external_id: 'creator_42' })]);
    expect(fake.state.sdkTokens.at(-1)).toMatchObject({ user_id: first.userId, products: ['IDENTITY', 'ENGAGEMENT.AUDIENCE'] });
    expect(fake.state.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v1/users/external_id/creator_42',
      'POST /v1/users',
      'POST /v1/sdk-tokens',
    ]);

    const again = await h.action<Json>('createSdkToken', { externalId: 'creator_42', products: ['INCOME'] });
    expect(again).toMatchObject({ userId: first.userId, userCreated: false });
    expect(fake.state.users).toHaveLength(1);

    const byId = await h.action<Json>('createSdkToken', { userId: first.userId, products: ['IDENTITY'] });
    expect(byId).toMatchObject({ userId: first.userId, userCreated: false });
    expect(fake.state.requests.at(-1)!.body).toEqual({ user_id: first.userId, products: ['IDENTITY'] });

    await expect(h.action('createSdkToken', { userId: '0f3c1a2b-4d5e-4f6a-8b7c-9d0e1f2a3b4c', products: ['IDENTITY'] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Incorrect user_id \(incorrect_user_id/),
    });
  });
});

describe('insightiq plugin: sync', () => {
  it('syncs every profile page by page and the audience of each account that has one', async () => {
    for (let index = 0; index < 130; index += 1) fake.state.addProfile(`creator_${index}`);
    const [withAudience] = fake.state.profiles;
    fake.state.audiences.set(withAudience.account.id, {
      work_platform: withAudience.work_platform,
      countries: [{ code: 'US', value: 40.5 }],
      cities: [{ name: 'Austin', value: 3.2 }],
      gender_age_distribution: [{ gender: 'MALE', age_range: '25-34', value: 22.1 }],
      updated_at: '2026-02-27T00:00:00.000000',
    });
    const result = await harness().sync();
    expect(result.records!.profiles).toHaveLength(130);
    expect(result.records!.profiles[0]).toMatchObject({
      id: withAudience.id,
      accountId: withAudience.account.id,
      platformUsername: 'creator_0',
      followerCount: 12_500,
      contentCount: 214,
      workPlatform: { id: INSTAGRAM_WORK_PLATFORM_ID },
    });
    expect(result.records!.audience).toEqual([
      {
        id: withAudience.account.id,
        workPlatform: expect.objectContaining({ name: 'Instagram' }),
        countries: [{ code: 'US', value: 40.5 }],
        cities: [{ name: 'Austin', value: 3.2 }],
        genderAgeDistribution: [{ gender: 'MALE', ageRange: '25-34', value: 22.1 }],
        updatedAt: '2026-02-27T00:00:00.000000',
      },
    ]);
    const pages = fake.state.requests.filter((request) => request.path === '/v1/profiles');
    expect(pages.map((request) => request.query)).toEqual([
      { limit: '100', offset: '0' },
      { limit: '100', offset: '100' },
    ]);
    expect(fake.state.requests.filter((request) => request.path === '/v1/audience')).toHaveLength(130);
  });
});

describe('insightiq plugin: webhook', () => {
  const rawBody = JSON.stringify({
    id: 'a3b1c2d4-0000-4000-8000-000000000001',
    event: 'PROFILES.ADDED',
    name: 'profiles added',
    data: { account_id: '4f1e2d3c-5b6a-4978-8a9b-0c1d2e3f4a5b', user_id: '0f3c1a2b-4d5e-4f6a-8b7c-9d0e1f2a3b4c', last_updated_time: '2026-03-01T10:00:00' },
  });

  it('accepts a delivery with one matching Webhook-Signatures entry, refuses others', async () => {
    const h = harness();
    const signature = signInsightIQWebhook(rawBody);
    // The signature is HMAC-SHA256 of the exact body bytes under the webhook secret, as hex.
    expect(signature).toBe(createHmac('sha256', INSIGHTIQ_WEBHOOK_SECRET).update(rawBody).digest('hex'));
    await expect(h.webhookVerify({ rawBody, headers: { 'webhook-signatures': signature } })).resolves.toBe(true);
    await expect(h.webhookVerify({ rawBody, headers: { 'Webhook-Signatures': `${'0'.repeat(64)}, ${signature}` } })).resolves.toBe(true);
    await expect(h.webhookVerify({ rawBody: `${rawBody} `, headers: { 'webhook-signatures': signature } })).resolves.toBe(false);
    await expect(h.webhookVerify({ rawBody, headers: { 'webhook-signatures': signInsightIQWebhook(rawBody, 'another-secret-value') } })).resolves.toBe(false);
    await expect(h.webhookVerify({ rawBody, headers: {} })).resolves.toBe(false);
    await expect(harness(VERIFIED, INSIGHTIQ_TEST_CLIENT).webhookVerify({ rawBody, headers: { 'webhook-signatures': signature } })).resolves.toBe(false);
  });

  it('acknowledges profile notifications without a Plugboard event', async () => {
    const h = harness();
    await expect(h.webhookToEvents({ rawBody, headers: {} })).resolves.toEqual([]);
    expect(h.logs.at(-1)).toMatchObject({ level: 'info', fields: { event: 'PROFILES.ADDED', accountId: '4f1e2d3c-5b6a-4978-8a9b-0c1d2e3f4a5b' } });
  });
});
