import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { IntervalTask } from '../../core/queue/interval-task.js';
import { ApiKeyRepository } from './api-key.repository.js';

/**
 * `lastUsedAt` without a write per request: uses are collected in memory and written every
 * API_KEY_LAST_USED_FLUSH_MS in one statement per batch, and once more at shutdown. Replicas write
 * independently; a later time never goes backwards.
 */
@Injectable()
export class ApiKeyLastUsed implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(ApiKeyLastUsed.name);
  private pending = new Map<string, number>();
  private readonly task: IntervalTask;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: ApiKeyRepository,
  ) {
    this.task = new IntervalTask('api-keys.last-used', config.apiKeys.lastUsedFlushMs, () => this.flush());
    this.task.start();
  }

  touch(apiKeyId: string, at: number): void {
    this.pending.set(apiKeyId, at);
  }

  /** Writes what was collected; concurrent calls run one after the other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Map();
    try {
      await this.keys.writeLastUsed(batch);
    } catch (error) {
      for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
      this.logger.warn(`lastUsedAt not written, retrying on the next flush: ${(error as Error).message}`);
    }
  }

  onModuleDestroy(): void {
    this.task.stop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
