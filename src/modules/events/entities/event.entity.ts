import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export type EventSource = 'api' | 'system' | 'test';

/** A published event: the outbox row its webhook deliveries are fanned out from. */
@Entity({ tableName: 'events' })
@Index({ properties: ['accountId', 'livemode', 'createdAt'] })
export class Event {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'jsonb' })
  data!: Record<string, unknown>;

  /** `api` (POST /v1/events), `system` (Plugboard's own lifecycle events) or `test` (test sends, not listed). */
  @Property({ type: 'text' })
  source!: EventSource;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
