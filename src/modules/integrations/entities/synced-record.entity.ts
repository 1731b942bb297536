import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export const RECORD_ACTIONS = ['added', 'updated', 'deleted'] as const;
export type RecordAction = (typeof RECORD_ACTIONS)[number];

/**
 * A record a provider's sync returned, kept per connection and model by external id, with what last
 * happened to it: added, updated (its content hash changed) or deleted (a full sync no longer saw it;
 * kept as a tombstone for SYNC_TOMBSTONE_DAYS).
 */
@Entity({ tableName: 'synced_records' })
@Unique({ properties: ['integrationId', 'model', 'externalId'] })
@Index({ properties: ['integrationId', 'model', 'lastModifiedAt', 'id'] })
export class SyncedRecord {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  integrationId!: string;

  @Property({ type: 'text' })
  model!: string;

  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: 'jsonb' })
  data!: Record<string, unknown>;

  /** SHA-256 of the record as the provider sent it: an unchanged record is not "updated". */
  @Property({ type: 'text' })
  contentHash!: string;

  @Property({ type: 'uuid' })
  lastSyncRunId!: string;

  @Property({ type: 'datetime' })
  firstSeenAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  lastModifiedAt: Opt<Date> = new Date();

  @Property({ type: 'text' })
  lastAction: Opt<RecordAction> = 'added';

  @Property({ type: 'datetime', nullable: true })
  deletedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Opt<Date> = new Date();
}
