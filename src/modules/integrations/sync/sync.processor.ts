import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { consumeQueue } from '../../../core/queue/queue-consumer.js';
import { QUEUES } from '../../../core/queue/queues.js';
import { SyncJob, SyncService } from './sync.service.js';

/** Runs queued sync runs in worker processes; a job is a run id, and a finished run is not run again. */
@Injectable()
export class SyncProcessor implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.syncs) private readonly queue: Queue<SyncJob>,
    private readonly syncs: SyncService,
  ) {}

  onModuleInit(): void {
    consumeQueue(this.config.role, this.queue, { jobName: '*', concurrency: 4, handle: (job) => this.run(job) });
  }

  private async run(job: Job<SyncJob>): Promise<void> {
    if (typeof job.data?.syncRunId !== 'string') return;
    await this.syncs.execute(job.data.syncRunId);
  }
}
