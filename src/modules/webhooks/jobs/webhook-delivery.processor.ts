import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { consumeQueue } from '../../../core/queue/queue-consumer.js';
import { QUEUES } from '../../../core/queue/queues.js';
import { WebhookDispatcher } from '../webhook-dispatcher.js';
import { isDeliverJob } from '../webhook-queue.js';

/**
 * Processes the webhook-deliveries queue's `deliver` jobs in worker processes (concurrency
 * WEBHOOK_CONCURRENCY). Idempotent: a job for deliveries that are already done, or held by another
 * worker, does nothing.
 */
@Injectable()
export class WebhookDeliveryProcessor implements OnModuleInit {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.webhookDeliveries) private readonly queue: Queue,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  onModuleInit(): void {
    consumeQueue(this.config.role, this.queue, { jobName: 'deliver', concurrency: this.config.webhooks.concurrency, handle: (job) => this.deliver(job) });
  }

  private async deliver(job: Job): Promise<void> {
    if (!isDeliverJob(job.data)) {
      this.logger.error({ jobId: job.id }, 'malformed deliver job dropped');
      return;
    }
    await this.dispatcher.dispatch(job.data.deliveryIds);
  }
}
