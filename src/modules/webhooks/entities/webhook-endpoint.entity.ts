import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export type DisabledReason = 'manual' | 'failing' | 'gone' | 'plan';

@Entity({ tableName: 'webhook_endpoints' })
@Index({ properties: ['accountId', 'livemode', 'createdAt'] })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  url!: string;

  /** Exact types, `prefix.*` or `*`. */
  @Property({ type: 'jsonb' })
  events!: string[];

  /** When not empty, only events whose data carries one of these tags (a connection's tags) reach it. */
  @Property({ type: 'text[]' })
  tags: Opt<string[]> = [];

  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'boolean' })
  enabled!: boolean;

  @Property({ type: 'text', nullable: true })
  disabledReason?: DisabledReason | null;

  /** The signing secret, sealed with the keyring (context `webhook-endpoint:<id>`). */
  @Property({ type: 'text' })
  secret!: string;

  /** The secret replaced by the last rotation; it keeps signing until previousSecretExpiresAt. */
  @Property({ type: 'text', nullable: true })
  previousSecret?: string | null;

  @Property({ type: 'datetime', nullable: true })
  previousSecretExpiresAt?: Date | null;

  /** Start of the current run of failed attempts; cleared by any success. */
  @Property({ type: 'datetime', nullable: true })
  failingSince?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
