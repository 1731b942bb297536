import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export const INTEGRATION_STATUSES = ['connected', 'expired', 'error', 'disconnected', 'suspended'] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

/** Whose a connection is: the account's (shared), one member's, or one of the host platform's end users. */
export const CONNECTION_OWNERS = ['account', 'member', 'end_user'] as const;
export type ConnectionOwner = (typeof CONNECTION_OWNERS)[number];

/** The columns a connection's answer shows (`answerJson`): a write to any of them writes it again. */
const SHOWN = [
  'id',
  'provider',
  'category',
  'status',
  'owner',
  'member_id',
  'end_user_id',
  'tags',
  'label',
  'is_default',
  'account_id',
  'livemode',
  'display_name',
  'metadata',
  'settings',
  'auto_sync',
  'sync_frequency',
  'last_sync_at',
  'last_error',
  'connected_at',
  'disconnected_at',
  'token_expires_at',
  'created_at',
];

/**
 * A connection: one provider connected (or once connected) in one account and mode, owned by the
 * account, a member or an end user. Several may exist per provider and owner; one of them is the default.
 */
@Entity({
  tableName: 'integrations',
  triggers: [
    {
      name: 'answer_json',
      timing: 'before',
      events: ['insert', 'update'],
      // Its function (`integrations_answer_json_fn`) is the migration's that made it, or replaced it last.
      expression: `create trigger "answer_json" before insert or update of ${SHOWN.map((column) => `"${column}"`).join(', ')} on "integrations" for each row execute function "integrations_answer_json_fn"()`,
    },
    // Notifies `integrations_changed` (ConnectionPages) with the account of each changed connection. Its
    // TRUNCATE twin, `integrations_truncated`, is the migration's alone: MikroORM reads triggers from
    // information_schema.triggers, which lists no TRUNCATE trigger, so declaring it here would ask for it again.
    {
      name: 'integrations_changed',
      timing: 'after',
      events: ['insert', 'update', 'delete'],
      expression: `create trigger "integrations_changed" after insert or update or delete on "integrations" for each row execute function "integrations_changed_fn"()`,
    },
  ],
})
@Index({ properties: ['accountId', 'livemode', 'provider'] })
@Index({ properties: ['status', 'tokenExpiresAt'] })
@Index({ properties: ['accountId', 'livemode', 'createdAt', 'id'] })
@Unique({
  name: 'integrations_one_default_per_owner',
  expression:
    'create unique index "integrations_one_default_per_owner" on "integrations" ("account_id", "livemode", "provider", "owner", coalesce("member_id", \'\'), coalesce("end_user_id", \'\')) where "is_default"',
})
export class Integration {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  accountId!: string;

  @Property({ type: 'boolean' })
  livemode!: boolean;

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text' })
  category!: string;

  @Property({ type: 'text' })
  owner: Opt<ConnectionOwner> = 'account';

  /** The member who owns it (owner `member`). */
  @Property({ type: 'text', nullable: true })
  memberId?: string | null;

  /** The host platform's own id of the end user who owns it (owner `end_user`). */
  @Property({ type: 'text', nullable: true })
  endUserId?: string | null;

  @Property({ type: 'text[]' })
  tags: Opt<string[]> = [];

  @Property({ type: 'text', nullable: true })
  label?: string | null;

  /** The one connection of its provider and owner used when none is named (`/v1/integrations/{provider}` is the account's). */
  @Property({ type: 'boolean' })
  isDefault: Opt<boolean> = false;

  @Property({ type: 'text' })
  status!: IntegrationStatus;

  /** The status to return to when a plan upgrade lifts a suspension. */
  @Property({ type: 'text', nullable: true })
  statusBeforeSuspension?: IntegrationStatus | null;

  @Property({ type: 'text', nullable: true })
  displayName?: string | null;

  @Property({ type: 'jsonb' })
  metadata: Opt<Record<string, unknown>> = {};

  @Property({ type: 'jsonb' })
  settings: Opt<Record<string, unknown>> = {};

  /** AES-256-GCM ciphertext (CredentialVault) of the provider credentials; never returned. */
  @Property({ type: 'text', nullable: true, lazy: true })
  credentials?: string | null;

  /** A subscription feed's secret token (e.g. iCal), encrypted like credentials; shown only inside `feedUrl`. */
  @Property({ type: 'text', nullable: true })
  feedToken?: string | null;

  /** Per-account OAuth client (clientId, clientSecret), encrypted like credentials. */
  @Property({ type: 'text', nullable: true, lazy: true })
  oauthApp?: string | null;

  @Property({ type: 'boolean' })
  autoSync: Opt<boolean> = false;

  /** A duration such as 15m, 1h, 1d; null uses the provider's default. */
  @Property({ type: 'text', nullable: true })
  syncFrequency?: string | null;

  @Property({ type: 'datetime', nullable: true })
  nextSyncAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastSyncAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', nullable: true })
  connectedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  disconnectedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  tokenExpiresAt?: Date | null;

  /** Consecutive failed refresh attempts (not invalid_grant, which expires at once). */
  @Property({ type: 'integer' })
  refreshFailures: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  nextRefreshAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastHealthCheckAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();

  /** Its answer's JSON for the list routes, written by PostgreSQL on every write to what it shows (never here). */
  @Property({ type: 'text', nullable: true, lazy: true })
  answerJson?: string | null;
}
