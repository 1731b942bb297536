import { getQueueToken } from '@nestjs/bull';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Job, Queue } from 'bull';
import { QUEUES } from '../queue/queues.js';
import { MetricsService } from './metrics.service.js';

const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
const DEPTH_TIMEOUT_MS = 1000;

/**
 * Queue depths, read from Redis at scrape time (a scrape while Redis is down reports nothing rather
 * than hanging), and the processing time of every job this process ran.
 */
@Injectable()
export class QueueMetrics implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: MetricsService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    const queues = Object.values(QUEUES).map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
    for (const queue of queues) {
      const seconds = (job: Job) => Math.max(0, ((job.finishedOn ?? Date.now()) - (job.processedOn ?? job.timestamp)) / 1000);
      queue.on('completed', (job: Job) => this.metrics.job(queue.name, 'completed', seconds(job)));
      queue.on('failed', (job: Job) => this.metrics.job(queue.name, 'failed', seconds(job)));
    }
    this.metrics.gauge('plugboard_queue_jobs', 'Jobs in each queue by state', ['queue', 'state'], async (gauge) => {
      gauge.reset();
      await Promise.all(
        queues.map(async (queue) => {
          const counts = await withTimeout(queue.getJobCounts(), DEPTH_TIMEOUT_MS).catch(() => undefined);
          if (!counts) return;
          for (const state of DEPTH_STATES) gauge.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}
