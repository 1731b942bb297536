import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { PluginRunner } from '../../src/modules/plugins/runner/plugin-runner.js';
import { pluginDir, pluginEnv } from '../support/plugin-fixtures.js';
import { bearer, createAccount, startTestApp, TestApp } from '../support/test-app.js';

/** A provider that allows 20 requests in any second (a sliding window) and answers 429 beyond. */
function startLimitedFake() {
  const arrivals: number[] = [];
  let refused = 0;
  const server: Server = createServer((_req, res) => {
    const now = performance.now();
    const recent = arrivals.filter((at) => at > now - 1000).length;
    if (recent >= 20) {
      refused += 1;
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}');
      return;
    }
    arrivals.push(now);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  return { server, arrivals, refused: () => refused };
}

describe("a provider's declared rate limit, shared through Redis", () => {
  const fake = startLimitedFake();
  let t: TestApp;
  let runner: PluginRunner;
  let port: number;
  beforeAll(async () => {
    await new Promise<void>((done) => fake.server.listen(0, '127.0.0.1', done));
    port = (fake.server.address() as AddressInfo).port;
    t = await startTestApp(pluginEnv(pluginDir(['limited']), { PLUGIN_CALL_TIMEOUT_MS: '30000' }));
    runner = t.app.get(PluginRunner);
  });
  afterAll(async () => {
    await t.close();
    fake.server.close();
  });
  const call = (connection: string, timeoutMs?: number) =>
    runner.invoke('fixture_limited', {
      kind: 'action',
      name: 'ping',
      input: {},
      context: { credentials: {}, settings: {}, integration: { id: connection, accountId: 'acct_rl', livemode: true, metadata: { port } } },
      ...(timeoutMs ? { timeoutMs } : {}),
    });

  // Never above the limit; below it only by what a busy machine's scheduling costs (the bound is loose on purpose).
  it('sends 200 calls at 20 per second: the provider never answers 429 and throughput stays near the limit', async () => {
    const connection = randomUUID();
    await Promise.all(Array.from({ length: 200 }, () => call(connection)));
    expect(fake.refused()).toBe(0);
    expect(fake.arrivals).toHaveLength(200);
    // Requests per second over the windows they span.
    const perSecond = 200 / ((fake.arrivals.at(-1)! - fake.arrivals[0]) / 1000 + 1);
    expect(perSecond).toBeGreaterThanOrEqual(14);
    expect(perSecond).toBeLessThanOrEqual(22);
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/plugboard_provider_rate_limit_wait_seconds_count\{provider="fixture_limited"\} 200/);
  }, 30_000);

  it('answers 429 provider_rate_limited with Retry-After, sending nothing, when the wait would pass the deadline', async () => {
    const connection = randomUUID();
    const before = fake.arrivals.length;
    const burst = Promise.all(Array.from({ length: 20 }, () => call(connection)));
    await expect(call(connection, 700)).rejects.toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
      headers: { 'Retry-After': expect.stringMatching(/^[12]$/) },
    });
    await burst;
    expect(fake.arrivals).toHaveLength(before + 20);
    // Another connection has a budget of its own: not refused (its deadline only allows for a busy machine).
    await expect(call(randomUUID(), 5_000)).resolves.toEqual({ ok: true });
    expect((await t.http.get('/metrics')).text).toMatch(/plugboard_provider_throttled_total\{provider="fixture_limited",reason="budget"\} 1/);
  });

  it('holds proxied requests to the same budget: a burst through the proxy never reaches the provider’s 429', async () => {
    const { ownerToken } = await createAccount(t);
    const connected = await t.http.post('/v1/connections').set(bearer(ownerToken)).send({ provider: 'fixture_limited', inputs: { port } });
    expect(connected.status).toBe(201);
    // The fake counts every connection's requests in one window: let the earlier tests' window pass.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refusedBefore = fake.refused();
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => t.http.get(`/v1/connections/${connected.body.id}/proxy/ping`).set(bearer(ownerToken))));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(fake.refused()).toBe(refusedBefore);
    // 50 requests at 20 per second take at least two windows.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
  });
});
