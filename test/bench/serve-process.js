// Starting `plugboard serve` from the build and timing it to /health/ready, for the benchmarks.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Milliseconds from spawning `serve` (with `env` over embedded defaults) to a ready answer; then stops it. */
export async function timeServeToReady(env) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/src/main.js', 'serve'], {
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn', QUEUE_PREFIX: `pbbench${port}`, ...env, PORT: String(port) },
    stdio: 'ignore',
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error('serve exited');
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 20));
  }
  const elapsed = performance.now() - started;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
  return elapsed;
}
