import { join } from 'node:path';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { PluginInstallation } from './entities/plugin-installation.entity.js';
import { MarketplaceCatalog } from './marketplace/marketplace-catalog.service.js';
import { MarketplaceService } from './marketplace/marketplace.service.js';
import { PluginInstallDir } from './plugin-install-dir.js';
import { PluginInstaller } from './plugin-installer.js';
import { PluginLifecycle } from './plugin-lifecycle.js';
import { PluginLoader } from './plugin-loader.js';
import { PluginOpenApi } from './plugin-openapi.js';
import { PluginReconciler } from './plugin-reconciler.js';
import { PluginRegistry } from './plugin-registry.js';
import { PluginsController } from './plugins.controller.js';
import { PluginsService } from './plugins.service.js';
import { ChildProcessPluginRunner } from './runner/child-process-runner.js';
import { InProcessPluginRunner } from './runner/in-process-runner.js';
import { PluginRunner } from './runner/plugin-runner.js';
import { ProviderBudgets } from './runner/provider-budgets.js';
import { ProviderHttp } from './runner/provider-http.js';

/**
 * Provider plugins. Other modules use the PluginRegistry (which providers exist, their schemas) and
 * the PluginRunner (calling them); see the contract at the top of runner/plugin-runner.ts.
 */
@Module({
  imports: [MikroOrmModule.forFeature([PluginInstallation])],
  controllers: [PluginsController],
  providers: [
    PluginRegistry,
    ProviderBudgets,
    ProviderHttp,
    {
      provide: PluginRunner,
      inject: [APP_CONFIG, PluginRegistry, ProviderHttp],
      useFactory: (config: AppConfig, registry: PluginRegistry, http: ProviderHttp): PluginRunner =>
        config.plugins.isolation === 'none' ? new InProcessPluginRunner(config, registry, http) : new ChildProcessPluginRunner(config, registry, http),
    },
    {
      provide: PluginInstallDir,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new PluginInstallDir(config.plugins.dirs[0] ?? join(config.dataDir, 'plugins')),
    },
    PluginLoader,
    MarketplaceService,
    MarketplaceCatalog,
    PluginLifecycle,
    PluginInstaller,
    PluginReconciler,
    PluginOpenApi,
    PluginsService,
  ],
  exports: [PluginRegistry, PluginRunner, ProviderHttp],
})
export class PluginsModule {}
