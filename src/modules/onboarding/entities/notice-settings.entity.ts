import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** How an account's notices are emailed in one mode: the provider it chose, and the sender address. */
@Entity({ tableName: 'notice_settings' })
@Unique({ properties: ['accountId', 'livemode'] })
export class NoticeSettings {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text', nullable: true })
  emailProvider?: string | null;

  @Property({ type: 'text', nullable: true })
  emailFrom?: string | null;

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
