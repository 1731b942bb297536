import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { IntervalTask } from '../../core/queue/interval-task.js';
import { PluginInstallation } from './entities/plugin-installation.entity.js';
import { PluginInstallDir } from './plugin-install-dir.js';
import { PluginInstaller } from './plugin-installer.js';
import { PluginLifecycle } from './plugin-lifecycle.js';
import { PluginLoader } from './plugin-loader.js';
import { PluginRegistry } from './plugin-registry.js';

/**
 * Other replicas' installs, enables, disables and uninstalls reach this process within
 * RECONCILE_INTERVAL_MS: every process compares what PostgreSQL says about each plugin with what it
 * runs, and applies the difference.
 */
@Injectable()
export class PluginReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: IntervalTask;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly em: EntityManager,
    private readonly registry: PluginRegistry,
    private readonly loader: PluginLoader,
    private readonly lifecycle: PluginLifecycle,
    private readonly installer: PluginInstaller,
    private readonly installDir: PluginInstallDir,
  ) {
    this.task = new IntervalTask('plugins.reconcile', config.reconcileIntervalMs, () => this.reconcile());
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  reconcile(): Promise<void> {
    return this.lifecycle.exclusive(async () => {
      const rows = await this.em.fork().find(PluginInstallation, {}, { fields: ['name', 'version', 'integrity', 'enabled', 'providers'] });
      const byName = new Map(rows.map((row) => [row.name, row]));
      for (const row of rows) {
        const record = this.registry.get(row.name);
        if (row.integrity && (!record || record.source !== 'installed' || record.version !== row.version)) {
          if (record && record.source !== 'installed') continue;
          const [full] = await this.em.fork().find(PluginInstallation, { name: row.name }, { populate: ['archive'] });
          if (!full) continue;
          await this.installer.materialize([full], false);
          await this.loader.loadOne(this.installDir.pathOf(row.name), 'installed', row.enabled ? undefined : row.providers);
        } else if (record && !row.enabled && record.state !== 'disabled') await this.lifecycle.disable(record, row.providers);
        else if (record && row.enabled && record.state === 'disabled') await this.lifecycle.enable(record);
      }
      for (const record of this.registry.list()) {
        const row = byName.get(record.name);
        if (record.source === 'installed' && !row?.integrity) await this.lifecycle.uninstall(record.name);
        else if (!row && record.state === 'disabled') await this.lifecycle.enable(record);
      }
    });
  }
}
