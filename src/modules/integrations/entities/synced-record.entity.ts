import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** A record a provider's sync returned, kept per integration and model, upserted by external id. */
@Entity({ tableName: 'synced_records' })
@Unique({ properties: ['integrationId', 'model', 'externalId'] })
@Index({ properties: ['integrationId', 'model', 'createdAt'] })
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

  @Property({ type: 'uuid' })
  lastSyncRunId!: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Opt<Date> = new Date();
}
