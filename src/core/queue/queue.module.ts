import { BullModule, getQueueToken } from '@nestjs/bull';
import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { MaintenanceProcessor, MaintenanceScheduler } from './maintenance.js';
import { QUEUES } from './queues.js';

const QUEUE_NAMES = Object.values(QUEUES);

/** On shutdown, queues are closed after in-flight jobs finish. */
@Injectable()
class QueueCloser implements OnApplicationShutdown {
  constructor(private readonly moduleRef: ModuleRef) {}

  async onApplicationShutdown(): Promise<void> {
    const queues = QUEUE_NAMES.map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
    await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
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
  providers: [QueueCloser, MaintenanceScheduler, MaintenanceProcessor],
  exports: [BullModule, MaintenanceScheduler],
})
export class QueueModule {}
