import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A connection event waiting to be turned into notice changes: written with the event, in the same
 * transaction as the state change that caused it (an outbox), deleted once handled.
 */
@Entity({ tableName: 'notice_signals' })
@Index({ properties: ['createdAt', 'id'] })
@Index({ properties: ['connectionId', 'createdAt'] })
export class NoticeSignal {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'uuid' })
  connectionId!: string;

  @Property({ type: 'text' })
  provider!: string;

  /** The event's data. */
  @Property({ type: 'jsonb' })
  details: Opt<Record<string, unknown>> = {};

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
