import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { NoticeCause } from '../template/onboarding-template.js';

/** Which notices reach one member of an account by email; without a row, all of them do. */
@Entity({ tableName: 'notice_preferences' })
@Unique({ properties: ['accountId', 'userId'] })
export class NoticePreference {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'text' })
  userId!: string;

  @Property({ type: 'boolean' })
  email: Opt<boolean> = true;

  @Property({ type: 'text[]' })
  mutedCauses: Opt<NoticeCause[]> = [];

  @Property({ type: 'text[]' })
  mutedProviders: Opt<string[]> = [];

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
