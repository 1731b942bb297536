import { writeFileSync } from 'node:fs';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { KeyRotationService } from '../core/crypto/key-rotation.service.js';
import { AccountsService } from '../modules/accounts/index.js';
import { ConsoleSessionsService } from '../modules/console/index.js';
import { isDatabaseUnavailable } from '../core/errors/database-errors.js';
import { createLogger } from '../core/logging/logging.js';
import { buildOpenApiDocument } from '../core/openapi/openapi.js';
import { createApp } from '../app.js';
import { PluginLoader, PluginRunner } from '../modules/plugins/index.js';
import { startRuntime } from './runtime.js';
import { writeMigrationIndex } from './migration-index.js';

/**
 * Runs `work` against the full application (not listening), then stops everything it started. The work
 * gets its own EntityManager context, as a request would: services refuse the global one.
 */
export async function withApp<T>(command: string, work: (app: Awaited<ReturnType<typeof createApp>>) => Promise<T>, migrate?: boolean): Promise<T> {
  const runtime = await startRuntime({ command, migrate });
  try {
    const app = await createApp({ ...runtime, config: { ...runtime.config, role: 'api' } }, { logs: false });
    try {
      return await RequestContext.create(app.get(MikroORM).em, () => work(app));
    } finally {
      await app.close();
    }
  } finally {
    await runtime.stop();
  }
}

export function createAccount(name: string, plan: string | undefined, ownerId: string) {
  return withApp('accounts create', (app) => app.get(AccountsService).create('system', { name, plan, ownerId }));
}

/** A one-time console sign-in link for a member of an account (or an instance administrator). */
export async function mintConsoleLink(userId: string, accountId: string | undefined, instanceAdmin: boolean): Promise<string> {
  const link = await withApp('console-link', (app) =>
    app.get(ConsoleSessionsService).mintLink({ kind: 'member', userId, instanceAdmin, ...(accountId ? { accountId } : {}) }),
  );
  return link.url;
}

/** Re-encrypts every stored secret with the primary key of ENCRYPTION_KEYS; safe while the service runs. */
export function rotateKeys() {
  return withApp('keys rotate', async (app) => {
    // The services owning encrypted columns register them for rotation when their module initialises.
    await app.init();
    return app.get(KeyRotationService).rotateAll();
  });
}

export async function writeOpenApi(out: string | undefined): Promise<void> {
  const json = await withApp(
    'openapi',
    async (app) => {
      // The committed document describes the repository's own plugins, whatever is installed locally.
      await app.get(PluginLoader).loadAll({ bundledOnly: true });
      try {
        return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
      } finally {
        await app.get(PluginRunner).close();
      }
    },
    false,
  );
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
}

export async function migrate(options: { create: boolean; check: boolean; waitForDatabaseSeconds?: number }): Promise<string> {
  if (!options.create && !options.check) {
    const deadline = Date.now() + (options.waitForDatabaseSeconds ?? 0) * 1000;
    const log = createLogger(process.env.LOG_LEVEL || 'info', { stream: 'stderr', production: process.env.NODE_ENV === 'production' });
    for (;;) {
      try {
        // Migrations touch neither tokens nor credentials: a migration Job needs only DATABASE_URL.
        const runtime = await startRuntime({ command: 'migrate', migrate: true, redis: false, requireSecrets: false });
        await runtime.stop();
        return 'database is up to date';
      } catch (error) {
        if (!isDatabaseUnavailable(error) || Date.now() >= deadline) throw error;
        log.warn({ code: (error as { code?: string }).code }, 'database not reachable yet; retrying in 2 s');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }
  return withApp(
    'migrate',
    async (app) => {
      const migrator = app.get(MikroORM).migrator;
      if (options.check) {
        if (await migrator.checkSchema()) throw new Error('The entities differ from the migrations: run `npm run migration:create`');
        return 'migrations match the entities';
      }
      const result = await migrator.create();
      if (!result.fileName) return 'no schema changes';
      writeMigrationIndex();
      return `created migrations/${result.fileName}`;
    },
    true,
  );
}
