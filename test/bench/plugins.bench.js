// The plugin platform against the built app (dist/), with the bundled plugins and as many generated
// ones as make 50 (signed by one publisher, so they share a host): start-up to ready against no plugins, the RSS of
// every plugin process after one call to each plugin, per-call overhead of the host process over
// in-process, and the first call to a stopped host.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../../dist/src/core/config/config.js';
import { SafeHttpClient } from '../../dist/src/core/http/safe-http.js';
import { PluginLoader } from '../../dist/src/modules/plugins/plugin-loader.js';
import { PluginRegistry } from '../../dist/src/modules/plugins/plugin-registry.js';
import { ChildProcessPluginRunner } from '../../dist/src/modules/plugins/runner/child-process-runner.js';
import { InProcessPluginRunner } from '../../dist/src/modules/plugins/runner/in-process-runner.js';
import { ProviderHttp } from '../../dist/src/modules/plugins/runner/provider-http.js';
import { signPlugin } from '../../dist/src/modules/plugins/signing/plugin-signature.js';
import { timeServeToReady } from './serve-process.js';

Logger.overrideLogger(false);

const BUNDLED = readdirSync(resolve('plugins'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
const GENERATED = Number(process.env.PLUGINS ?? Math.max(1, 50 - BUNDLED));
const TOTAL = BUNDLED + GENERATED;
const START_RUNS = Number(process.env.START_RUNS ?? 5);
const CALLS = Number(process.env.CALLS ?? 2000);
const COLD_CALLS = Number(process.env.COLD_CALLS ?? 10);
const WARMUP = 200;
const IDLE_MS = 200;

const work = mkdtempSync(join(tmpdir(), 'plugboard-bench-plugins-'));
const generated = join(work, 'plugins');
const empty = join(work, 'empty');
const trusted = join(work, 'trusted');
for (const dir of [generated, empty, trusted]) mkdirSync(dir);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
writeFileSync(join(trusted, 'bench.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
for (let index = 0; index < GENERATED; index += 1) {
  const dir = join(generated, `bench-${String(index).padStart(2, '0')}`);
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
  signPlugin(dir, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'bench');
}

function setUp(isolation, dataDir) {
  const config = loadConfig({
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'x'.repeat(32),
    ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    BUNDLED_PLUGINS_DIR: resolve('plugins'),
    PLUGINS_DIR: generated,
    TRUSTED_PUBLISHERS_DIR: trusted,
    PLUGIN_ISOLATION: isolation,
    PLUGIN_IDLE_MS: String(IDLE_MS),
    ALLOW_PRIVATE_NETWORK: 'true',
  });
  const registry = new PluginRegistry();
  const http = new SafeHttpClient(config);
  const runner =
    isolation === 'none'
      ? new InProcessPluginRunner(config, registry, new ProviderHttp(http))
      : new ChildProcessPluginRunner(config, registry, new ProviderHttp(http));
  return { registry, runner, http, loader: new PluginLoader(config, registry, runner) };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (values) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const ms = (value) => `${value.toFixed(Math.abs(value) < 1 ? 3 : 0)} ms`;
const context = (metadata = {}) => ({
  credentials: { apiKey: 'key', accessToken: 'token' },
  settings: { greeting: 'hi' },
  integration: { id: 'i', accountId: 'a', livemode: false, metadata },
});

/** Resident memory of this process's children (the plugin hosts), in MB. */
function childrenRssMb() {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== process.pid) continue;
      kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return kb / 1024;
}

async function startUp() {
  const none = { BUNDLED_PLUGINS_DIR: empty, PLUGINS_DIR: empty };
  const fifty = { PLUGINS_DIR: generated, TRUSTED_PUBLISHERS_DIR: trusted };
  const dataDir = join(work, 'serve');
  await timeServeToReady({ DATA_DIR: dataDir, ...none }); // initdb and migrations
  const uncached = await timeServeToReady({ DATA_DIR: dataDir, ...fifty });
  const times = { none: [], fifty: [] };
  for (let run = 0; run < START_RUNS; run += 1) {
    times.none.push(await timeServeToReady({ DATA_DIR: dataDir, ...none }));
    times.fifty.push(await timeServeToReady({ DATA_DIR: dataDir, ...fifty }));
  }
  // Runs alternate, so each difference is between neighbours in time (the machine's load drifts).
  return { uncached, none: median(times.none), fifty: median(times.fifty), added: median(times.fifty.map((time, run) => time - times.none[run])) };
}

async function memoryAndColdCalls(dataDir) {
  const { registry, loader, runner, http } = setUp('process', dataDir);
  const records = await loader.loadAll();
  const loaded = records.filter((record) => record.state === 'loaded').length;
  if (loaded !== TOTAL) throw new Error(`${loaded} of ${TOTAL} plugins loaded`);
  const before = childrenRssMb();
  // A call each: the generated ones echo; the bundled ones run their health check, which loads them in
  // their host, and whatever request it makes is refused here (the bench never leaves this machine).
  http.fetch = async () => {
    throw new Error('the plugins bench makes no provider requests');
  };
  for (const provider of registry.providers()) {
    const call = provider.id.startsWith('bench_') ? { kind: 'action', name: 'echo', input: {} } : { kind: 'healthCheck' };
    await runner.invoke(provider.id, { ...call, context: context() }).catch(() => undefined);
  }
  const rss = childrenRssMb();
  const cold = [];
  for (let run = 0; run < COLD_CALLS; run += 1) {
    await new Promise((done) => setTimeout(done, IDLE_MS * 2));
    const started = performance.now();
    await runner.invoke('bench_0', { kind: 'action', name: 'echo', input: {}, context: context() });
    cold.push(performance.now() - started);
  }
  await runner.close();
  await http.close();
  cold.sort((a, b) => a - b);
  return { before, rss, hosts: new Set(records.map((record) => record.host)).size, cold: { median: quantile(cold, 0.5), max: cold.at(-1) } };
}

async function callLatencies(isolation, dataDir) {
  const { loader, runner, http } = setUp(isolation, dataDir);
  await loader.loadAll();
  const latencies = [];
  for (let index = 0; index < WARMUP + CALLS; index += 1) {
    const started = performance.now();
    await runner.invoke(`bench_${index % GENERATED}`, { kind: 'action', name: 'echo', input: { index, text: 'x'.repeat(200) }, context: context() });
    if (index >= WARMUP) latencies.push(performance.now() - started);
  }
  await runner.close();
  await http.close();
  latencies.sort((a, b) => a - b);
  return { median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

try {
  console.log(
    `load average at start: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
  const start = await startUp();
  console.log(
    `serve to /health/ready (median of ${START_RUNS}): no plugins ${ms(start.none)}, ${TOTAL} plugins ${ms(start.fifty)}; ${TOTAL} plugins add ${ms(start.added)} (median of paired runs)`,
  );
  console.log(`  first start with ${TOTAL} plugins (descriptions not yet cached): ${ms(start.uncached)}`);
  const dataDir = join(work, 'runner');
  const memory = await memoryAndColdCalls(dataDir);
  console.log(
    `plugin processes: ${memory.before.toFixed(0)} MB RSS after loading; ${memory.rss.toFixed(0)} MB after one call to each of ${TOTAL} plugins (${memory.hosts} hosts)`,
  );
  console.log(`first call to a stopped host (${COLD_CALLS} runs): median ${ms(memory.cold.median)}, max ${ms(memory.cold.max)}`);
  const viaProcess = await callLatencies('process', dataDir);
  const inProcess = await callLatencies('none', dataDir);
  console.log(`per call, ${CALLS} sequential action calls spread over ${GENERATED} plugins:`);
  console.log(`  host process: median ${ms(viaProcess.median)}, p99 ${ms(viaProcess.p99)}`);
  console.log(`  in-process:   median ${ms(inProcess.median)}, p99 ${ms(inProcess.p99)}`);
  console.log(`  overhead of isolation: median ${ms(viaProcess.median - inProcess.median)}, p99 ${ms(viaProcess.p99 - inProcess.p99)}`);
  console.log(
    `load average at end: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
