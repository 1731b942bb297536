import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** The first response to a creating POST with an Idempotency-Key, replayed for 24 hours. */
@Entity({ tableName: 'idempotency_records' })
export class IdempotencyRecord {
  /** Scope (account or credential) and the client's key, joined: unique per caller. */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  requestHash!: string;

  /** Null while the first request runs. */
  @Property({ type: 'datetime', nullable: true })
  completedAt?: Date | null;

  /** The response, sealed with the keyring (a JSON string): it may hold a secret shown only once. */
  @Property({ type: 'jsonb', nullable: true })
  responseBody?: unknown;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
