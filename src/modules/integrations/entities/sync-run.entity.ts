import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

@Entity({ tableName: 'sync_runs' })
@Index({ properties: ['integrationId', 'createdAt'] })
@Index({ properties: ['status', 'createdAt'] })
/** One run at a time per connection: runs never race on the same records, nor double the provider's load. */
@Unique({
  name: 'sync_runs_one_active_per_connection',
  expression: 'create unique index "sync_runs_one_active_per_connection" on "sync_runs" ("integration_id") where "status" in (\'queued\', \'running\')',
})
export class SyncRun {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  integrationId!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  status: Opt<SyncRunStatus> = 'queued';

  @Property({ type: 'text' })
  trigger!: 'manual' | 'schedule';

  /** Records stored per model, e.g. { customers: 120 }. */
  @Property({ type: 'jsonb' })
  counts: Opt<Record<string, number>> = {};

  /** What the run changed per model (added, updated, deleted), and so what readers of changes will see. */
  @Property({ type: 'jsonb', nullable: true })
  changes?: Record<string, { added: number; updated: number; deleted: number }> | null;

  /** Ignore the high-water marks: fetch everything, and mark what the provider no longer returns deleted. */
  @Property({ type: 'boolean' })
  full: Opt<boolean> = false;

  /** Per model, where the next incremental sync starts (what the provider's plugin returned, carried forward). */
  @Property({ type: 'jsonb', nullable: true })
  highWaterMarks?: Record<string, string> | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;

  @Property({ type: 'integer', nullable: true })
  durationMs?: number | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
