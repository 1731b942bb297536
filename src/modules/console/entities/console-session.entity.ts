import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A member's console sign-in: first a one-time link (its code's hash, valid for minutes), then, once the
 * code is exchanged, a session (its cookie token's hash, valid for hours). Neither secret is stored.
 */
@Entity({ tableName: 'console_sessions' })
@Index({ properties: ['userId', 'accountId'] })
export class ConsoleSession {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  userId!: string;

  @Property({ type: 'uuid', nullable: true })
  accountId?: string | null;

  @Property({ type: 'boolean' })
  instanceAdmin: Opt<boolean> = false;

  /** SHA-256 of the sign-in link's code; cleared when it is exchanged, so it works once. */
  @Property({ type: 'text', nullable: true, unique: true })
  codeHash?: string | null;

  @Property({ type: 'timestamptz' })
  codeExpiresAt!: Date;

  /** SHA-256 of the session cookie's token; set by the exchange. */
  @Property({ type: 'text', nullable: true, unique: true })
  tokenHash?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  /** Signed out (or ended by an administrator). */
  @Property({ type: 'timestamptz', nullable: true })
  endedAt?: Date | null;

  @Property({ type: 'timestamptz' })
  createdAt: Opt<Date> = new Date();
}
