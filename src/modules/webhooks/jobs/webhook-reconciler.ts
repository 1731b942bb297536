import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { IntervalTask } from '../../../core/queue/interval-task.js';
import { WebhookDeliveryRepository } from '../webhook-delivery.repository.js';
import { WebhookQueue } from '../webhook-queue.js';

const BATCH = 5000;

/**
 * Every RECONCILE_INTERVAL_MS, in worker processes: finds deliveries that PostgreSQL says are due but
 * that nobody has taken for a whole interval (their job was lost with Redis, or their worker died and
 * its lease ran out) and enqueues them again. One process does it at a time (advisory lock). It is a
 * timer, not a Bull repeatable job, because it must keep running when Redis has lost every job.
 */
@Injectable()
export class WebhookReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookReconciler.name);
  private readonly task: IntervalTask;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly queue: WebhookQueue,
  ) {
    this.task = new IntervalTask('webhooks.reconcile', config.reconcileIntervalMs, () => this.reconcile());
  }

  onApplicationBootstrap(): void {
    if (this.config.role !== 'api') this.task.start();
  }

  onApplicationShutdown(): void {
    this.task.stop();
  }

  private async reconcile(): Promise<void> {
    const ids = await this.deliveries.overdue(this.config.reconcileIntervalMs, BATCH);
    if (ids.length === 0) return;
    this.logger.log({ deliveries: ids.length }, 're-enqueued overdue webhook deliveries');
    await this.queue.enqueue(ids);
  }
}
