import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * An account's API key. The key itself is never stored: only its SHA-256 (`keyHash`) and, for display,
 * its first characters (`start`) and last four.
 */
@Entity({ tableName: 'api_keys' })
@Index({ properties: ['accountId', 'createdAt'] })
@Index({ properties: ['accountId', 'livemode', 'lineageCreatedAt'] })
export class ApiKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  @Unique()
  keyHash!: string;

  @Property({ type: 'text' })
  start!: string;

  @Property({ type: 'text' })
  last4!: string;

  @Property({ type: 'text[]' })
  permissions: Opt<string[]> = [];

  /**
   * The permissions of whoever created the key's lineage, as they were then. Rolling or revoking the key
   * needs them too, so nobody can take over or disarm a key made by someone with more authority.
   */
  @Property({ type: 'text[]' })
  creatorPermissions: Opt<string[]> = [];

  /** The MCP tools the key may call (names, or prefixes ending in `*`); null: every tool its permissions allow. */
  @Property({ type: 'text[]', nullable: true })
  mcpTools?: string[] | null;

  /**
   * A roll replaces a key with a new one of the same lineage (the first key's id and creation time).
   * Plan limits count lineages, oldest first, so a roll neither takes a second slot during the
   * overlap nor loses its place.
   */
  @Property({ type: 'uuid' })
  lineageId!: string;

  @Property({ type: 'datetime' })
  lineageCreatedAt!: Date;

  /** The key that replaced this one in a roll. */
  @Property({ type: 'uuid', nullable: true })
  replacedById?: string | null;

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  /** Written in batches, not on every request: accurate to API_KEY_LAST_USED_FLUSH_MS. */
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
