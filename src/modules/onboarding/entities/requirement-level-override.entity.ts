import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { RequirementLevel } from '../template/onboarding-template.js';

/** An account's own requirement level for a provider of the template (both modes), set by its owner or an instance administrator. */
@Entity({ tableName: 'onboarding_level_overrides' })
@Unique({ properties: ['accountId', 'provider'] })
export class RequirementLevelOverride {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text' })
  level!: RequirementLevel;

  @Property({ type: 'text' })
  setByType!: 'member' | 'api_key';

  @Property({ type: 'text' })
  setById!: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
