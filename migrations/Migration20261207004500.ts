import { Migration } from '@mikro-orm/migrations';

/** The columns a connection's answer shows: a write to any of them writes the answer again. */
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

/** An ISO 8601 time in UTC to the millisecond, as `Date.prototype.toISOString` writes it (both truncate). */
const iso = (column: string) => `to_char(new.${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export class Migration20261207004500 extends Migration {
  override name = 'Migration20261207004500';

  /**
   * Each connection keeps its answer's JSON (`IntegrationDto` of a connection its caller may view), which
   * a trigger writes whenever a statement writes a column the answer shows: the list routes read it as it
   * is, where writing it on every read was most of PostgreSQL's work for a page. Keys in the order
   * `IntegrationView.toDto` writes them. And the lists' order gets an index, so a page reads its rows only.
   */
  override up(): void | Promise<void> {
    this.addSql(`alter table "integrations" add column "answer_json" text null;`);
    this.addSql(`create index "integrations_account_id_livemode_created_at_id_index" on "integrations" ("account_id", "livemode", "created_at", "id");`);
    this.addSql(`create function "integrations_answer_json_fn"() returns trigger language plpgsql as $$ begin
      new.answer_json := (select row_to_json(answer)::text from (select
        new.id as "id", new.provider as "provider", new.category as "category", new.status as "status", new.owner as "owner",
        new.member_id as "memberId", new.end_user_id as "endUserId", new.tags as "tags", new.label as "label", new.is_default as "isDefault",
        false as "restricted", new.account_id as "accountId", new.livemode as "livemode", new.display_name as "displayName",
        new.metadata as "metadata", new.settings as "settings", new.auto_sync as "autoSync", new.sync_frequency as "syncFrequency",
        ${iso('last_sync_at')} as "lastSyncAt", new.last_error as "lastError", ${iso('connected_at')} as "connectedAt",
        ${iso('disconnected_at')} as "disconnectedAt", ${iso('token_expires_at')} as "tokenExpiresAt", ${iso('created_at')} as "createdAt"
      ) answer);
      return new;
    end; $$;`);
    this.addSql(`create trigger "answer_json" before insert or update of ${SHOWN.map((column) => `"${column}"`).join(', ')}
      on "integrations" for each row execute function "integrations_answer_json_fn"();`);
    // Every existing row's answer, written by the trigger.
    this.addSql(`update "integrations" set "id" = "id";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "answer_json" on "integrations";`);
    this.addSql(`drop function if exists "integrations_answer_json_fn"();`);
    this.addSql(`drop index if exists "integrations_account_id_livemode_created_at_id_index";`);
    this.addSql(`alter table "integrations" drop column if exists "answer_json";`);
  }
}
