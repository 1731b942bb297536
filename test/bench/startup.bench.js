// Cold start of `plugboard serve` to /health/ready on embedded PostgreSQL whose data directory is
// already initialised (the usual restart), measured from process spawn.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeServeToReady } from './serve-process.js';

const RUNS = Number(process.env.RUNS ?? 5);
const dataDir = mkdtempSync(join(tmpdir(), 'plugboard-bench-startup-'));

function startOnce() {
  return timeServeToReady({ DATA_DIR: dataDir });
}

try {
  const first = await startOnce();
  console.log(`first start (initdb + migrations): ${first.toFixed(0)} ms`);
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await startOnce());
  times.sort((a, b) => a - b);
  console.log(
    `cold start to ready, data initialised: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times.at(-1).toFixed(0)} ms (${RUNS} runs)`,
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
