// The plugin platform against the built app (dist/): time to load 50 plugins, and the per-call
// overhead of the child-process runner (PLUGIN_ISOLATION=process) against in-process (none).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../../dist/src/core/config/config.js';
import { SafeHttpClient } from '../../dist/src/core/http/safe-http.js';
import { PluginLoader } from '../../dist/src/modules/plugins/plugin-loader.js';
import { PluginRegistry } from '../../dist/src/modules/plugins/plugin-registry.js';
import { ChildProcessPluginRunner } from '../../dist/src/modules/plugins/runner/child-process-runner.js';
import { InProcessPluginRunner } from '../../dist/src/modules/plugins/runner/in-process-runner.js';
import { ProviderHttp } from '../../dist/src/modules/plugins/runner/provider-http.js';

Logger.overrideLogger(false);

const PLUGINS = Number(process.env.PLUGINS ?? 50);
const LOAD_RUNS = Number(process.env.LOAD_RUNS ?? 3);
const CALLS = Number(process.env.CALLS ?? 2000);
const WARMUP = 200;

const root = mkdtempSync(join(tmpdir(), 'plugboard-bench-plugins-'));
const empty = mkdtempSync(join(tmpdir(), 'plugboard-bench-bundled-'));
for (let index = 0; index < PLUGINS; index += 1) {
  const dir = join(root, `bench-${String(index).padStart(2, '0')}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `bench-plugin-${index}`, version: '1.0.0', type: 'module', main: 'index.js', plugboard: { apiVersion: '^1.0.0' } }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `import { definePlugin } from 'plugboard/sdk';
export default definePlugin({ providers: [{
  id: 'bench_${index}', name: 'Bench ${index}', category: 'other', description: 'Benchmark provider',
  auth: { type: 'api_key', credentialsSchema: { type: 'object', properties: { apiKey: { type: 'string', secret: true } } } },
  settingsSchema: { type: 'object', properties: { greeting: { type: 'string' } } },
  actions: { echo: { description: 'Echoes', inputSchema: { type: 'object' }, run: async (ctx, input) => ({ input, greeting: ctx.settings.greeting ?? null }) } },
}] });
`,
  );
}

function setUp(isolation) {
  const config = loadConfig({
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'x'.repeat(32),
    ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    LOG_LEVEL: 'silent',
    BUNDLED_PLUGINS_DIR: empty,
    PLUGINS_DIR: root,
    PLUGIN_ISOLATION: isolation,
    PLUGIN_SIGNATURE_POLICY: 'off',
  });
  const registry = new PluginRegistry();
  const http = new SafeHttpClient(config);
  const runner = isolation === 'none' ? new InProcessPluginRunner(config, registry, new ProviderHttp(http)) : new ChildProcessPluginRunner(config, registry, new ProviderHttp(http));
  return { registry, runner, http, loader: new PluginLoader(config, registry, runner) };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (value) => `${value.toFixed(value < 1 ? 3 : 1)} ms`;

async function loadTime(isolation) {
  const times = [];
  for (let run = 0; run < LOAD_RUNS; run += 1) {
    const { loader, runner, http } = setUp(isolation);
    const started = performance.now();
    const records = await loader.loadAll();
    times.push(performance.now() - started);
    const loaded = records.filter((record) => record.state === 'loaded').length;
    if (loaded !== PLUGINS) throw new Error(`${isolation}: ${loaded} of ${PLUGINS} plugins loaded`);
    await runner.close();
    await http.close();
  }
  times.sort((a, b) => a - b);
  return quantile(times, 0.5);
}

async function callLatencies(isolation) {
  const { loader, runner, http } = setUp(isolation);
  await loader.loadAll();
  const context = { credentials: { apiKey: 'key' }, settings: { greeting: 'hi' }, integration: { id: 'i', accountId: 'a', livemode: false, metadata: {} } };
  const latencies = [];
  for (let index = 0; index < WARMUP + CALLS; index += 1) {
    const started = performance.now();
    await runner.invoke(`bench_${index % PLUGINS}`, { kind: 'action', name: 'echo', input: { index, text: 'x'.repeat(200) }, context });
    if (index >= WARMUP) latencies.push(performance.now() - started);
  }
  await runner.close();
  await http.close();
  latencies.sort((a, b) => a - b);
  return { median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

try {
  const loadProcess = await loadTime('process');
  const loadNone = await loadTime('none');
  console.log(`load ${PLUGINS} plugins (median of ${LOAD_RUNS}): child processes ${ms(loadProcess)}, in-process ${ms(loadNone)}`);
  const viaProcess = await callLatencies('process');
  const inProcess = await callLatencies('none');
  console.log(`per call, ${CALLS} sequential action calls spread over ${PLUGINS} plugins:`);
  console.log(`  child process: median ${ms(viaProcess.median)}, p99 ${ms(viaProcess.p99)}`);
  console.log(`  in-process:    median ${ms(inProcess.median)}, p99 ${ms(inProcess.p99)}`);
  console.log(`  overhead of isolation: median ${ms(viaProcess.median - inProcess.median)}, p99 ${ms(viaProcess.p99 - inProcess.p99)}`);
} finally {
  rmSync(root, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
}
