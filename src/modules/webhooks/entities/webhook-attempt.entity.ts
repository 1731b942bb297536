import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** One HTTP request of a delivery, as sent and as answered. */
@Entity({ tableName: 'webhook_attempts' })
@Index({ properties: ['deliveryId', 'createdAt'] })
@Index({ properties: ['createdAt'] })
export class WebhookAttempt {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  deliveryId!: string;

  @Property({ type: 'jsonb' })
  requestHeaders!: Record<string, string>;

  @Property({ type: 'integer', nullable: true })
  responseStatus?: number | null;

  /** The first 4 KB of the response body. */
  @Property({ type: 'text', nullable: true })
  responseBody?: string | null;

  @Property({ type: 'integer' })
  durationMs!: number;

  /** Why no HTTP answer was had (timeout, refused connection, forbidden address, …). */
  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
