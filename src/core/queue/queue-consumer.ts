import { Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import type { ProcessRole } from '../config/config.js';

export interface QueueConsumer<T> {
  /** The job name to take, or `*` for every job of the queue. */
  jobName: string;
  concurrency: number;
  handle(job: Job<T>): Promise<unknown>;
}

/**
 * Starts a queue's consumer in processes that run workers; an API-only process (PLUGBOARD_ROLE=api)
 * enqueues but never takes a job, so it never starts one (pausing a started consumer races with its
 * start-up). Each processor class calls this from `onModuleInit`, with its concurrency from configuration.
 */
export function consumeQueue<T>(role: ProcessRole, queue: Queue<T>, consumer: QueueConsumer<T>): void {
  if (role === 'api') return;
  const logger = new Logger(`Queue ${queue.name}`);
  queue
    .process(consumer.jobName, consumer.concurrency, (job: Job<T>) => consumer.handle(job))
    .catch((error: unknown) => {
      logger.error({ err: error }, 'queue processing stopped');
    });
}
