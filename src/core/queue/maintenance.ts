import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { consumeQueue } from './queue-consumer.js';
import { QUEUES } from './queues.js';

export interface MaintenanceTask {
  /** Unique, e.g. `integrations.refresh-sweep`. */
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * Periodic work that must run once per cluster (token refresh sweeps, health checks, reconcilers,
 * retention): each task is a Bull repeatable job on the maintenance queue, so whichever worker takes
 * a tick runs it, exactly once per tick. Modules register tasks in `onModuleInit`.
 */
@Injectable()
export class MaintenanceScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('Maintenance');
  private readonly tasks = new Map<string, MaintenanceTask>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
  ) {}

  register(task: MaintenanceTask): void {
    this.tasks.set(task.name, task);
  }

  task(name: string): MaintenanceTask | undefined {
    return this.tasks.get(name);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'api') return;
    const wanted = new Map([...this.tasks.values()].map((task) => [task.name, task.everyMs]));
    for (const job of await this.queue.getRepeatableJobs()) {
      if (wanted.get(job.name) !== Number(job.every)) await this.queue.removeRepeatableByKey(job.key);
    }
    for (const task of this.tasks.values()) {
      await this.queue.add(task.name, {}, { repeat: { every: task.everyMs }, jobId: task.name, removeOnComplete: true, removeOnFail: 100 });
    }
    this.logger.log(`scheduled ${this.tasks.size} maintenance task(s)`);
  }
}

/** Runs maintenance ticks in worker processes, one at a time. */
@Injectable()
export class MaintenanceProcessor implements OnModuleInit {
  private readonly logger = new Logger('Maintenance');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    private readonly scheduler: MaintenanceScheduler,
  ) {}

  onModuleInit(): void {
    consumeQueue(this.config.role, this.queue, { jobName: '*', concurrency: 1, handle: (job) => this.run(job) });
  }

  private async run(job: Job): Promise<unknown> {
    const task = this.scheduler.task(job.name);
    if (!task) return undefined;
    const started = Date.now();
    try {
      return await task.run();
    } finally {
      this.logger.debug(`${job.name} took ${Date.now() - started} ms`);
    }
  }
}
