import { existsSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../../core/errors/app-errors.js';
import { PluginInstallDir } from './plugin-install-dir.js';
import { PluginLoader } from './plugin-loader.js';
import { PluginRecord, PluginRegistry } from './plugin-registry.js';
import { PluginRunner } from './runner/plugin-runner.js';

/**
 * What a plugin's state means in this process: loading it, unloading it (its calls fail, its providers
 * go), removing its files. Changes to plugins are serialised within the process through `exclusive`.
 */
@Injectable()
export class PluginLifecycle {
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: PluginRegistry,
    private readonly loader: PluginLoader,
    private readonly runner: PluginRunner,
    private readonly installDir: PluginInstallDir,
  ) {}

  /** Runs `work` after every change started before it, so two changes never interleave. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.pending.then(work, work);
    this.pending = run.catch(() => undefined);
    return run;
  }

  find(name: string): PluginRecord {
    const record = this.registry.get(name);
    if (!record) throw new NotFoundError('Plugin');
    return record;
  }

  async enable(record: PluginRecord): Promise<PluginRecord> {
    if (!record.dir || !existsSync(record.dir)) throw new ConflictError(`The plugin ${record.name} is not on this server's disk`);
    return this.loader.loadOne(record.dir, record.source);
  }

  /** Unloads the plugin and keeps it listed as disabled, with the providers it had (or `providers`, when it never loaded here). */
  async disable(record: PluginRecord, providers: string[]): Promise<PluginRecord> {
    await this.runner.unload(record.name);
    const disabled: PluginRecord = { ...record, state: 'disabled', providers: record.state === 'loaded' ? record.providers : providers };
    delete disabled.error;
    this.registry.put(disabled);
    return disabled;
  }

  async uninstall(name: string): Promise<void> {
    await this.runner.unload(name);
    this.registry.remove(name);
    this.installDir.remove(name);
  }
}
