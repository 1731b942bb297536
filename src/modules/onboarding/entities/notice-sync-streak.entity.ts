import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Syncs of a connection that failed in a row since its last successful one. */
@Entity({ tableName: 'notice_sync_streaks' })
export class NoticeSyncStreak {
  @PrimaryKey({ type: 'uuid' })
  connectionId!: string;

  @Property({ type: 'integer' })
  failures: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
