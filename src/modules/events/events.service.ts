import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { BatchWriter } from '../../core/database/batch-writer.js';
import type { Sql } from '../../core/database/entity-rows.js';
import { ValidationFailedError } from '../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, PageQuery, pageArray, toPage } from '../../core/http/pagination.js';
import { EventDto, EventTypeDto, ListEventsQuery, PublishedEventDto, PublishEventDto } from './dto/event.dto.js';
import { Event, EventSource } from './entities/event.entity.js';
import { EventRepository } from './event.repository.js';
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
 * Turns a new event into outbox rows (webhook deliveries, …), atomically with the event. Registered by
 * modules that react to events.
 */
export interface EventFanOut {
  /** Adds the rows for `event` to the publisher's unit of work (publish(em, …)). */
  inUnitOfWork(em: EntityManager, event: StoredEvent): Promise<void>;
  /**
   * The same rows as one data-modifying SQL statement reading the new event from the CTE `published`
   * (columns id, account_id, livemode, type, data, created_at) and `returning id`: publishNow writes an event
   * and all its fan-out in a single statement, one round trip. What varies goes in its parameters, so
   * the statement's text stays the same from one event to the next.
   */
  statement: Sql;
  /** Runs once the statement's rows are committed, with the ids it returned. */
  afterCommit(ids: string[]): Promise<void>;
}

/** A stored event as other modules read it. */
export type StoredEvent = Pick<Event, 'id' | 'accountId' | 'livemode' | 'type' | 'data' | 'createdAt'>;

/** Publishes events durably: the event and everything fanned out from it commit together or not at all. */
@Injectable()
export class EventsService {
  private readonly fanOuts: EventFanOut[] = [];
  /**
   * publishNow's writes: publishes that arrive while two statements are under way share the next one
   * (PostgreSQL's cost is mostly per statement and per commit, not per row), up to 100 events and 1 MB
   * of their JSON, so a few large events never hold up many small ones in one long statement.
   */
  private readonly published = new BatchWriter<string>((rows) => this.insertWithFanOut(rows), {
    concurrency: 2,
    maxBatch: 100,
    maxWeight: 1024 * 1024,
  });

  constructor(
    private readonly em: EntityManager,
    private readonly catalog: EventTypeCatalog,
    private readonly repository: EventRepository,
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
    for (const fanOut of this.fanOuts) await fanOut.inUnitOfWork(em, event);
    return event;
  }

  /** Stores an event that is fanned out to nobody: the caller delivers it itself (webhook test sends). */
  recordTestEvent(em: EntityManager, input: PublishInput): Event {
    return em.create(Event, { accountId: input.accountId, livemode: input.livemode, type: input.type, data: input.data, source: 'test' });
  }

  /**
   * Publishes on its own: the event and its fan-out in one SQL statement (atomic without an explicit
   * transaction), shared with other publishes under load; returns once they are committed.
   */
  async publishNow(input: PublishInput, source: EventSource = 'system'): Promise<Event> {
    this.catalog.assertValid(input.type, input.data);
    const event = Object.assign(new Event(), { accountId: input.accountId, livemode: input.livemode, type: input.type, data: input.data, source });
    const row = this.repository.rowOf(event);
    await this.published.submit(row, row.length);
    return event;
  }

  private async insertWithFanOut(rows: string[]): Promise<void> {
    const fannedOut = await this.repository.insertWithFanOut(
      rows,
      this.fanOuts.map((fanOut) => fanOut.statement),
    );
    for (const [index, fanOut] of this.fanOuts.entries()) await fanOut.afterCommit(fannedOut[index]);
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

  find(id: string): Promise<StoredEvent | null> {
    return this.em.fork().findOne(Event, { id });
  }

  /** Events by id (those still kept); one query however many. */
  async byIds(ids: readonly string[]): Promise<Map<string, StoredEvent>> {
    const events = ids.length ? await this.em.fork().find(Event, { id: { $in: [...new Set(ids)] } }) : [];
    return new Map(events.map((event) => [event.id, event]));
  }

  /** An account's latest events of some types in one mode, newest first. */
  recent(scope: { accountId: string; livemode: boolean }, types: readonly string[], limit: number): Promise<StoredEvent[]> {
    return this.em
      .fork()
      .find(Event, { accountId: scope.accountId, livemode: scope.livemode, type: { $in: [...types] } }, { orderBy: { createdAt: 'desc' }, limit });
  }

  /** Deletes events published before `cutoff` (log retention), in the given transaction. */
  purgeBefore(em: EntityManager, cutoff: Date): Promise<number> {
    return this.repository.deleteCreatedBefore(em, cutoff);
  }

  listTypes(query: PageQuery): Page<EventTypeDto> {
    return pageArray(this.catalog.list().map(EventTypeDto.from), query);
  }
}
