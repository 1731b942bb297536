import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { EventsModule } from '../events/index.js';
import { WebhookAttempt } from './entities/webhook-attempt.entity.js';
import { WebhookDelivery } from './entities/webhook-delivery.entity.js';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity.js';
import { WebhookDeliveryProcessor } from './jobs/webhook-delivery.processor.js';
import { WebhookReconciler } from './jobs/webhook-reconciler.js';
import { WebhookRetention } from './jobs/webhook-retention.js';
import { WebhookDeliveriesService } from './webhook-deliveries.service.js';
import { WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookFanOut } from './webhook-fan-out.js';
import { WebhookQueue } from './webhook-queue.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';
import { AclRegistry } from '../rbac/index.js';
import { webhooksAcl } from './webhooks.acl.js';

/** Outbound webhooks: endpoints, Standard Webhooks signing, durable delivery with retries, logs and tools. */
@Module({
  imports: [MikroOrmModule.forFeature([WebhookEndpoint, WebhookDelivery, WebhookAttempt]), EventsModule],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookDeliveriesService,
    WebhookDeliveryRepository,
    WebhookSender,
    WebhookDispatcher,
    WebhookFanOut,
    WebhookQueue,
    WebhookDeliveryProcessor,
    WebhookReconciler,
    WebhookRetention,
  ],
})
export class WebhooksModule {
  constructor(acls: AclRegistry) {
    acls.register(webhooksAcl);
  }
}
