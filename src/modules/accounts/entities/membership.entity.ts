import type { Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** A user of the host platform's identity provider acting in an account with one role. */
@Entity({ tableName: 'memberships' })
@Unique({ properties: ['accountId', 'userId'] })
@Index({ properties: ['accountId', 'role'] })
export class Membership {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'text' })
  userId!: string;

  @Property({ type: 'text', nullable: true })
  email?: string | null;

  @Property({ type: 'text' })
  role!: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
