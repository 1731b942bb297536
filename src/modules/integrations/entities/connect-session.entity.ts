import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * A hosted connect session: for 30 minutes, a browser holding its token may connect one of `providers`
 * for one end user (or re-authorise `connectionId` in place), and nothing else. Only the token's
 * SHA-256 is kept.
 */
@Entity({ tableName: 'connect_sessions' })
export class ConnectSession {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  tokenHash!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  /** Who opened it (`api_key:<id>` or a member's user id): what the session does is done on their behalf. */
  @Property({ type: 'text' })
  openedBy!: string;

  @Property({ type: 'text' })
  endUserId!: string;

  @Property({ type: 'text[]' })
  tags: Opt<string[]> = [];

  @Property({ type: 'text[]' })
  providers!: string[];

  @Property({ type: 'text' })
  returnUrl!: string;

  /** A reconnect session re-authorises this connection (same id) instead of creating one. */
  @Property({ type: 'uuid', nullable: true })
  connectionId?: string | null;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  completedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
