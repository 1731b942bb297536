import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Caller } from '../../core/auth/caller.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { ConflictError, NotFoundError, PluginRejectedError } from '../../core/errors/app-errors.js';
import { type Page, type PageQuery, pageArray } from '../../core/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { InstallPluginDto, PluginDto } from './dto/plugin.dto.js';
import { PluginInstallation } from './entities/plugin-installation.entity.js';
import { MarketplaceService } from './marketplace/marketplace.service.js';
import { integrityOf, matchesIntegrity, UnsafeArchiveError, unpackPluginArchive } from './packaging/plugin-archive.js';
import { PluginInstallDir } from './plugin-install-dir.js';
import './plugin-openapi.js';
import { PluginLoader } from './plugin-loader.js';
import { InvalidPluginError, isCompatible } from './plugin-manifest.js';
import { PluginRecord, PluginRegistry } from './plugin-registry.js';
import { PluginRunner } from './runner/plugin-runner.js';

/**
 * The instance's plugins: loaded at start-up (after unpacking what PostgreSQL says is installed, so
 * every replica runs the same set), installed, enabled, disabled and uninstalled without a restart.
 * Changes are serialised within the process.
 */
@Injectable()
export class PluginsService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Plugins');
  private readonly installDir: PluginInstallDir;
  private pending: Promise<unknown> = Promise.resolve();
  private reconciler?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly registry: PluginRegistry,
    private readonly loader: PluginLoader,
    private readonly runner: PluginRunner,
    private readonly marketplace: MarketplaceService,
    private readonly audit: AuditService,
  ) {
    this.installDir = new PluginInstallDir(config.plugins.dirs[0] ?? join(config.dataDir, 'plugins'));
  }

  async onModuleInit(): Promise<void> {
    const startedAt = performance.now();
    const rows = await this.installations();
    await this.materialize(rows);
    const records = await this.loader.loadAll({
      disabled: new Map(rows.filter((row) => !row.enabled).map((row) => [row.name, row.providers])),
      installed: new Set(rows.filter((row) => row.integrity).map((row) => row.name)),
    });
    this.logger.log(
      {
        loaded: records.filter((record) => record.state === 'loaded').length,
        failed: records.filter((record) => record.state === 'failed').length,
        disabled: records.filter((record) => record.state === 'disabled').length,
        ms: Math.round(performance.now() - startedAt),
      },
      'plugins loaded',
    );
  }

  /** Other replicas' installs, enables, disables and uninstalls reach this one within RECONCILE_INTERVAL_MS. */
  onApplicationBootstrap(): void {
    this.reconciler = setInterval(() => {
      this.reconcile().catch((error: unknown) => this.logger.warn({ err: error }, 'plugin reconciliation failed'));
    }, this.config.reconcileIntervalMs);
    this.reconciler.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.reconciler);
    await this.runner.close();
  }

  /** Applies what PostgreSQL says about each plugin where this process differs. */
  reconcile(): Promise<void> {
    return this.serialised(async () => {
      const rows = await this.em.fork().find(PluginInstallation, {}, { fields: ['name', 'version', 'integrity', 'enabled', 'providers'] });
      const byName = new Map(rows.map((row) => [row.name, row]));
      for (const row of rows) {
        const record = this.registry.get(row.name);
        if (row.integrity && (!record || record.source !== 'installed' || record.version !== row.version)) {
          if (record && record.source !== 'installed') continue;
          const [full] = await this.em.fork().find(PluginInstallation, { name: row.name }, { populate: ['archive'] });
          if (!full) continue;
          await this.materialize([full], false);
          await this.loader.loadOne(this.installDir.pathOf(row.name), 'installed', row.enabled ? undefined : row.providers);
        } else if (record && !row.enabled && record.state !== 'disabled') await this.disableHere(record, row.providers);
        else if (record && row.enabled && record.state === 'disabled') await this.enableHere(record);
      }
      for (const record of this.registry.list()) {
        const row = byName.get(record.name);
        if (record.source === 'installed' && !row?.integrity) await this.uninstallHere(record.name);
        else if (!row && record.state === 'disabled') await this.enableHere(record);
      }
    });
  }

  list(query: PageQuery): Page<PluginDto> {
    return pageArray(this.registry.list().map(PluginDto.from), query);
  }

  /** Installs (or upgrades) a plugin from the marketplace or a tarball; usable as soon as this returns. */
  install(caller: Caller | 'system', dto: InstallPluginDto): Promise<PluginDto> {
    return this.serialised(async () => {
      const { location, entry } = await this.marketplace.resolveSource(dto.source);
      if (entry && !isCompatible(entry.apiVersion)) throw new PluginRejectedError(`incompatible apiVersion: ${entry.name}@${entry.version} supports ${entry.apiVersion}`);
      const archive = await this.marketplace.download(location);
      if (entry && !matchesIntegrity(archive, entry.integrity)) {
        throw new PluginRejectedError(`integrity mismatch: the tarball of ${entry.name}@${entry.version} is not the one the marketplace lists`);
      }
      const record = await this.unpackAndLoad(archive, entry ? { name: entry.name, version: entry.version } : undefined);
      const em = this.em.fork();
      const row = (await em.findOne(PluginInstallation, { name: record.name })) ?? em.create(PluginInstallation, { name: record.name, version: record.version });
      em.assign(row, {
        version: record.version,
        source: dto.source,
        integrity: integrityOf(archive),
        archive: Buffer.from(archive),
        enabled: true,
        providers: record.providers,
      });
      this.audit.record(em, caller, {
        action: 'plugin.installed',
        targetType: 'plugin',
        targetId: record.name,
        details: { version: record.version, source: dto.source, signature: record.signature, publisher: record.publisher },
      });
      await em.flush();
      return PluginDto.from(record);
    });
  }

  enable(caller: Caller, name: string): Promise<PluginDto> {
    return this.serialised(async () => {
      const record = this.find(name);
      const em = this.em.fork();
      const row = await em.findOne(PluginInstallation, { name });
      if (row?.integrity) row.enabled = true;
      else if (row) em.remove(row);
      const result = record.state === 'loaded' ? record : await this.enableHere(record);
      this.audit.record(em, caller, { action: 'plugin.enabled', targetType: 'plugin', targetId: name, details: { version: result.version, state: result.state } });
      await em.flush();
      return PluginDto.from(result);
    });
  }

  disable(caller: Caller, name: string): Promise<PluginDto> {
    return this.serialised(async () => {
      const record = this.find(name);
      const em = this.em.fork();
      const row = (await em.findOne(PluginInstallation, { name })) ?? em.create(PluginInstallation, { name, version: record.version });
      row.enabled = false;
      if (record.state === 'loaded') row.providers = record.providers;
      this.audit.record(em, caller, { action: 'plugin.disabled', targetType: 'plugin', targetId: name, details: { version: record.version } });
      await em.flush();
      return PluginDto.from(await this.disableHere(record, row.providers));
    });
  }

  uninstall(caller: Caller, name: string): Promise<void> {
    return this.serialised(async () => {
      const record = this.find(name);
      if (record.source !== 'installed') {
        throw new ConflictError(`The plugin ${name} was not installed through Plugboard (${record.source}): remove it from its directory, or disable it`);
      }
      const em = this.em.fork();
      const row = await em.findOne(PluginInstallation, { name });
      if (row) em.remove(row);
      this.audit.record(em, caller, { action: 'plugin.uninstalled', targetType: 'plugin', targetId: name, details: { version: record.version } });
      await em.flush();
      await this.uninstallHere(name);
    });
  }

  private async enableHere(record: PluginRecord): Promise<PluginRecord> {
    if (!record.dir || !existsSync(record.dir)) throw new ConflictError(`The plugin ${record.name} is not on this server's disk`);
    return this.loader.loadOne(record.dir, record.source);
  }

  private async disableHere(record: PluginRecord, providers: string[]): Promise<PluginRecord> {
    await this.runner.unload(record.name);
    const disabled: PluginRecord = { ...record, state: 'disabled', providers: record.state === 'loaded' ? record.providers : providers };
    delete disabled.error;
    this.registry.put(disabled);
    return disabled;
  }

  private async uninstallHere(name: string): Promise<void> {
    await this.runner.unload(name);
    this.registry.remove(name);
    this.installDir.remove(name);
  }

  private find(name: string): PluginRecord {
    const record = this.registry.get(name);
    if (!record) throw new NotFoundError('Plugin');
    return record;
  }

  /**
   * Unpacks an archive next to the plugins, checks it, puts it in place and loads it. A refusal
   * (unsafe archive, manifest, apiVersion, signature, a plugin that does not load) leaves the previous
   * state exactly as it was.
   */
  private async unpackAndLoad(archive: Uint8Array, expected?: { name: string; version: string }): Promise<PluginRecord> {
    const staging = this.installDir.staging();
    const unpacked = join(staging, 'package');
    const previous = join(staging, 'previous');
    try {
      try {
        await unpackPluginArchive(archive, unpacked);
      } catch (error) {
        if (error instanceof UnsafeArchiveError) throw new PluginRejectedError(error.message);
        throw error;
      }
      let checked: ReturnType<PluginLoader['check']>;
      try {
        checked = this.loader.check(unpacked, 'installed');
      } catch (error) {
        if (error instanceof InvalidPluginError) throw new PluginRejectedError(error.message);
        throw error;
      }
      if (checked.refusal) throw new PluginRejectedError(checked.refusal);
      const { name, version } = checked.manifest;
      if (expected && (expected.name !== name || expected.version !== version)) {
        throw new PluginRejectedError(`the tarball holds ${name}@${version}, not ${expected.name}@${expected.version}`);
      }
      const existing = this.registry.get(name);
      if (existing && existing.source !== 'installed') throw new ConflictError(`A ${existing.source} plugin named ${name} is already present`);
      const hadPrevious = this.installDir.place(name, unpacked, previous);
      const record = await this.loader.loadOne(this.installDir.pathOf(name), 'installed');
      if (record.state === 'loaded') return record;
      await this.runner.unload(name);
      this.registry.remove(name);
      rmSync(this.installDir.pathOf(name), { recursive: true, force: true });
      if (hadPrevious) {
        renameSync(previous, this.installDir.pathOf(name));
        if (existing) await this.loader.loadOne(this.installDir.pathOf(name), 'installed', existing.state === 'disabled' ? existing.providers : undefined);
      } else this.installDir.record(name, false);
      throw new PluginRejectedError(`the plugin does not load: ${record.error}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  private async installations(): Promise<PluginInstallation[]> {
    try {
      return await this.em.fork().find(PluginInstallation, {}, { populate: ['archive'], orderBy: { name: 'asc' } });
    } catch (error) {
      this.logger.error({ err: error }, 'plugin installations could not be read; loading plugins from their directories only');
      return [];
    }
  }

  /**
   * Unpacks the archives PostgreSQL lists that this replica lacks and (with `prune`, given every row)
   * removes the installs it no longer lists.
   */
  private async materialize(rows: PluginInstallation[], prune = true): Promise<void> {
    const installed = rows.filter((row) => row.integrity && row.archive);
    for (const row of installed) {
      const dir = this.installDir.pathOf(row.name);
      if (this.installedVersion(dir) === row.version) continue;
      if (!matchesIntegrity(row.archive!, row.integrity!)) {
        this.logger.error({ plugin: row.name }, 'the stored archive does not match its integrity; not installed');
        continue;
      }
      const staging = this.installDir.staging();
      try {
        await unpackPluginArchive(row.archive!, join(staging, 'package'));
        this.installDir.place(row.name, join(staging, 'package'), join(staging, 'previous'));
      } catch (error) {
        this.logger.error({ plugin: row.name, err: error }, 'the stored archive could not be unpacked');
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    if (!prune) return;
    const listed = new Set(installed.map((row) => row.name));
    for (const name of this.installDir.owned()) if (!listed.has(name)) this.installDir.remove(name);
  }

  private installedVersion(dir: string): string | undefined {
    try {
      return this.loader.check(dir, 'installed').manifest.version;
    } catch {
      return undefined;
    }
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.pending.then(work, work);
    this.pending = run.catch(() => undefined);
    return run;
  }
}
