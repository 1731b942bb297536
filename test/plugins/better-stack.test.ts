import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { betterStackIncidentWebhook, startFakeBetterStack, type FakeBetterStack } from '../fixtures/providers/better-stack.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const WEBHOOK_TOKEN = 'whtok_3c7a91f0b2d84e6f9a15c0d2';

let plugin: PluginDefinition;
let betterStack: Json;
let fake: FakeBetterStack;

beforeAll(async () => {
  plugin = await loadBundledPlugin('better-stack');
  betterStack = plugin.providers[0];
  fake = await startFakeBetterStack();
});
afterAll(() => fake.close());

const harness = (credentials: Json = { apiToken: fake.token, webhookToken: WEBHOOK_TOKEN }) =>
  createHarness(plugin, { provider: 'better_stack', credentials, http: forwardTo(fake.origins) });

/** What the fake received since `before`: method, path, query and body. */
const received = (before: number) =>
  fake.state.requests.slice(before).map((request) => ({ method: request.method, path: request.path, query: request.query, body: request.body }));

describe('better_stack plugin', () => {
  it('declares a monitoring provider with a bearer Uptime token and strict inputs', () => {
    expect(betterStack).toMatchObject({ id: 'better_stack', category: 'monitoring', auth: { type: 'api_key' }, baseUrl: 'https://uptime.betterstack.com/api' });
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(betterStack.auth.credentialsSchema);
    expect(credentials({ apiToken: fake.token })).toBe(true);
    expect(credentials({ apiToken: fake.token, webhookToken: WEBHOOK_TOKEN })).toBe(true);
    expect(credentials({ apiToken: fake.token, webhookToken: 'short' })).toBe(false);
    expect(credentials({ apiToken: fake.token, webhookToken: `${WEBHOOK_TOKEN}&x=1` })).toBe(false);
    const acknowledge = ajv.compile(betterStack.actions.acknowledgeIncident.inputSchema);
    expect(acknowledge({ incidentId: '123456789', acknowledgedBy: 'ana@example.com' })).toBe(true);
    expect(acknowledge({ incidentId: '12/../3' })).toBe(false);
    expect(acknowledge({})).toBe(false);
    const list = ajv.compile(betterStack.actions.listMonitors.inputSchema);
    expect(list({})).toBe(true);
    expect(list({ limit: 0 })).toBe(false);
    expect(list({ status: 'down' })).toBe(false);
  });

  it('verifies a team without monitors', async () => {
    await expect(harness().verify()).resolves.toEqual({ displayName: 'Better Stack Uptime', metadata: { teamName: null, monitorCount: 0 } });
  });

  it('verifies with GET /api/v2/monitors?per_page=1, counting monitors from the last page', async () => {
    for (let index = 0; index < 3; index += 1) fake.state.addMonitor();
    const before = fake.state.requests.length;
    await expect(harness().verify()).resolves.toEqual({ displayName: 'Better Stack Uptime (Acme Ops)', metadata: { teamName: 'Acme Ops', monitorCount: 3 } });
    const [request] = fake.state.requests.slice(before);
    expect(request).toMatchObject({ method: 'GET', path: '/api/v2/monitors', query: { per_page: '1' } });
    expect(request.headers.authorization).toBe(`Bearer ${fake.token}`);
  });

  it('refuses an unknown token with Better Stack’s own message, never echoing the token', async () => {
    const wrong = 'not-a-real-uptime-token-123';
    const error = (await harness({ apiToken: wrong })
      .verify()
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as Error;
    expect(error).toMatchObject({ code: 'provider_rejected', message: expect.stringContaining('Better Stack refused the API token: Invalid Team API token.') });
    expect(error.message).not.toContain(wrong);
    await expect(harness({ apiToken: wrong }).healthCheck()).rejects.toMatchObject({ code: 'provider_rejected' });
  });

  it('lists monitors across pages by pagination.next, flattening the JSON:API attributes', async () => {
    for (let index = 0; index < 300; index += 1) fake.state.addMonitor({ status: index % 7 === 0 ? 'down' : 'up' });
    const total = fake.state.monitors.length;
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('listMonitors', {});
    expect(result.hasMore).toBe(false);
    expect(result.monitors).toHaveLength(total);
    const sample = fake.state.monitors[5];
    expect(result.monitors[5]).toEqual({
      id: sample.id,
      name: sample.attributes.pronounceable_name,
      url: sample.attributes.url,
      monitorType: 'status',
      status: sample.attributes.status,
      lastCheckedAt: '2026-03-05T14:59:30.000Z',
      checkFrequency: 30,
      pausedAt: null,
      teamName: 'Acme Ops',
    });
    expect(received(before)).toEqual([
      { method: 'GET', path: '/api/v2/monitors', query: { per_page: '250' }, body: undefined },
      { method: 'GET', path: '/api/v2/monitors', query: { per_page: '250', page: '2' }, body: undefined },
    ]);
  });

  it('stops at the limit and says there are more; passes the filters on every page', async () => {
    const result = await harness().action<Json>('listMonitors', { limit: 10 });
    expect(result.monitors).toHaveLength(10);
    expect(result.hasMore).toBe(true);
    const target = fake.state.addMonitor({ url: 'https://shop.example.com/', pronounceable_name: 'Shop' });
    const before = fake.state.requests.length;
    const filtered = await harness().action<Json>('listMonitors', { url: 'https://shop.example.com/', name: 'Shop' });
    expect(filtered.monitors.map((monitor: Json) => monitor.id)).toEqual([target.id]);
    expect(received(before)[0].query).toEqual({ per_page: '250', url: 'https://shop.example.com/', pronounceable_name: 'Shop' });
  });

  it('acknowledges an incident on /api/v3, and answers a second acknowledgement (409) with the incident as it is', async () => {
    const incident = fake.state.addIncident(fake.state.monitors[0]);
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('acknowledgeIncident', { incidentId: incident.id, acknowledgedBy: 'ana@example.com' });
    expect(result).toMatchObject({
      id: incident.id,
      status: 'Acknowledged',
      acknowledgedBy: 'ana@example.com',
      acknowledgedAt: incident.attributes.acknowledged_at,
      monitorId: fake.state.monitors[0].id,
      changed: true,
    });
    expect(received(before)).toEqual([
      { method: 'POST', path: `/api/v3/incidents/${incident.id}/acknowledge`, query: {}, body: { acknowledged_by: 'ana@example.com' } },
    ]);

    const again = fake.state.requests.length;
    await expect(harness().action<Json>('acknowledgeIncident', { incidentId: incident.id })).resolves.toMatchObject({ status: 'Acknowledged', changed: false });
    expect(received(again).map((request) => `${request.method} ${request.path}`)).toEqual([
      `POST /api/v3/incidents/${incident.id}/acknowledge`,
      `GET /api/v3/incidents/${incident.id}`,
    ]);
  });

  it('resolves an incident, once', async () => {
    const incident = fake.state.addIncident(fake.state.monitors[1]);
    await expect(harness().action<Json>('resolveIncident', { incidentId: incident.id, resolvedBy: 'ops-bot' })).resolves.toMatchObject({
      status: 'Resolved',
      resolvedBy: 'ops-bot',
      changed: true,
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'POST', path: `/api/v3/incidents/${incident.id}/resolve`, body: { resolved_by: 'ops-bot' } });
    await expect(harness().action<Json>('resolveIncident', { incidentId: incident.id })).resolves.toMatchObject({ status: 'Resolved', changed: false });
  });

  it('refuses an unknown incident with a readable message', async () => {
    await expect(harness().action('acknowledgeIncident', { incidentId: '42' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Better Stack has no incident 42 that this token can see.',
    });
  });

  it('reports a 429 as a rate limit', async () => {
    fake.state.throttle = 1;
    await expect(harness().healthCheck()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: 'Better Stack rate limit reached: Too many requests, slow down',
    });
    expect(fake.state.throttle).toBe(0);
  });

  it('syncs every monitor and heartbeat with its status', async () => {
    for (let index = 0; index < 260; index += 1) fake.state.addHeartbeat({ status: index === 3 ? 'down' : 'up' });
    const before = fake.state.requests.length;
    const { records } = await harness().sync();
    expect(records!.monitors).toHaveLength(fake.state.monitors.length);
    expect(records!.heartbeats).toHaveLength(260);
    const down = fake.state.heartbeats[3];
    expect(records!.heartbeats.find((heartbeat) => heartbeat.id === down.id)).toEqual({
      id: down.id,
      name: down.attributes.name,
      url: down.attributes.url,
      status: 'down',
      period: 86_400,
      grace: 600,
      pausedAt: null,
      teamName: 'Acme Ops',
    });
    expect(new Set(records!.monitors.map((monitor) => monitor.id)).size).toBe(fake.state.monitors.length);
    expect(received(before).map((request) => `${request.path}?page=${request.query.page ?? '1'}`)).toEqual([
      '/api/v2/monitors?page=1',
      '/api/v2/monitors?page=2',
      '/api/v2/heartbeats?page=1',
      '/api/v2/heartbeats?page=2',
    ]);
    expect(betterStack.sync.defaultFrequency).toBe('15m');
  });

  it('declares a conservative pace, as Better Stack publishes no quota', () => {
    expect(betterStack.rateLimits).toEqual([{ requests: 8, windowMs: 1000, scope: 'connection' }]);
  });

  describe('webhooks', () => {
    it('accepts the configured token in the URL query, an X-Webhook-Token header or a Basic password, and nothing else', async () => {
      const incident = fake.state.addIncident(fake.state.monitors[2]);
      const hook = betterStackIncidentWebhook('started', incident);
      const h = harness();
      await expect(h.webhookVerify({ ...hook, query: { token: WEBHOOK_TOKEN } })).resolves.toBe(true);
      await expect(h.webhookVerify({ ...hook, headers: { ...hook.headers, 'x-webhook-token': WEBHOOK_TOKEN } })).resolves.toBe(true);
      const basic = `Basic ${Buffer.from(`plugboard:${WEBHOOK_TOKEN}`).toString('base64')}`;
      await expect(h.webhookVerify({ ...hook, headers: { ...hook.headers, authorization: basic } })).resolves.toBe(true);

      await expect(h.webhookVerify(hook)).resolves.toBe(false);
      await expect(h.webhookVerify({ ...hook, query: { token: `${WEBHOOK_TOKEN}x` } })).resolves.toBe(false);
      await expect(h.webhookVerify({ ...hook, query: { token: WEBHOOK_TOKEN.slice(0, -1) } })).resolves.toBe(false);
      await expect(h.webhookVerify({ ...hook, query: { token: '' } })).resolves.toBe(false);
      await expect(harness({ apiToken: fake.token }).webhookVerify({ ...hook, query: { token: WEBHOOK_TOKEN } })).resolves.toBe(false);
    });

    it('maps started to monitoring.incident.opened and resolved to .resolved; acknowledged and monitor webhooks to nothing', async () => {
      const monitor = fake.state.monitors[2];
      const incident = fake.state.addIncident(monitor, { started_at: '2026-03-05T15:00:00.000Z', cause: 'Status 503' });
      const h = harness();
      await expect(h.webhookToEvents(betterStackIncidentWebhook('started', incident))).resolves.toEqual([
        {
          event: 'monitoring.incident.opened',
          data: {
            provider: 'better_stack',
            incidentId: incident.id,
            title: `${monitor.attributes.pronounceable_name}: Status 503`,
            startedAt: '2026-03-05T15:00:00.000Z',
            cause: 'Status 503',
            monitorUrl: monitor.attributes.url,
            monitorId: monitor.id,
          },
        },
      ]);
      await expect(h.webhookToEvents(betterStackIncidentWebhook('acknowledged', incident))).resolves.toEqual([]);
      incident.attributes.resolved_at = '2026-03-05T15:20:00.000Z';
      await expect(h.webhookToEvents(betterStackIncidentWebhook('resolved', incident))).resolves.toEqual([
        {
          event: 'monitoring.incident.resolved',
          data: expect.objectContaining({ provider: 'better_stack', incidentId: incident.id, resolvedAt: '2026-03-05T15:20:00.000Z' }),
        },
      ]);
      await expect(h.webhookToEvents(betterStackIncidentWebhook('reopened', incident))).resolves.toMatchObject([{ event: 'monitoring.incident.opened' }]);
      await expect(
        h.webhookToEvents({ body: { event: 'paused', data: { id: monitor.id, type: 'monitor', attributes: monitor.attributes } } }),
      ).resolves.toEqual([]);
    });
  });
});
