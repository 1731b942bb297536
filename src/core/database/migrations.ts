import { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import { ormOptions } from './orm-options.js';

/** Applies pending migrations with a short-lived connection, before any module touches the database. */
export async function applyMigrations(config: AppConfig, databaseUrl: string, log: Logger): Promise<string[]> {
  const orm = await MikroORM.init({ ...ormOptions(config, databaseUrl), pool: { min: 0, max: 2 } });
  try {
    const applied = await orm.migrator.up();
    const names = applied.map((migration) => migration.name);
    if (names.length > 0) log.info({ migrations: names }, 'applied database migrations');
    return names;
  } finally {
    await orm.close(true);
  }
}
