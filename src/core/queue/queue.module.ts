import { BullModule, getQueueToken } from '@nestjs/bull';
import { Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { MaintenanceProcessor, MaintenanceScheduler } from './maintenance.js';
import { QUEUES } from './queues.js';

const QUEUE_NAMES = Object.values(QUEUES);

/**
 * API-only processes (PLUGBOARD_ROLE=api) enqueue but never process: every queue is paused locally.
 * On shutdown, queues are closed after in-flight jobs finish.
 */
@Injectable()
class WorkerGate implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Queues');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  private queues(): Queue[] {
    return QUEUE_NAMES.map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') {
      await Promise.all(this.queues().map((queue) => queue.pause(true, true)));
      this.logger.log('API role: queues are not processed in this process');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues().map((queue) => queue.close().catch(() => undefined)));
  }
}

@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        url: config.redis.url,
        prefix: config.redis.queuePrefix,
        defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 5000 },
      }),
    }),
    BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
  ],
  providers: [WorkerGate, MaintenanceScheduler, MaintenanceProcessor],
  exports: [BullModule, MaintenanceScheduler],
})
export class QueueModule {}
