import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/**
 * One event to one endpoint: the durable unit of delivery work. PostgreSQL decides what is due
 * (status pending, nextAttemptAt passed, lease free); Bull jobs only say "look at these now".
 */
@Entity({ tableName: 'webhook_deliveries' })
@Index({ properties: ['endpointId', 'createdAt'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({ properties: ['eventId'] })
export class WebhookDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'uuid' })
  endpointId!: string;

  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'text' })
  status: Opt<DeliveryStatus> = 'pending';

  /** Every attempt ever made. */
  @Property({ type: 'integer' })
  attempts: Opt<number> = 0;

  /** Attempts since the retry schedule last started (a manual retry or recover starts it again). */
  @Property({ type: 'integer' })
  roundAttempts: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt?: Date | null = new Date();

  @Property({ type: 'datetime', nullable: true })
  lastAttemptAt?: Date | null;

  @Property({ type: 'integer', nullable: true })
  responseStatus?: number | null;

  /** A worker holds the delivery until then; after it (a killed worker), any worker may take it again. */
  @Property({ type: 'datetime', nullable: true })
  lockedUntil?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
