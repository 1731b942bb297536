import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { EventsService } from '../../events/index.js';
import { WebhookDeliveryRepository } from '../webhook-delivery.repository.js';

/**
 * Deletes delivery logs (and the events they came from) older than WEBHOOK_LOG_RETENTION, as a
 * once-per-cluster maintenance task every WEBHOOK_CLEANUP_INTERVAL.
 */
@Injectable()
export class WebhookRetention implements OnModuleInit {
  private readonly logger = new Logger(WebhookRetention.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly events: EventsService,
    private readonly maintenance: MaintenanceScheduler,
  ) {}

  onModuleInit(): void {
    this.maintenance.register({ name: 'webhooks.retention', everyMs: this.config.webhooks.cleanupIntervalMs, run: () => this.cleanup() });
  }

  async cleanup(): Promise<{ deliveries: number; events: number }> {
    const cutoff = new Date(Date.now() - this.config.webhooks.logRetentionMs);
    return this.em.fork().transactional(async (em) => {
      const deliveries = await this.deliveries.deleteCreatedBefore(em, cutoff);
      const events = await this.events.purgeBefore(em, cutoff);
      const result = { deliveries, events };
      if (result.deliveries + result.events > 0) this.logger.log(result, 'expired webhook logs deleted');
      return result;
    });
  }
}
