import { listen, createApp } from '../server.js';
import { startRuntime } from './runtime.js';

/** `plugboard serve`: API, workers and scheduler (as PLUGBOARD_ROLE says) until SIGTERM/SIGINT. */
export async function serve(): Promise<void> {
  const startedAt = performance.now();
  const runtime = await startRuntime({ logTo: 'stdout' });
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
  // Nest's own hooks would exit before the embedded database stops, so signals are handled here.
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  // Workers listen too, answering only /health and /metrics, so probes and Prometheus reach them.
  await listen(app, config.host, config.port);
  if (config.role === 'worker') {
    log.info({ role: config.role, port: config.port, startupMs: Math.round(performance.now() - startedAt) }, 'Plugboard worker ready');
    return;
  }
  log.info(
    { role: config.role, url: config.publicUrl, docs: `${config.publicUrl}/docs`, startupMs: Math.round(performance.now() - startedAt) },
    'Plugboard ready',
  );
}
