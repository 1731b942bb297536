import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** An account's own value of a feature flag in one mode; without one the template's default holds. */
@Entity({ tableName: 'feature_flag_overrides' })
@Unique({ properties: ['accountId', 'livemode', 'key'] })
export class FeatureFlagOverride {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  key!: string;

  @Property({ type: 'boolean' })
  value!: boolean;

  @Property({ type: 'text' })
  setByType!: 'member' | 'api_key';

  @Property({ type: 'text' })
  setById!: string;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
