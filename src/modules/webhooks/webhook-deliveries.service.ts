import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { ConflictError, NotFoundError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, toPage } from '../../core/http/pagination.js';
import { EventsService, EventTypeCatalog } from '../events/index.js';
import { AccessService } from '../rbac/index.js';
import {
  AttemptDto,
  DeliveryDetailDto,
  DeliveryDto,
  ListDeliveriesQuery,
  RecoveredDto,
  RecoverDto,
  TestSendDto,
  TestWebhookDto,
} from './dto/webhook-delivery.dto.js';
import { WebhookAttempt } from './entities/webhook-attempt.entity.js';
import { WebhookDelivery } from './entities/webhook-delivery.entity.js';
import type { WebhookEndpoint } from './entities/webhook-endpoint.entity.js';
import { matchesEventFilter } from './event-filter.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookQueue } from './webhook-queue.js';
import { WebhooksService } from './webhooks.service.js';

/** The delivery log of an endpoint and the tools around it: manual retry, recover, test send. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly em: EntityManager,
    private readonly endpoints: WebhooksService,
    private readonly access: AccessService,
    private readonly catalog: EventTypeCatalog,
    private readonly events: EventsService,
    private readonly dispatcher: WebhookDispatcher,
    private readonly queue: WebhookQueue,
  ) {}

  async list(caller: AccountCaller, endpointId: string, query: ListDeliveriesQuery): Promise<Page<DeliveryDto>> {
    const endpoint = await this.endpoints.find(caller, endpointId);
    const createdAt = { ...(query.since ? { $gte: query.since } : {}), ...(query.until ? { $lt: query.until } : {}) };
    const rows = await this.em.find(
      WebhookDelivery,
      {
        endpointId: endpoint.id,
        ...(query.status ? { status: query.status } : {}),
        ...(query.since || query.until ? { createdAt } : {}),
        ...afterCursor(query.cursor),
      },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, DeliveryDto.from);
  }

  async get(caller: AccountCaller, endpointId: string, deliveryId: string): Promise<DeliveryDetailDto> {
    const delivery = await this.find(caller, endpointId, deliveryId);
    const attempts = await this.em.find(WebhookAttempt, { deliveryId: delivery.id }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return DeliveryDetailDto.from(delivery, attempts);
  }

  /** Queues the delivery again now, with a fresh retry schedule (also for one that succeeded: a resend). */
  async retry(caller: AccountCaller, endpointId: string, deliveryId: string): Promise<DeliveryDto> {
    const delivery = await this.find(caller, endpointId, deliveryId);
    const endpoint = await this.endpoints.find(caller, endpointId);
    await this.access.ensure(caller, 'send', 'WebhookEndpoint');
    assertEnabled(endpoint);
    delivery.status = 'pending';
    delivery.roundAttempts = 0;
    delivery.nextAttemptAt = new Date();
    await this.em.flush();
    await this.queue.enqueue([delivery.id]);
    return DeliveryDto.from(delivery);
  }

  /** Queues again every failed delivery to this endpoint created since `since`. */
  async recover(caller: AccountCaller, endpointId: string, dto: RecoverDto): Promise<RecoveredDto> {
    const endpoint = await this.endpoints.find(caller, endpointId);
    await this.access.ensure(caller, 'send', 'WebhookEndpoint');
    assertEnabled(endpoint);
    const rows = await this.em.execute<{ id: string }[]>(
      `update webhook_deliveries set status = 'pending', round_attempts = 0, next_attempt_at = now(), locked_until = null
        where endpoint_id = ? and status = 'failed' and created_at >= ?
        returning id`,
      [endpoint.id, dto.since],
    );
    await this.queue.enqueue(rows.map((row) => row.id));
    return { recovered: rows.length };
  }

  /**
   * Sends a test event now (the type's catalog example as data) and answers with the attempt. It is
   * logged like any delivery, is not retried, does not count toward disabling, and is not listed in
   * GET /v1/events.
   */
  async test(caller: AccountCaller, endpointId: string, dto: TestWebhookDto): Promise<TestSendDto> {
    const endpoint = await this.endpoints.find(caller, endpointId);
    await this.access.ensure(caller, 'send', 'WebhookEndpoint');
    const type = dto.event ?? this.defaultTestType(endpoint);
    const entry = this.catalog.get(type);
    if (!entry) throw new ValidationFailedError('Unknown event type', [{ path: 'event', message: `"${type}" is not in GET /v1/event-types` }]);
    const delivery = await this.em.fork().transactional((em) => {
      const event = this.events.recordTestEvent(em, { accountId: caller.accountId, livemode: caller.livemode, type, data: entry.example });
      return em.create(WebhookDelivery, {
        accountId: caller.accountId,
        livemode: caller.livemode,
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: type,
        createdAt: event.createdAt,
        nextAttemptAt: event.createdAt,
      });
    });
    const attemptId = await this.dispatcher.sendTest(delivery.id);
    if (!attemptId) throw new ConflictError('The test delivery could not be sent; try again');
    const attempt = await this.em.fork().findOneOrFail(WebhookAttempt, { id: attemptId });
    const response = AttemptDto.from(attempt);
    const succeeded = response.responseStatus !== null && response.responseStatus >= 200 && response.responseStatus < 300;
    return { ...response, deliveryId: delivery.id, eventId: delivery.eventId, succeeded };
  }

  private defaultTestType(endpoint: WebhookEndpoint): string {
    const exact = endpoint.events.find((filter) => !filter.endsWith('*'));
    if (exact) return exact;
    return this.catalog.list().find((entry) => matchesEventFilter(endpoint.events, entry.type))?.type ?? 'session.started';
  }

  private async find(caller: AccountCaller, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
    const delivery = await this.em.findOne(WebhookDelivery, {
      id: deliveryId,
      endpointId,
      accountId: caller.accountId,
      livemode: caller.livemode,
    });
    if (!delivery) throw new NotFoundError('Delivery');
    return delivery;
  }
}

function assertEnabled(endpoint: WebhookEndpoint): void {
  if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled: enable it first (PATCH enabled: true)');
}
