import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** An event an integration's plugin reacts to (onEvent), written with the event: nothing is lost. */
@Entity({ tableName: 'provider_event_tasks' })
@Index({ properties: ['status', 'nextAttemptAt'] })
export class ProviderEventTask {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  integrationId!: string;

  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'text' })
  /** `skipped`: the provider's automatic work was paused for the account when it came due (AutomationGate). */
  status: Opt<'pending' | 'done' | 'failed' | 'skipped'> = 'pending';

  @Property({ type: 'integer' })
  attempts: Opt<number> = 0;

  @Property({ type: 'datetime' })
  nextAttemptAt: Opt<Date> = new Date();

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
