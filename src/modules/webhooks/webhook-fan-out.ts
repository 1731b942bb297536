import { EntityManager, type EventSubscriber, type TransactionEventArgs } from '@mikro-orm/postgresql';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { isSavepoint } from '../../core/database/transactions.js';
import { EventsService, type StoredEvent } from '../events/index.js';
import { WebhookDelivery } from './entities/webhook-delivery.entity.js';
import { eventFilterMatchesSql, eventTagsMatchSql, matchesEventFilter, matchesEventTags } from './event-filter.js';
import { WebhookQueue } from './webhook-queue.js';

/** Deliveries for events published in one statement (`published`), to each matching enabled endpoint. */
const FAN_OUT_STATEMENT = `
  insert into webhook_deliveries (id, account_id, livemode, endpoint_id, event_id, event_type, status, attempts, round_attempts, next_attempt_at, created_at)
  select gen_random_uuid(), p.account_id, p.livemode, e.id, p.id, p.type, 'pending', 0, 0, p.created_at, p.created_at
    from published p
    join webhook_endpoints e on e.account_id = p.account_id and e.livemode = p.livemode and e.enabled
   where ${eventFilterMatchesSql('e.events', 'p.type')} and ${eventTagsMatchSql('e.tags', 'p.data')}
  returning id`;

/**
 * Fans a published event out to the account's enabled endpoints whose filters match: one delivery row
 * each, in the publisher's unit of work (the outbox). Once that transaction commits, the new
 * deliveries are enqueued; if that enqueue is lost, the reconciler finds them in PostgreSQL.
 */
@Injectable()
export class WebhookFanOut implements OnModuleInit, EventSubscriber {
  /** Delivery ids waiting for their transaction (or, before it starts, their unit of work) to commit. */
  private readonly waiting = new WeakMap<object, string[]>();

  constructor(
    private readonly em: EntityManager,
    private readonly events: EventsService,
    private readonly queue: WebhookQueue,
  ) {}

  onModuleInit(): void {
    this.events.registerFanOut({
      inUnitOfWork: (em, event) => this.inUnitOfWork(em, event),
      statement: { text: FAN_OUT_STATEMENT, params: [] },
      afterCommit: (ids) => this.queue.enqueue(ids),
    });
    this.em.getEventManager().registerSubscriber(this);
  }

  private async inUnitOfWork(em: EntityManager, event: StoredEvent): Promise<void> {
    const endpoints = await em.execute<{ id: string; events: string[]; tags: string[] }[]>(
      `select id, events, tags from webhook_endpoints where account_id = ? and livemode = ? and enabled = true`,
      [event.accountId, event.livemode],
    );
    const ids: string[] = [];
    for (const endpoint of endpoints) {
      if (!matchesEventFilter(endpoint.events, event.type) || !matchesEventTags(endpoint.tags, event.data)) continue;
      const delivery = em.create(WebhookDelivery, {
        accountId: event.accountId,
        livemode: event.livemode,
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        createdAt: event.createdAt,
        nextAttemptAt: event.createdAt,
      });
      ids.push(delivery.id);
    }
    if (ids.length === 0) return;
    const key = em.getTransactionContext<object>() ?? em;
    this.waiting.set(key, [...(this.waiting.get(key) ?? []), ...ids]);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    if (isSavepoint(args)) return;
    const ids = this.take(args);
    if (ids.length > 0) await this.queue.enqueue(ids);
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (!isSavepoint(args)) this.take(args);
  }

  private take(args: TransactionEventArgs): string[] {
    const ids: string[] = [];
    for (const key of [args.transaction as object | undefined, args.em]) {
      if (!key) continue;
      ids.push(...(this.waiting.get(key) ?? []));
      this.waiting.delete(key);
    }
    return ids;
  }
}
