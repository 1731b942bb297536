import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { lstatSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export const CLI = 'dist/src/main.js';

/**
 * Runs a plugboard CLI command to completion (the built CLI: `npm test` builds first). A command that
 * has not ended after a minute is killed and run once more, with what it printed reported: a CLI that
 * hangs every time still fails the test, with its output to read.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  const once = () => spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  let result = once();
  if (result.status === null) {
    console.warn(
      `plugboard ${args.join(' ')} ended without a status (${result.error?.message ?? result.signal}); running it again. It printed:\n${result.stdout}${result.stderr}`,
    );
    result = once();
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal };
}

export interface ServeProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startServe(env: Record<string, string | undefined>): ServeProcess {
  let output = '';
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function waitForReady(baseUrl: string, server?: ServeProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server && server.child.exitCode !== null) throw new Error(`serve exited early:\n${server.output()}`);
    try {
      if ((await fetch(`${baseUrl}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${baseUrl} did not become ready`);
}

/**
 * A free port below the kernel's ephemeral range (32768+), so a server started seconds later does not
 * race other processes' outgoing connections for it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
        .once('error', () => resolve(false))
        .listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Removes a DATA_DIR, with the cluster that root had to place elsewhere when DATA_DIR/postgres links to it. */
export function removeDataDir(dataDir: string): void {
  const link = join(dataDir, 'postgres');
  if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(dirname(readlinkSync(link)), { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
