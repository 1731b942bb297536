import { join } from 'node:path';
import { PluginRegistry } from '../modules/plugins/index.js';
import { listen, createApp } from '../app.js';
import { StartedRuntime, startRuntime } from './runtime.js';

/** `plugboard serve`: API, workers and scheduler (as PLUGBOARD_ROLE says) until SIGTERM/SIGINT. */
export async function serve(): Promise<void> {
  const startedAt = performance.now();
  const runtime = await startRuntime({ command: 'serve', logTo: 'stdout' });
  const { config, log } = runtime;
  const app = await createApp(runtime);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new requests, finishing in-flight work');
    const deadline = setTimeout(() => {
      log.error('graceful shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    await app.close();
    await runtime.stop();
    log.info('stopped');
    process.exit(0);
  };
  // Nest's own hooks would exit before the embedded database stops, so signals are handled here. A
  // second signal (Ctrl-C reaches npm too, which passes it on) must not cut the shutdown short.
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Workers listen too, answering only /health and /metrics, so probes and Prometheus reach them.
  await listen(app, config.host, config.port);
  const plugins = app.get(PluginRegistry).list();
  const summary = {
    role: config.role,
    ...(config.role === 'worker' ? { port: config.port } : { api: config.publicUrl, docs: `${config.publicUrl}/docs` }),
    database: describeDatabase(runtime),
    redis: `${withoutPassword(config.redis.url)}${runtime.localRedis ? ` (started under ${config.dataDir}/redis)` : ''}`,
    plugins: { loaded: plugins.filter((plugin) => plugin.state === 'loaded').length, failed: plugins.filter((plugin) => plugin.state === 'failed').length },
    startupMs: Math.round(performance.now() - startedAt),
  };
  log.info(summary, config.role === 'worker' ? 'Plugboard worker ready' : `Plugboard ready at ${config.publicUrl} (docs at ${config.publicUrl}/docs)`);
}

function describeDatabase({ config, embeddedDatabase, databaseUrl }: StartedRuntime): string {
  if (!embeddedDatabase) return withoutPassword(databaseUrl);
  const dir = join(config.dataDir, 'postgres');
  const placed = embeddedDatabase.dir === dir ? '' : ` (files in ${embeddedDatabase.dir})`;
  return `embedded at ${dir}${placed} on port ${embeddedDatabase.port}`;
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}
