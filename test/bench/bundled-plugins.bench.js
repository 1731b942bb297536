// The bundled provider plugins: iCal rendering of large feeds, Stripe webhook verification, and what
// loading the five plugins (PLUGIN_ISOLATION=process: one child process each) adds to a cold start.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { timeServeToReady } from './serve-process.js';

const RUNS = Number(process.env.RUNS ?? 3);
const plugin = async (folder) => (await import(pathToFileURL(resolve('plugins', folder, 'index.js')).href)).default.providers[0];
const ctx = { credentials: { webhookSecret: 'whsec_bench' }, settings: {}, integration: { id: 'i', accountId: 'acct_bench', livemode: false, metadata: {} } };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function icalRender() {
  const ical = await plugin('ical-feed');
  for (const sessions of [1_000, 10_000]) {
    const events = [];
    for (let index = 0; index < sessions; index += 1) {
      const start = Date.UTC(2026, 0, 1) + index * 3_600_000;
      events.push({
        id: `s${index}`,
        event: 'session.started',
        timestamp: new Date(start).toISOString(),
        data: { sessionId: `sess_${index}`, title: `Session ${index}, part ${index % 7}; with a long enough title to fold` },
      });
      events.push({ id: `e${index}`, event: 'session.ended', timestamp: new Date(start + 1_800_000).toISOString(), data: { sessionId: `sess_${index}` } });
    }
    const times = [];
    let bytes = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      bytes = (await ical.actions.render.run(ctx, { events })).body.length;
      times.push(performance.now() - started);
    }
    console.log(`ical render, ${sessions} sessions (${(bytes / 1024).toFixed(0)} KB): median ${median(times).toFixed(1)} ms`);
  }
}

async function stripeVerify() {
  const stripe = await plugin('stripe');
  const rawBody = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1', padding: 'x'.repeat(2000) } } });
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', 'whsec_bench').update(`${t}.${rawBody}`).digest('hex');
  const req = { headers: { 'stripe-signature': `t=${t},v1=${signature}` }, rawBody, body: undefined };
  const count = 20_000;
  const started = performance.now();
  for (let index = 0; index < count; index += 1) if (!stripe.webhook.verify(ctx, req)) throw new Error('signature refused');
  const elapsed = performance.now() - started;
  console.log(`stripe webhook verify, 2 KB body: ${((count / elapsed) * 1000).toFixed(0)} per second (${((elapsed / count) * 1000).toFixed(1)} µs each)`);
}

function startOnce(dataDir, bundledDir) {
  return timeServeToReady({ DATA_DIR: dataDir, BUNDLED_PLUGINS_DIR: bundledDir, PLUGIN_ISOLATION: 'process' });
}

async function startupCost() {
  const dataDir = mkdtempSync(join(tmpdir(), 'plugboard-bench-plugins-'));
  const empty = mkdtempSync(join(tmpdir(), 'plugboard-bench-no-plugins-'));
  try {
    await startOnce(dataDir, empty);
    const without = [];
    const withPlugins = [];
    for (let run = 0; run < RUNS; run += 1) {
      without.push(await startOnce(dataDir, empty));
      withPlugins.push(await startOnce(dataDir, resolve('plugins')));
    }
    console.log(
      `cold start to ready: without bundled plugins median ${median(without).toFixed(0)} ms, with the five (child processes) median ${median(withPlugins).toFixed(0)} ms (${RUNS} runs each)`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

await icalRender();
await stripeVerify();
await startupCost();
