import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export type NoticeDeliveryKind = 'opened' | 'closed';
/** `cancelled`: the notice closed before it was sent. */
export type NoticeDeliveryStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

/** One email about a notice to one member, sent with retries. */
@Entity({ tableName: 'notice_deliveries' })
@Unique({ properties: ['noticeId', 'kind', 'recipient'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({ properties: ['noticeId'] })
export class NoticeDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  noticeId!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  kind!: NoticeDeliveryKind;

  /** The provider that sends it (sendgrid, resend, …). */
  @Property({ type: 'text' })
  provider!: string;

  /** The member's email address. */
  @Property({ type: 'text' })
  recipient!: string;

  @Property({ type: 'text' })
  memberId!: string;

  @Property({ type: 'text' })
  status: Opt<NoticeDeliveryStatus> = 'pending';

  @Property({ type: 'integer' })
  attempts: Opt<number> = 0;

  @Property({ type: 'datetime' })
  nextAttemptAt: Opt<Date> = new Date();

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
