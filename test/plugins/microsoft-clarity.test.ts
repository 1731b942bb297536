import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { startFakeClarity, type FakeClarity } from '../fixtures/providers/microsoft-clarity.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let clarity: Json;
let fake: FakeClarity;

beforeAll(async () => {
  plugin = await loadBundledPlugin('microsoft-clarity');
  clarity = plugin.providers[0];
  fake = await startFakeClarity();
});
afterAll(() => fake.close());

const harness = (credentials: Json = { projectId: fake.projectId, apiToken: fake.token }, settings: Json = {}) =>
  createHarness(plugin, { provider: 'microsoft_clarity', credentials, settings, http: forwardTo(fake.origins) });

/** A project of its own, with a token and sessions, so quota tests do not share a day's count. */
function project(id: string) {
  const token = fake.state.addToken(id);
  return { id, token, harness: (settings: Json = {}) => harness({ projectId: id, apiToken: token }, settings) };
}

describe('microsoft_clarity plugin', () => {
  it('declares an analytics provider whose project id is plain and whose token is secret, with strict inputs', () => {
    expect(clarity).toMatchObject({ id: 'microsoft_clarity', category: 'analytics', baseUrl: 'https://www.clarity.ms/export-data/api/v1' });
    const { properties } = clarity.auth.credentialsSchema;
    expect(properties.projectId.secret).toBeUndefined();
    expect(properties.apiToken.secret).toBe(true);
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(clarity.auth.credentialsSchema);
    expect(credentials({ projectId: fake.projectId, apiToken: fake.token })).toBe(true);
    expect(credentials({ projectId: 'NE6D69TU0P', apiToken: fake.token })).toBe(false);
    expect(credentials({ projectId: fake.projectId, apiToken: 'not a jwt' })).toBe(false);
    expect(credentials({ apiToken: fake.token })).toBe(false);

    const input = ajv.compile(clarity.actions.getLiveInsights.inputSchema);
    expect(input({ numOfDays: 1 })).toBe(true);
    expect(input({ numOfDays: 3, dimensions: ['Browser', 'Country/Region', 'URL'] })).toBe(true);
    expect(input({ numOfDays: 4 })).toBe(false);
    expect(input({ numOfDays: 2, dimensions: ['Browser', 'Device', 'OS', 'Source'] })).toBe(false);
    expect(input({ numOfDays: 2, dimensions: ['Browser', 'Browser'] })).toBe(false);
    expect(input({ numOfDays: 2, dimensions: ['City'] })).toBe(false);
    expect(input({ numOfDays: 1, dimension1: 'OS' })).toBe(false);
  });

  it('declares Clarity’s quota: 10 requests a day per connection', () => {
    expect(clarity.rateLimits).toEqual([{ requests: 10, windowMs: 86_400_000, scope: 'connection' }]);
  });

  it('verifies without spending the daily quota, keeping the project id in metadata', async () => {
    const before = fake.state.requests.length;
    const result = await harness().verify();
    expect(result).toEqual({
      displayName: `Clarity project ${fake.projectId}`,
      metadata: { projectId: fake.projectId, tokenExpiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), verifiedWithClarity: false },
    });
    await harness().healthCheck();
    expect(fake.state.requests.length).toBe(before);
    expect(fake.state.usedToday(fake.projectId)).toBe(0);
  });

  it('refuses an expired or unreadable token at verify, still without calling Clarity', async () => {
    const before = fake.state.requests.length;
    const expired = fake.state.addToken(fake.projectId, -60);
    await expect(harness({ projectId: fake.projectId, apiToken: expired }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Clarity: the Data Export API token expired on \d{4}-/),
    });
    await expect(harness({ projectId: fake.projectId, apiToken: 'abc.def.ghi' }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('is not one'),
    });
    await expect(harness({ projectId: 'no', apiToken: fake.token }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('project id'),
    });
    expect(fake.state.requests.length).toBe(before);
  });

  it('gets live insights by up to three dimensions, sending numOfDays and dimension1..3 with the bearer token', async () => {
    const p = project('insights01');
    fake.state.addSession(p.id, { userId: 'u1', pages: 3, dimensions: { Browser: 'Chrome', OS: 'Windows' } });
    fake.state.addSession(p.id, { userId: 'u2', pages: 1, rageClicks: 2, dimensions: { Browser: 'Chrome', OS: 'Windows' } });
    fake.state.addSession(p.id, { userId: 'u3', bot: true, dimensions: { Browser: 'Safari', OS: 'iOS' } });
    fake.state.addSession(p.id, { userId: 'u4', pages: 4, at: new Date(Date.now() - 2 * 86_400_000), dimensions: { Browser: 'Firefox', OS: 'Linux' } });
    const before = fake.state.requests.length;
    const result = await p.harness().action<Json>('getLiveInsights', { numOfDays: 1, dimensions: ['Browser', 'OS'] });
    const [request] = fake.state.requests.slice(before);
    expect(request).toMatchObject({
      method: 'GET',
      path: '/export-data/api/v1/project-live-insights',
      query: { numOfDays: '1', dimension1: 'Browser', dimension2: 'OS' },
    });
    expect(request.headers.authorization).toBe(`Bearer ${p.token}`);
    expect(result).toMatchObject({ projectId: p.id, numOfDays: 1, dimensions: ['Browser', 'OS'] });
    const traffic = result.metrics.find((metric: Json) => metric.metricName === 'Traffic');
    expect(traffic.information).toEqual([
      { totalSessionCount: '2', totalBotSessionCount: '0', distantUserCount: '2', PagesPerSessionPercentage: 2, Browser: 'Chrome', OS: 'Windows' },
      { totalSessionCount: '1', totalBotSessionCount: '1', distantUserCount: '1', PagesPerSessionPercentage: 2, Browser: 'Safari', OS: 'iOS' },
    ]);
    expect(result.metrics.map((metric: Json) => metric.metricName)).toEqual(['Traffic', 'ScrollDepth', 'EngagementTime', 'RageClickCount', 'DeadClickCount']);

    const threeDays = await p.harness().action<Json>('getLiveInsights', { numOfDays: 3 });
    expect(fake.state.requests.at(-1)!.query).toEqual({ numOfDays: '3' });
    expect(threeDays.metrics[0].information).toEqual([
      { totalSessionCount: '4', totalBotSessionCount: '1', distantUserCount: '4', PagesPerSessionPercentage: 2.5 },
    ]);
  });

  it('spends one request per call and, past ten a day, reports the quota as a rate limit until 00:00 UTC', async () => {
    const p = project('quota00001');
    const other = project('quota00002');
    for (let call = 1; call <= 10; call += 1) await p.harness().action('getLiveInsights', { numOfDays: 1 });
    expect(fake.state.usedToday(p.id)).toBe(10);
    const error = (await p
      .harness()
      .action('getLiveInsights', { numOfDays: 1 })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as Json;
    expect(error).toMatchObject({
      code: 'provider_rate_limited',
      message:
        'Clarity’s data export quota for this project is used up for today (Exceeded daily limit: at most 10 requests per project per day, counting every client of the project). It resets at 00:00 UTC.',
    });
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(Math.abs(error.retryAfterSeconds - (midnight.getTime() - Date.now()) / 1000)).toBeLessThan(5);
    expect(fake.state.usedToday(p.id)).toBe(11);
    // The quota is per project: another project still has its ten.
    await expect(other.harness().action('getLiveInsights', { numOfDays: 1 })).resolves.toMatchObject({ projectId: other.id });
  });

  it('turns 401, 403 and 400 into readable refusals that never echo the token', async () => {
    const unknown = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const error = (await harness({ projectId: fake.projectId, apiToken: unknown })
      .action('getLiveInsights', { numOfDays: 1 })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as Error;
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Clarity refused the Data Export API token \(401 Unauthorized\)/),
    });
    expect(error.message).not.toContain(unknown);

    const p = project('revoked001');
    fake.state.revoked.add(p.token);
    await expect(p.harness().action('getLiveInsights', { numOfDays: 1 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Clarity: the Data Export API token is not authorized for this project \(403 Forbidden\)/),
    });

    // Past the schema (as a caller without validation would send it): Clarity's own 400.
    await expect(harness().action('getLiveInsights', { numOfDays: 5 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Clarity refused the request parameters \(400 Bad Request: Invalid numOfDays: must be 1, 2 or 3\)/),
    });
  });

  it('syncs the last 24 hours once a day, by the configured dimensions, one record per metric', async () => {
    const p = project('syncdaily1');
    fake.state.addSession(p.id, { dimensions: { Device: 'Mobile' } });
    fake.state.addSession(p.id, { dimensions: { Device: 'PC' } });
    const before = fake.state.requests.length;
    const { records } = await p.harness({ syncDimensions: ['Device'] }).sync();
    expect(fake.state.requests.slice(before).map((request) => request.query)).toEqual([{ numOfDays: '1', dimension1: 'Device' }]);
    const day = new Date().toISOString().slice(0, 10);
    expect(records!.liveInsights.map((record) => record.id)).toEqual(
      ['Traffic', 'ScrollDepth', 'EngagementTime', 'RageClickCount', 'DeadClickCount'].map((metric) => `${day}:${metric}`),
    );
    expect(records!.liveInsights[0]).toMatchObject({
      day,
      numOfDays: 1,
      dimensions: ['Device'],
      metricName: 'Traffic',
      information: [expect.objectContaining({ Device: 'Mobile', totalSessionCount: '1' }), expect.objectContaining({ Device: 'PC', totalSessionCount: '1' })],
    });
    expect(clarity.sync.defaultFrequency).toBe('1d');
  });
});
