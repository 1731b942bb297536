import { Migration } from '@mikro-orm/migrations';

export class Migration20261122045400 extends Migration {

  override name = 'Migration20261122045400';

  override up(): void | Promise<void> {
    this.addSql(`create table "integrations" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "provider" text not null, "category" text not null, "status" text not null, "status_before_suspension" text null, "display_name" text null, "metadata" jsonb not null, "settings" jsonb not null, "credentials" text null, "oauth_app" text null, "auto_sync" boolean not null default false, "sync_frequency" text null, "next_sync_at" timestamptz null, "last_sync_at" timestamptz null, "last_error" text null, "connected_at" timestamptz null, "disconnected_at" timestamptz null, "token_expires_at" timestamptz null, "refresh_failures" int not null default 0, "next_refresh_at" timestamptz null, "last_health_check_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "integrations_status_token_expires_at_index" on "integrations" ("status", "token_expires_at");`);
    this.addSql(`alter table "integrations" add constraint "integrations_account_id_livemode_provider_unique" unique ("account_id", "livemode", "provider");`);

    this.addSql(`create table "oauth_states" ("id" text not null, "account_id" uuid not null, "livemode" boolean not null, "provider" text not null, "user_id" text not null, "return_url" text not null, "secrets" text not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "provider_event_tasks" ("id" uuid not null, "integration_id" uuid not null, "event_id" uuid not null, "event_type" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "last_error" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "provider_event_tasks_status_next_attempt_at_index" on "provider_event_tasks" ("status", "next_attempt_at");`);

    this.addSql(`create table "synced_records" ("id" uuid not null, "integration_id" uuid not null, "model" text not null, "external_id" text not null, "data" jsonb not null, "last_sync_run_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "synced_records_integration_id_model_created_at_index" on "synced_records" ("integration_id", "model", "created_at");`);
    this.addSql(`alter table "synced_records" add constraint "synced_records_integration_id_model_external_id_unique" unique ("integration_id", "model", "external_id");`);

    this.addSql(`create table "sync_runs" ("id" uuid not null, "integration_id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "status" text not null default 'queued', "trigger" text not null, "counts" jsonb not null, "error" text null, "started_at" timestamptz null, "finished_at" timestamptz null, "duration_ms" int null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "sync_runs_status_created_at_index" on "sync_runs" ("status", "created_at");`);
    this.addSql(`create index "sync_runs_integration_id_created_at_index" on "sync_runs" ("integration_id", "created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "integrations" cascade;`);
    this.addSql(`drop table if exists "oauth_states" cascade;`);
    this.addSql(`drop table if exists "provider_event_tasks" cascade;`);
    this.addSql(`drop table if exists "synced_records" cascade;`);
    this.addSql(`drop table if exists "sync_runs" cascade;`);
  }

}
