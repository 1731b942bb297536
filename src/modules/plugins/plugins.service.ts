import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Caller } from '../../core/auth/caller.js';
import { ConflictError } from '../../core/errors/app-errors.js';
import { type Page, type PageQuery, pageArray } from '../../core/http/pagination.js';
import { AuditService } from '../audit/index.js';
import { InstallPluginDto, PluginDto } from './dto/plugin.dto.js';
import { PluginInstallation } from './entities/plugin-installation.entity.js';
import { PluginInstaller } from './plugin-installer.js';
import { PluginLifecycle } from './plugin-lifecycle.js';
import { PluginLoader } from './plugin-loader.js';
import { PluginRecord, PluginRegistry } from './plugin-registry.js';
import { PluginRunner } from './runner/plugin-runner.js';

/**
 * The instance's plugins as administrators see them: loaded at start-up (after unpacking what
 * PostgreSQL says is installed, so every replica runs the same set), installed, enabled, disabled and
 * uninstalled without a restart. Each change is recorded in PostgreSQL (other replicas follow it: the
 * PluginReconciler) and audited.
 */
@Injectable()
export class PluginsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Plugins');

  constructor(
    private readonly em: EntityManager,
    private readonly registry: PluginRegistry,
    private readonly loader: PluginLoader,
    private readonly runner: PluginRunner,
    private readonly lifecycle: PluginLifecycle,
    private readonly installer: PluginInstaller,
    private readonly audit: AuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    const startedAt = performance.now();
    const rows = await this.installations();
    await this.installer.materialize(rows);
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

  async onApplicationShutdown(): Promise<void> {
    await this.runner.close();
  }

  list(query: PageQuery): Page<PluginDto> {
    return pageArray(this.registry.list().map(this.dto), query);
  }

  private readonly dto = (record: PluginRecord): PluginDto => PluginDto.from(record, this.runner.status(record.name));

  /** Installs (or upgrades) a plugin from the marketplace or a tarball; usable as soon as this returns. */
  install(caller: Caller | 'system', dto: InstallPluginDto): Promise<PluginDto> {
    return this.lifecycle.exclusive(async () => {
      const { record, archive, integrity } = await this.installer.install(dto.source);
      const em = this.em.fork();
      const row =
        (await em.findOne(PluginInstallation, { name: record.name })) ?? em.create(PluginInstallation, { name: record.name, version: record.version });
      em.assign(row, { version: record.version, source: dto.source, integrity, archive: Buffer.from(archive), enabled: true, providers: record.providers });
      this.audit.record(em, caller, {
        action: 'plugin.installed',
        targetType: 'plugin',
        targetId: record.name,
        details: { version: record.version, source: dto.source, signature: record.signature, publisher: record.publisher },
      });
      await em.flush();
      return this.dto(record);
    });
  }

  enable(caller: Caller, name: string): Promise<PluginDto> {
    return this.lifecycle.exclusive(async () => {
      const record = this.lifecycle.find(name);
      const em = this.em.fork();
      const row = await em.findOne(PluginInstallation, { name });
      if (row?.integrity) row.enabled = true;
      else if (row) em.remove(row);
      const result = record.state === 'loaded' ? record : await this.lifecycle.enable(record);
      this.audit.record(em, caller, {
        action: 'plugin.enabled',
        targetType: 'plugin',
        targetId: name,
        details: { version: result.version, state: result.state },
      });
      await em.flush();
      return this.dto(result);
    });
  }

  disable(caller: Caller, name: string): Promise<PluginDto> {
    return this.lifecycle.exclusive(async () => {
      const record = this.lifecycle.find(name);
      const em = this.em.fork();
      const row = (await em.findOne(PluginInstallation, { name })) ?? em.create(PluginInstallation, { name, version: record.version });
      row.enabled = false;
      if (record.state === 'loaded') row.providers = record.providers;
      this.audit.record(em, caller, { action: 'plugin.disabled', targetType: 'plugin', targetId: name, details: { version: record.version } });
      await em.flush();
      return this.dto(await this.lifecycle.disable(record, row.providers));
    });
  }

  uninstall(caller: Caller, name: string): Promise<void> {
    return this.lifecycle.exclusive(async () => {
      const record = this.lifecycle.find(name);
      if (record.source !== 'installed') {
        throw new ConflictError(`The plugin ${name} was not installed through Plugboard (${record.source}): remove it from its directory, or disable it`);
      }
      const em = this.em.fork();
      const row = await em.findOne(PluginInstallation, { name });
      if (row) em.remove(row);
      this.audit.record(em, caller, { action: 'plugin.uninstalled', targetType: 'plugin', targetId: name, details: { version: record.version } });
      await em.flush();
      await this.lifecycle.uninstall(name);
    });
  }

  private async installations(): Promise<PluginInstallation[]> {
    try {
      return await this.em.fork().find(PluginInstallation, {}, { populate: ['archive'], orderBy: { name: 'asc' } });
    } catch (error) {
      this.logger.error({ err: error }, 'plugin installations could not be read; loading plugins from their directories only');
      return [];
    }
  }
}
