import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { ValidationFailedError } from '../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, PageQuery, pageArray, toPage } from '../../core/http/pagination.js';
import { EventDto, EventTypeDto, ListEventsQuery, PublishedEventDto, PublishEventDto } from './dto/event.dto.js';
import { Event, EventSource } from './entities/event.entity.js';
import { EventTypeCatalog } from './event-type-catalog.js';

export interface PublishInput {
  accountId: string;
  livemode: boolean;
  /** An event type from the catalog. */
  type: string;
  /** Validated against the type's JSON Schema. */
  data: Record<string, unknown>;
}

/**
 * Turns a new event into outbox rows in the same unit of work (webhook deliveries, …). Registered by
 * modules that react to events; runs inside the publisher's transaction.
 */
export type EventFanOut = (em: EntityManager, event: Event) => Promise<void>;

/** Publishes events durably: the event and everything fanned out from it commit together or not at all. */
@Injectable()
export class EventsService {
  private readonly fanOuts: EventFanOut[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly catalog: EventTypeCatalog,
  ) {}

  registerFanOut(fanOut: EventFanOut): void {
    this.fanOuts.push(fanOut);
  }

  /**
   * Adds the event (and its deliveries) to the caller's unit of work: they are written by that unit's
   * flush or transaction commit, atomically with the caller's own changes. Throws 400 when `data` does
   * not fit the type's schema.
   */
  async publish(em: EntityManager, input: PublishInput, source: EventSource = 'system'): Promise<Event> {
    this.catalog.assertValid(input.type, input.data);
    const event = em.create(Event, { accountId: input.accountId, livemode: input.livemode, type: input.type, data: input.data, source });
    em.persist(event);
    for (const fanOut of this.fanOuts) await fanOut(em, event);
    return event;
  }

  /** Stores an event that is fanned out to nobody: the caller delivers it itself (webhook test sends). */
  recordTestEvent(em: EntityManager, input: PublishInput): Event {
    return em.create(Event, { accountId: input.accountId, livemode: input.livemode, type: input.type, data: input.data, source: 'test' });
  }

  /** Publishes in a transaction of its own; returns once the event is committed. */
  async publishNow(input: PublishInput, source: EventSource = 'system'): Promise<Event> {
    return this.em.fork().transactional((em) => this.publish(em, input, source));
  }

  async ingest(caller: AccountCaller, dto: PublishEventDto): Promise<PublishedEventDto> {
    if (this.catalog.get(dto.event)?.publishedBy === 'plugboard') {
      throw new ValidationFailedError('Plugboard publishes this event type itself', [
        { path: 'event', message: `"${dto.event}" cannot be published through the API` },
      ]);
    }
    const event = await this.publishNow({ accountId: caller.accountId, livemode: caller.livemode, type: dto.event, data: dto.data }, 'api');
    return { id: event.id };
  }

  async list(caller: AccountCaller, query: ListEventsQuery): Promise<Page<EventDto>> {
    const rows = await this.em.find(
      Event,
      {
        accountId: caller.accountId,
        livemode: caller.livemode,
        source: { $ne: 'test' },
        ...(query.event ? { type: query.event } : {}),
        ...(query.since ? { createdAt: { $gte: query.since } } : {}),
        ...afterCursor(query.cursor),
      },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, EventDto.from);
  }

  /** Deletes events published before `cutoff` (log retention), in the given transaction. */
  async purgeBefore(em: EntityManager, cutoff: Date): Promise<number> {
    const result = await em.execute<{ affectedRows: number }>(`delete from events where created_at < ?`, [cutoff], 'run');
    return result.affectedRows;
  }

  listTypes(query: PageQuery): Page<EventTypeDto> {
    return pageArray(this.catalog.list().map(EventTypeDto.from), query);
  }
}
