import { Migration } from '@mikro-orm/migrations';

export class Migration20261206043108 extends Migration {
  override name = 'Migration20261206043108';

  /** Onboarding (level overrides, skips, completions), feature flag overrides, and notices with their signals, emails, settings and preferences. */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "feature_flag_overrides" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "key" text not null, "value" boolean not null, "set_by_type" text not null, "set_by_id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "feature_flag_overrides" add constraint "feature_flag_overrides_account_id_livemode_key_unique" unique ("account_id", "livemode", "key");`,
    );

    this.addSql(
      `create table "notices" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "connection_id" uuid not null, "provider" text not null, "cause" text not null, "episode" text not null, "message" text not null, "status" text not null default 'open', "resolution" text null, "resolution_message" text null, "closed_by" text null, "closed_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "notices_status_connection_id_index" on "notices" ("status", "connection_id");`);
    this.addSql(`create index "notices_account_id_livemode_created_at_index" on "notices" ("account_id", "livemode", "created_at");`);
    this.addSql(`create unique index "notices_one_open_per_cause" on "notices" ("connection_id", "cause") where "status" = 'open';`);
    this.addSql(`alter table "notices" add constraint "notices_connection_id_cause_episode_unique" unique ("connection_id", "cause", "episode");`);

    this.addSql(
      `create table "notice_deliveries" ("id" uuid not null, "notice_id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "kind" text not null, "provider" text not null, "recipient" text not null, "member_id" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "last_error" text null, "sent_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "notice_deliveries_notice_id_index" on "notice_deliveries" ("notice_id");`);
    this.addSql(`create index "notice_deliveries_status_next_attempt_at_index" on "notice_deliveries" ("status", "next_attempt_at");`);
    this.addSql(
      `alter table "notice_deliveries" add constraint "notice_deliveries_notice_id_kind_recipient_unique" unique ("notice_id", "kind", "recipient");`,
    );

    this.addSql(
      `create table "notice_preferences" ("id" uuid not null, "account_id" uuid not null, "user_id" text not null, "email" boolean not null default true, "muted_causes" text[] not null, "muted_providers" text[] not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "notice_preferences" add constraint "notice_preferences_account_id_user_id_unique" unique ("account_id", "user_id");`);

    this.addSql(
      `create table "notice_settings" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "email_provider" text null, "email_from" text null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "notice_settings" add constraint "notice_settings_account_id_livemode_unique" unique ("account_id", "livemode");`);

    this.addSql(
      `create table "notice_signals" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "event_id" uuid not null, "event_type" text not null, "connection_id" uuid not null, "provider" text not null, "details" jsonb not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "notice_signals_connection_id_created_at_index" on "notice_signals" ("connection_id", "created_at");`);
    this.addSql(`create index "notice_signals_created_at_id_index" on "notice_signals" ("created_at", "id");`);

    this.addSql(
      `create table "notice_sync_streaks" ("connection_id" uuid not null, "failures" int not null default 0, "last_error" text null, "updated_at" timestamptz not null, primary key ("connection_id"));`,
    );

    this.addSql(
      `create table "onboarding_completions" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "actor_type" text not null, "actor_id" text not null, "completed_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "onboarding_completions" add constraint "onboarding_completions_account_id_livemode_unique" unique ("account_id", "livemode");`);

    this.addSql(
      `create table "onboarding_skips" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "provider" text not null, "actor_type" text not null, "actor_id" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "onboarding_skips" add constraint "onboarding_skips_account_id_livemode_provider_unique" unique ("account_id", "livemode", "provider");`,
    );

    this.addSql(
      `create table "onboarding_level_overrides" ("id" uuid not null, "account_id" uuid not null, "provider" text not null, "level" text not null, "set_by_type" text not null, "set_by_id" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "onboarding_level_overrides" add constraint "onboarding_level_overrides_account_id_provider_unique" unique ("account_id", "provider");`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "onboarding_level_overrides" cascade;`);
    this.addSql(`drop table if exists "onboarding_skips" cascade;`);
    this.addSql(`drop table if exists "onboarding_completions" cascade;`);
    this.addSql(`drop table if exists "notice_sync_streaks" cascade;`);
    this.addSql(`drop table if exists "notice_signals" cascade;`);
    this.addSql(`drop table if exists "notice_settings" cascade;`);
    this.addSql(`drop table if exists "notice_preferences" cascade;`);
    this.addSql(`drop table if exists "notice_deliveries" cascade;`);
    this.addSql(`drop table if exists "notices" cascade;`);
    this.addSql(`drop table if exists "feature_flag_overrides" cascade;`);
  }
}
