import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A pending OAuth authorization: single-use (consumed atomically at the callback) and valid for 10
 * minutes. The `state` parameter sent to the provider is this row's id with an HMAC, so an unknown or
 * tampered state is recognised without trusting anything in it.
 */
@Entity({ tableName: 'oauth_states' })
export class OAuthState {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  provider!: string;

  /** The member who started the flow. */
  @Property({ type: 'text' })
  userId!: string;

  @Property({ type: 'text' })
  returnUrl!: string;

  /** Encrypted { codeVerifier?, settings?, oauthApp? }. */
  @Property({ type: 'text' })
  secrets!: string;

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}
