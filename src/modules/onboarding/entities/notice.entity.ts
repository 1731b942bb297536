import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { NoticeCause } from '../template/onboarding-template.js';

export type NoticeStatus = 'open' | 'closed';

/** How a notice was closed. */
export const NOTICE_RESOLUTIONS = ['reconnected', 'recovered', 'sync_succeeded', 'token_renewed', 'disconnected', 'superseded', 'dismissed'] as const;
export type NoticeResolution = (typeof NOTICE_RESOLUTIONS)[number];

/**
 * Something about one of the account's connections that a person must fix. At most one is open per
 * connection and cause, and one episode of a cause (the event that started it, a token's expiry)
 * never opens a second notice, even after the first was dismissed.
 */
@Entity({ tableName: 'notices' })
@Unique({ properties: ['connectionId', 'cause', 'episode'] })
@Unique({
  name: 'notices_one_open_per_cause',
  expression: 'create unique index "notices_one_open_per_cause" on "notices" ("connection_id", "cause") where "status" = \'open\'',
})
@Index({ properties: ['accountId', 'livemode', 'createdAt'] })
@Index({ properties: ['status', 'connectionId'] })
export class Notice {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'uuid' })
  connectionId!: string;

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text' })
  cause!: NoticeCause;

  /** What started this occurrence of the cause: the event id, or the token expiry announced. */
  @Property({ type: 'text' })
  episode!: string;

  /** What is wrong and what to do: "Re-connect Mailchimp: the refresh token was revoked or has expired". */
  @Property({ type: 'text' })
  message!: string;

  @Property({ type: 'text' })
  status: Opt<NoticeStatus> = 'open';

  @Property({ type: 'text', nullable: true })
  resolution?: NoticeResolution | null;

  /** What closed it, in words ("Mailchimp is connected again"). */
  @Property({ type: 'text', nullable: true })
  resolutionMessage?: string | null;

  /** Who dismissed it (`member:<id>`, `api_key:<id>`); null when Plugboard closed it. */
  @Property({ type: 'text', nullable: true })
  closedBy?: string | null;

  @Property({ type: 'datetime', nullable: true })
  closedAt?: Date | null;

  /** When it opened. */
  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
