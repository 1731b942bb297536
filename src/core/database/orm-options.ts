import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { migrationsList } from '../../../migrations/index.js';
import type { Pool } from 'pg';
import type { AppConfig } from '../config/config.js';
import { connectionFailures } from './connection-failures.js';
import { currentEntityManager } from './request-entity-manager.js';

export const MIGRATIONS_DIR = 'migrations';

/** MikroORM options shared by the server and the CLI; entities are registered by each module. */
export function ormOptions(config: AppConfig, databaseUrl: string) {
  return defineConfig({
    clientUrl: databaseUrl,
    metadataProvider: ReflectMetadataProvider,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    pool: { min: 0, max: config.database.poolSize },
    driverOptions: { onPoolCreated: (pool: Pool) => connectionFailures.watch(pool) },
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
    },
    context: currentEntityManager,
    forceUtcTimezone: true,
    logger: () => undefined,
    ignoreUndefinedInQuery: true,
    debug: false,
  });
}
