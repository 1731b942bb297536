import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { sentryWebhook, signSentryWebhook, startFakeSentry, type FakeSentry } from '../fixtures/providers/sentry.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

let plugin: PluginDefinition;
let sentry: Json;
let fake: FakeSentry;

beforeAll(async () => {
  plugin = await loadBundledPlugin('sentry');
  sentry = plugin.providers[0];
  fake = await startFakeSentry();
});
afterAll(() => fake.close());

const US = { region: 'us', organizationSlug: 'acme' };

const harness = (metadata: Json = US, credentials: Json = { authToken: fake.token, clientSecret: fake.state.clientSecret }) =>
  createHarness(plugin, { provider: 'sentry', credentials, integration: { metadata }, http: forwardTo(fake.origins) });

/** What the fake received since `before`: region, method, path and query. */
const received = (before: number) =>
  fake.state.requests.slice(before).map((request) => ({ region: request.region, method: request.method, path: request.path, query: request.query }));

describe('sentry plugin', () => {
  it('declares a monitoring provider whose base URL is built from a pinned region and organization slug', () => {
    expect(sentry).toMatchObject({ id: 'sentry', category: 'monitoring', auth: { type: 'api_key' }, baseUrl: 'https://{region}.sentry.io/api/0' });
    const ajv = createSchemaCompiler();
    const inputs = ajv.compile(sentry.connectionInputs);
    expect(inputs({ region: 'us', organizationSlug: 'acme' })).toBe(true);
    expect(inputs({ region: 'de', organizationSlug: 'acme-eu_2' })).toBe(true);
    expect(inputs({ region: 'eu', organizationSlug: 'acme' })).toBe(false);
    expect(inputs({ region: 'us', organizationSlug: 'evil.example.com/x' })).toBe(false);
    expect(inputs({ region: 'us', organizationSlug: 'Acme' })).toBe(false);
    expect(inputs({ region: 'us', organizationSlug: 'a'.repeat(51) })).toBe(false);
    expect(inputs({ region: 'https://sentry.example.com', organizationSlug: 'acme' })).toBe(false);

    const credentials = ajv.compile(sentry.auth.credentialsSchema);
    expect(credentials({ authToken: fake.token })).toBe(true);
    expect(credentials({ authToken: fake.token, clientSecret: fake.state.clientSecret })).toBe(true);
    expect(credentials({ authToken: 'short' })).toBe(false);
    expect(credentials({ authToken: `${fake.token} x` })).toBe(false);

    const listIssues = ajv.compile(sentry.actions.listIssues.inputSchema);
    expect(listIssues({ projectSlug: 'web' })).toBe(true);
    expect(listIssues({ projectSlug: 'web', query: '', limit: 1000, cursor: '1420837533000:0:0' })).toBe(true);
    expect(listIssues({ projectSlug: 'web', limit: 1001 })).toBe(false);
    expect(listIssues({ projectSlug: '../web' })).toBe(false);
    expect(listIssues({ projectSlug: 'web', cursor: 'next please' })).toBe(false);
    const resolveIssue = ajv.compile(sentry.actions.resolveIssue.inputSchema);
    expect(resolveIssue({ issueId: '1170820242' })).toBe(true);
    expect(resolveIssue({ issueId: 'FRONT-END-9', inNextRelease: true })).toBe(true);
    expect(resolveIssue({ issueId: '1/../2' })).toBe(false);
    expect(resolveIssue({ issueId: '1', status: 'ignored' })).toBe(false);
  });

  it('verifies with the bearer token against the organization in its region, keeping who was connected', async () => {
    const before = fake.state.requests.length;
    await expect(harness().verify()).resolves.toEqual({
      displayName: 'Acme Events',
      metadata: {
        organizationId: fake.organization.id,
        organizationSlug: 'acme',
        organizationName: 'Acme Events',
        regionUrl: 'https://us.sentry.io',
        organizationUrl: 'https://acme.sentry.io',
      },
    });
    const [request] = fake.state.requests.slice(before);
    expect(request).toMatchObject({ region: 'us', method: 'GET', path: '/api/0/organizations/acme/' });
    expect(request.headers.authorization).toBe(`Bearer ${fake.token}`);
  });

  it('reaches an EU organization on de.sentry.io, and explains a wrong region', async () => {
    const eu = fake.state.addOrganization({ slug: 'acme-eu', name: 'Acme Europe', region: 'de' });
    const token = fake.state.addToken(eu.slug);
    const before = fake.state.requests.length;
    await expect(harness({ region: 'de', organizationSlug: 'acme-eu' }, { authToken: token }).verify()).resolves.toMatchObject({
      displayName: 'Acme Europe',
      metadata: { regionUrl: 'https://de.sentry.io' },
    });
    expect(received(before)).toEqual([{ region: 'de', method: 'GET', path: '/api/0/organizations/acme-eu/', query: {} }]);

    await expect(harness({ region: 'us', organizationSlug: 'acme-eu' }, { authToken: token }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        'Sentry has no organization "acme-eu" in the US region (us.sentry.io) that this token can see: check the organization slug and its data storage region (Organization Settings → General).',
    });
  });

  it('refuses an organization whose links name the other region', async () => {
    // Should a region's domain ever answer for an organization stored elsewhere, its regionUrl tells.
    const h = createHarness(plugin, {
      provider: 'sentry',
      credentials: { authToken: fake.token },
      integration: { metadata: US },
      http: () => ({
        body: { id: '7', slug: 'acme', name: 'Acme Events', links: { organizationUrl: 'https://acme.sentry.io', regionUrl: 'https://de.sentry.io' } },
      }),
    });
    await expect(h.verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Sentry: the organization "acme" stores its data in another region (https://de.sentry.io): connect again with the region "de".',
    });
    expect(h.requests.map((request) => request.url)).toEqual(['https://us.sentry.io/api/0/organizations/acme/']);
  });

  it('refuses a connection without a valid region or slug before calling Sentry', async () => {
    const before = fake.state.requests.length;
    await expect(harness({ organizationSlug: 'acme' }).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('region'),
    });
    await expect(harness({ region: 'us', organizationSlug: 'ACME/../x' }).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('organization slug'),
    });
    expect(fake.state.requests.length).toBe(before);
  });

  it('turns 401 and 403 into readable refusals that never echo the token', async () => {
    const wrong = `sntrys_${'x'.repeat(60)}`;
    const error = (await harness(US, { authToken: wrong })
      .verify()
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as Error;
    expect(error).toMatchObject({ code: 'provider_rejected', message: expect.stringMatching(/^Sentry refused the auth token \(Invalid token\)\./) });
    expect(error.message).not.toContain(wrong);

    const readOnly = fake.state.addToken('acme', ['org:read', 'project:read']);
    fake.state.addIssue('acme', 'web');
    const issue = fake.state.issues.at(-1)!;
    await expect(harness(US, { authToken: readOnly }).action('resolveIssue', { issueId: issue.id })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Sentry: You do not have permission to perform this action. The token needs the event:write scope in this organization.',
    });
    expect(issue.status).toBe('unresolved');
  });

  it('checks health with one read of the organization', async () => {
    const before = fake.state.requests.length;
    await harness().healthCheck();
    expect(received(before)).toEqual([{ region: 'us', method: 'GET', path: '/api/0/organizations/acme/', query: {} }]);
  });

  it('lists a project’s issues page by page through the Link header, stopping where results="false"', async () => {
    const project = fake.state.addProject('acme', 'checkout', 'Checkout');
    for (let index = 0; index < 205; index += 1)
      fake.state.addIssue('acme', 'checkout', { lastSeen: new Date(Date.UTC(2026, 2, 1) - index * 60_000).toISOString() });
    fake.state.addIssue('acme', 'checkout', { status: 'resolved', substatus: null, title: 'Resolved long ago', lastSeen: '2026-01-01T00:00:00.000Z' });
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('listIssues', { projectSlug: project.slug, limit: 1000 });
    expect(result.issues).toHaveLength(205);
    expect(result.nextCursor).toBeNull();
    expect(result.issues.every((issue: Json) => issue.status === 'unresolved')).toBe(true);
    expect(result.issues[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      shortId: expect.stringMatching(/^CHECKOUT-/),
      title: expect.stringContaining('TypeError'),
      culprit: 'app/components/Room.tsx in render',
      level: 'error',
      status: 'unresolved',
      substatus: 'ongoing',
      count: 3,
      userCount: 2,
      firstSeen: expect.any(String),
      lastSeen: '2026-03-01T00:00:00.000Z',
      permalink: `https://acme.sentry.io/issues/${result.issues[0].id}/`,
      project: { id: project.id, slug: 'checkout', name: 'Checkout' },
    });
    // Three pages: the last one's next cursor says results="false" and is not followed.
    expect(received(before)).toEqual([
      { region: 'us', method: 'GET', path: '/api/0/projects/acme/checkout/issues/', query: { statsPeriod: '', limit: '100' } },
      { region: 'us', method: 'GET', path: '/api/0/projects/acme/checkout/issues/', query: { statsPeriod: '', limit: '100', cursor: '0:100:0' } },
      { region: 'us', method: 'GET', path: '/api/0/projects/acme/checkout/issues/', query: { statsPeriod: '', limit: '100', cursor: '0:200:0' } },
    ]);
  });

  it('stops at the limit and answers the cursor to continue from, which a later call resumes', async () => {
    fake.state.addProject('acme', 'api', 'API');
    for (let index = 0; index < 130; index += 1)
      fake.state.addIssue('acme', 'api', { lastSeen: new Date(Date.UTC(2026, 2, 2) - index * 60_000).toISOString() });
    const first = await harness().action<Json>('listIssues', { projectSlug: 'api', limit: 120 });
    expect(first.issues).toHaveLength(120);
    expect(first.nextCursor).toBe('0:120:0');
    const before = fake.state.requests.length;
    const rest = await harness().action<Json>('listIssues', { projectSlug: 'api', cursor: first.nextCursor });
    expect(rest.issues).toHaveLength(10);
    expect(rest.nextCursor).toBeNull();
    expect(new Set([...first.issues, ...rest.issues].map((issue: Json) => issue.id)).size).toBe(130);
    expect(received(before)).toEqual([
      { region: 'us', method: 'GET', path: '/api/0/projects/acme/api/issues/', query: { statsPeriod: '', limit: '100', cursor: '0:120:0' } },
    ]);
  });

  it('passes the search query as given, an empty one listing every status', async () => {
    fake.state.addProject('acme', 'jobs');
    fake.state.addIssue('acme', 'jobs', { level: 'warning', title: 'Slow query' });
    fake.state.addIssue('acme', 'jobs', { status: 'resolved', substatus: null, title: 'Fixed crash' });
    const all = await harness().action<Json>('listIssues', { projectSlug: 'jobs', query: '' });
    expect(all.issues.map((issue: Json) => issue.title).sort()).toEqual(['Fixed crash', 'Slow query']);
    expect(fake.state.requests.at(-1)!.query.query).toBe('');
    const warnings = await harness().action<Json>('listIssues', { projectSlug: 'jobs', query: 'is:unresolved level:warning' });
    expect(warnings.issues.map((issue: Json) => issue.title)).toEqual(['Slow query']);
    await expect(harness().action('listIssues', { projectSlug: 'jobs', query: 'is:bogus' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Sentry: Error parsing search query: Invalid value for "is" search/),
    });
    await expect(harness().action('listIssues', { projectSlug: 'nope' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Sentry has no project "nope" in the organization "acme" that this token can see.',
    });
  });

  it('resolves an issue by id or short id with PUT { status }, answering the issue as Sentry has it', async () => {
    const issue = fake.state.addIssue('acme', 'web', { title: 'ReferenceError: blooopy is not defined' });
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('resolveIssue', { issueId: issue.id });
    expect(result).toMatchObject({ id: issue.id, status: 'resolved', title: 'ReferenceError: blooopy is not defined', shortId: issue.shortId });
    const [request] = fake.state.requests.slice(before);
    expect(request).toMatchObject({ region: 'us', method: 'PUT', path: `/api/0/organizations/acme/issues/${issue.id}/`, body: { status: 'resolved' } });
    expect(request.headers['content-type']).toContain('application/json');
    expect(issue.status).toBe('resolved');

    const other = fake.state.addIssue('acme', 'web');
    await harness().action('resolveIssue', { issueId: other.shortId, inNextRelease: true });
    expect(fake.state.requests.at(-1)).toMatchObject({ path: `/api/0/organizations/acme/issues/${other.shortId}/`, body: { status: 'resolvedInNextRelease' } });
    expect(other).toMatchObject({ status: 'resolved', statusDetails: { inNextRelease: true } });

    await expect(harness().action('resolveIssue', { issueId: '999' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Sentry has no issue 999 in the organization "acme" that this token can see.',
    });
  });

  it('reports Sentry’s 429 as a rate limit, waiting until X-Sentry-Rate-Limit-Reset', async () => {
    fake.state.throttle = 1;
    const error = (await harness()
      .action('listIssues', { projectSlug: 'web' })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as Json;
    expect(error).toMatchObject({
      code: 'provider_rate_limited',
      message: 'Sentry rate limit reached: You are attempting to use this endpoint too frequently. Limit is 5 requests in 1 seconds',
    });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(2);
    expect(fake.state.throttle).toBe(0);
  });

  it('declares Sentry’s per-organization limit of the issue endpoints', () => {
    expect(sentry.rateLimits).toEqual([
      { requests: 5, windowMs: 1000, scope: 'account', accountKey: 'organizationSlug', match: ['GET /projects/'] },
      { requests: 5, windowMs: 1000, scope: 'account', accountKey: 'organizationSlug', match: ['PUT /organizations/'] },
    ]);
  });

  describe('webhooks', () => {
    const SECRET = '6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8';
    // Computed with `openssl dgst -sha256 -hmac <secret> -hex` over the body below; Sentry's docs give the
    // algorithm (hex HMAC-SHA256 of the body, keyed with the Client Secret) and no vector of their own.
    const VECTOR_BODY =
      '{"action":"created","data":{"issue":{"id":"1170820242","shortId":"FRONT-END-9","title":"ReferenceError: blooopy is not defined","level":"error","firstSeen":"2019-08-19T20:58:37.391000Z","web_url":"https://acme.sentry.io/issues/1170820242/"}},"installation":{"uuid":"a8e5d37a-696c-4c54-adb5-b3f28d64c7de"}}';
    const VECTOR_SIGNATURE = '5f70f00438a0a56ffc0811e41ccbff6ccb0726be1860ae39c9d0de3ef57e5844';
    const hooks = () => harness(US, { authToken: fake.token, clientSecret: SECRET });
    const vector = (headers: Json = {}, rawBody = VECTOR_BODY) => ({
      rawBody,
      headers: { 'sentry-hook-resource': 'issue', 'sentry-hook-timestamp': '1566248300', 'sentry-hook-signature': VECTOR_SIGNATURE, ...headers },
    });

    it('accepts the signature over the raw body and refuses a tampered body, a wrong secret or no signature', async () => {
      const h = hooks();
      await expect(h.webhookVerify(vector())).resolves.toBe(true);
      await expect(h.webhookVerify(vector({ 'sentry-hook-signature': VECTOR_SIGNATURE.toUpperCase() }))).resolves.toBe(true);
      await expect(h.webhookVerify(vector({}, VECTOR_BODY.replace('"error"', '"fatal"')))).resolves.toBe(false);
      await expect(h.webhookVerify(vector({ 'sentry-hook-signature': signSentryWebhook('another-secret-of-32-characters!', VECTOR_BODY) }))).resolves.toBe(
        false,
      );
      await expect(h.webhookVerify({ rawBody: VECTOR_BODY, headers: { 'sentry-hook-resource': 'issue' } })).resolves.toBe(false);
      await expect(h.webhookVerify(vector({ 'sentry-hook-signature': 'sha256=abc' }))).resolves.toBe(false);
      await expect(harness(US, { authToken: fake.token }).webhookVerify(vector())).resolves.toBe(false);
    });

    it('accepts a body whose bytes differ only by JSON whitespace when the signature covers its compact form, as Sentry’s own example checks', async () => {
      const spaced = JSON.stringify(JSON.parse(VECTOR_BODY), null, 2);
      await expect(hooks().webhookVerify(vector({}, spaced))).resolves.toBe(true);
      await expect(hooks().webhookVerify(vector({}, spaced.replace('FRONT-END-9', 'FRONT-END-8')))).resolves.toBe(false);
    });

    it('maps a created issue to monitoring.incident.opened and a resolved one to .resolved', async () => {
      const h = hooks();
      await expect(h.webhookToEvents(vector())).resolves.toEqual([
        {
          event: 'monitoring.incident.opened',
          data: {
            provider: 'sentry',
            incidentId: '1170820242',
            title: 'ReferenceError: blooopy is not defined',
            url: 'https://acme.sentry.io/issues/1170820242/',
            severity: 'error',
            startedAt: '2019-08-19T20:58:37.391Z',
            shortId: 'FRONT-END-9',
          },
        },
      ]);
      const resolved = sentryWebhook(
        SECRET,
        'issue',
        'resolved',
        {
          issue: { id: '1170820242', title: 'ReferenceError: blooopy is not defined', level: 'error', status: 'resolved', project: { slug: 'web' } },
        },
        1772723400,
      );
      await expect(h.webhookVerify(resolved)).resolves.toBe(true);
      await expect(h.webhookToEvents(resolved)).resolves.toEqual([
        {
          event: 'monitoring.incident.resolved',
          data: {
            provider: 'sentry',
            incidentId: '1170820242',
            title: 'ReferenceError: blooopy is not defined',
            severity: 'error',
            project: 'web',
            resolvedAt: new Date(1772723400 * 1000).toISOString(),
          },
        },
      ]);
      const assigned = sentryWebhook(SECRET, 'issue', 'assigned', { issue: { id: '1170820242', title: 'x' } });
      await expect(h.webhookToEvents(assigned)).resolves.toEqual([]);
    });

    it('maps a triggered issue alert to an opened incident of its issue', async () => {
      const alert = sentryWebhook(SECRET, 'event_alert', 'triggered', {
        event: {
          event_id: 'e4874d664c3540c1a32eab185f12c5ab',
          issue_id: '1117540176',
          title: 'ReferenceError: heck is not defined',
          level: 'error',
          datetime: '2019-08-19T21:06:17.677000Z',
          web_url: 'https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/',
        },
        triggered_rule: 'Very Important Alert Rule!',
        issue_alert: { title: 'Very Important Alert Rule!', settings: [] },
      });
      await expect(hooks().webhookToEvents(alert)).resolves.toEqual([
        {
          event: 'monitoring.incident.opened',
          data: {
            provider: 'sentry',
            incidentId: '1117540176',
            title: 'ReferenceError: heck is not defined',
            url: 'https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/',
            severity: 'error',
            startedAt: '2019-08-19T21:06:17.677Z',
            alertRule: 'Very Important Alert Rule!',
            eventId: 'e4874d664c3540c1a32eab185f12c5ab',
          },
        },
      ]);
    });

    it('maps metric alerts: critical or warning opens, resolved resolves', async () => {
      const metric = (action: string, dateClosed: string | null) =>
        sentryWebhook(SECRET, 'metric_alert', action, {
          description_text: '1000 events in the last 10 minutes\nFilter: level:error',
          description_title: `${action === 'resolved' ? 'Resolved' : 'Critical'}: Too many errors`,
          metric_alert: {
            id: '4',
            identifier: '1',
            title: 'Sacred Marmot',
            date_started: '2020-09-13T12:26:40.000000Z',
            date_detected: '2020-09-13T12:26:40.000000Z',
            date_closed: dateClosed,
            alert_rule: { id: '7', name: 'Too many errors', aggregate: 'count()' },
          },
          web_url: 'https://sentry.io/organizations/baz/alerts/1/',
        });
      const h = hooks();
      await expect(h.webhookToEvents(metric('critical', null))).resolves.toEqual([
        {
          event: 'monitoring.incident.opened',
          data: {
            provider: 'sentry',
            incidentId: 'metric-alert-4',
            title: 'Critical: Too many errors',
            url: 'https://sentry.io/organizations/baz/alerts/1/',
            alertRule: 'Too many errors',
            description: '1000 events in the last 10 minutes\nFilter: level:error',
            severity: 'critical',
            startedAt: '2020-09-13T12:26:40.000Z',
          },
        },
      ]);
      await expect(h.webhookToEvents(metric('resolved', '2020-09-13T12:46:40.000000Z'))).resolves.toMatchObject([
        {
          event: 'monitoring.incident.resolved',
          data: { incidentId: 'metric-alert-4', resolvedAt: '2020-09-13T12:46:40.000Z', startedAt: '2020-09-13T12:26:40.000Z' },
        },
      ]);
    });

    it('maps installation, error and comment webhooks to nothing', async () => {
      const h = hooks();
      for (const resource of ['installation', 'error', 'comment']) {
        const hook = sentryWebhook(SECRET, resource, 'created', { installation: { uuid: 'x' } });
        await expect(h.webhookVerify(hook)).resolves.toBe(true);
        await expect(h.webhookToEvents(hook)).resolves.toEqual([]);
      }
    });
  });
});
