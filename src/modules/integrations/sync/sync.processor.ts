import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { QUEUES } from '../../../core/queue/queues.js';
import { SyncJob, SyncService } from './sync.service.js';

@Processor(QUEUES.syncs)
export class SyncProcessor {
  constructor(private readonly syncs: SyncService) {}

  @Process({ concurrency: 4 })
  async run(job: Job<SyncJob>): Promise<void> {
    if (typeof job.data?.syncRunId !== 'string') return;
    await this.syncs.execute(job.data.syncRunId);
  }
}
