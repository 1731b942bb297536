import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { AppConfig, ConfigError, loadConfig, LoadConfigOptions } from '../core/config/config.js';
import { applyDevelopmentSecrets } from '../core/config/development-secrets.js';
import { startEmbeddedPostgres } from '../core/database/embedded-postgres.js';
import { applyMigrations } from '../core/database/migrations.js';
import { createLogger } from '../core/logging/logging.js';
import { ensureRedis } from '../core/queue/local-redis.js';
import type { Runtime } from '../app.module.js';

export class CliError extends Error {}

/** Environment from `.env` (when present) under the real environment, then validated configuration. */
export function readConfig(options: LoadConfigOptions = {}): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  applyDevelopmentSecrets();
  try {
    return loadConfig(process.env, options);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

export interface StartedRuntime extends Runtime {
  log: Logger;
  /** Stops what this process started (embedded PostgreSQL, local Redis). */
  stop(): Promise<void>;
}

/** Brings up the database (embedded when DATABASE_URL is unset) and Redis, and migrates when configured. */
export async function startRuntime(
  options: { migrate?: boolean; redis?: boolean; logTo?: 'stdout' | 'stderr' } & LoadConfigOptions = {},
): Promise<StartedRuntime> {
  const config = readConfig({ requireSecrets: options.requireSecrets });
  const log = createLogger(config.logLevel, options.logTo ?? 'stderr');
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch((error) => log.warn({ err: error }, 'stop failed'));
  };
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.dataDir, log);
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    if (options.redis !== false) {
      const redis = await ensureRedis(config.redis.url, config.dataDir, log);
      if (redis) stops.push(() => redis.stop());
    }
    if (options.migrate ?? config.database.migrateOnStart) await applyMigrations(config, databaseUrl, log);
    return { config, databaseUrl, log, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
