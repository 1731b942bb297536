import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface LocalRedis {
  stop(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1500 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Makes sure Redis answers at REDIS_URL. When nothing answers on a local address and redis-server is
 * on the PATH, one is started under DATA_DIR/redis for this process's lifetime.
 */
export async function ensureRedis(url: string, dataDir: string, log: Logger): Promise<LocalRedis | undefined> {
  if (await answers(url)) return undefined;
  const parsed = new URL(url);
  const hasServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!LOCAL_HOSTS.has(parsed.hostname) || !hasServer) {
    throw new Error(
      `No Redis answers at ${parsed.host}. Set REDIS_URL to a reachable Redis 6+, or install redis-server ` +
        `(e.g. apt-get install redis-server) so Plugboard can start one locally.`,
    );
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', parsed.port || '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await answers(url)) {
      log.info({ port: parsed.port || 6379, dir }, 'started local redis-server');
      return {
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Started redis-server but it did not answer at ${parsed.host}`);
}
