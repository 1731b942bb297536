import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** When (and by whom) an account finished onboarding in one mode: once. */
@Entity({ tableName: 'onboarding_completions' })
@Unique({ properties: ['accountId', 'livemode'] })
export class OnboardingCompletion {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  actorType!: 'member' | 'api_key';

  @Property({ type: 'text' })
  actorId!: string;

  @Property({ type: 'datetime' })
  completedAt: Opt<Date> = new Date();
}
