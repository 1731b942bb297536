import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** A provider the account chose to set up later, in one mode: who skipped it and when (undone by deleting it). */
@Entity({ tableName: 'onboarding_skips' })
@Unique({ properties: ['accountId', 'livemode', 'provider'] })
export class OnboardingSkip {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text' })
  actorType!: 'member' | 'api_key';

  @Property({ type: 'text' })
  actorId!: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
