import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { NotFoundError } from '../../core/errors/app-errors.js';
import { type Page, type PageQuery, pageArray } from '../../core/http/pagination.js';
import { PluginDto } from './dto/plugin.dto.js';
import { PluginLoader } from './plugin-loader.js';
import { PluginRegistry } from './plugin-registry.js';
import { PluginRunner } from './runner/plugin-runner.js';

/** The instance's plugins: loaded at start-up, listed, and managed by instance administrators. */
@Injectable()
export class PluginsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Plugins');

  constructor(
    private readonly registry: PluginRegistry,
    private readonly loader: PluginLoader,
    private readonly runner: PluginRunner,
  ) {}

  async onModuleInit(): Promise<void> {
    const startedAt = performance.now();
    const records = await this.loader.loadAll();
    this.logger.log(
      { loaded: records.filter((record) => record.state === 'loaded').length, failed: records.filter((record) => record.state === 'failed').length, ms: Math.round(performance.now() - startedAt) },
      'plugins loaded',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.close();
  }

  list(query: PageQuery): Page<PluginDto> {
    return pageArray(this.registry.list().map(PluginDto.from), query);
  }

  get(name: string): PluginDto {
    const record = this.registry.get(name);
    if (!record) throw new NotFoundError('Plugin');
    return PluginDto.from(record);
  }
}
