import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'audit_log' })
@Index({ properties: ['accountId', 'createdAt'] })
export class AuditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Null for instance-level actions (plugins, accounts). */
  @Property({ type: 'uuid', nullable: true })
  accountId?: string | null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  actorType!: 'member' | 'api_key' | 'system';

  @Property({ type: 'text' })
  actorId!: string;

  @Property({ type: 'text', nullable: true })
  targetType?: string | null;

  @Property({ type: 'text', nullable: true })
  targetId?: string | null;

  @Property({ type: 'boolean', nullable: true })
  livemode?: boolean | null;

  @Property({ type: 'jsonb', nullable: true })
  details?: Record<string, unknown> | null;

  @Property({ type: 'text', nullable: true })
  requestId?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
