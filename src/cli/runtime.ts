import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { AppConfig, ConfigError, loadConfig, LoadConfigOptions } from '../core/config/config.js';
import { applyDevelopmentSecrets } from '../core/config/development-secrets.js';
import { EmbeddedDatabase, startEmbeddedPostgres } from '../core/database/embedded-postgres.js';
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
  /** The embedded PostgreSQL in use, when DATABASE_URL is unset. */
  embeddedDatabase?: EmbeddedDatabase;
  /** True when this process started a local redis-server. */
  localRedis: boolean;
  /** Stops what this process started (embedded PostgreSQL, local Redis). */
  stop(): Promise<void>;
}

/** Brings up the database (embedded when DATABASE_URL is unset) and Redis, and migrates when configured. */
export async function startRuntime(
  options: { command: string; migrate?: boolean; redis?: boolean; logTo?: 'stdout' | 'stderr' } & LoadConfigOptions,
): Promise<StartedRuntime> {
  const config = readConfig({ requireSecrets: options.requireSecrets });
  const log = createLogger(config.logLevel, { stream: options.logTo ?? 'stderr', production: config.env === 'production' });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch((error) => log.warn({ err: error }, 'stop failed'));
  };
  try {
    // A second server on the same embedded database would fight the first; other commands share it.
    const embeddedDatabase = config.database.url
      ? undefined
      : await startEmbeddedPostgres(config.dataDir, log, { command: options.command, shareWithServer: options.command !== 'serve' });
    if (embeddedDatabase) stops.push(() => embeddedDatabase.stop());
    const databaseUrl = config.database.url ?? embeddedDatabase!.url;
    const redis = options.redis === false ? undefined : await ensureRedis(config.redis.url, config.dataDir, log);
    if (redis) stops.push(() => redis.stop());
    if (options.migrate ?? config.database.migrateOnStart) await applyMigrations(config, databaseUrl, log);
    return { config, databaseUrl, embeddedDatabase, localRedis: redis !== undefined, log, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
