import { Migration } from '@mikro-orm/migrations';

export class Migration20261122035918 extends Migration {

  override name = 'Migration20261122035918';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhook_attempts" ("id" uuid not null, "delivery_id" uuid not null, "request_headers" jsonb not null, "response_status" int null, "response_body" text null, "duration_ms" int not null, "error" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_attempts_created_at_index" on "webhook_attempts" ("created_at");`);
    this.addSql(`create index "webhook_attempts_delivery_id_created_at_index" on "webhook_attempts" ("delivery_id", "created_at");`);

    this.addSql(`create table "webhook_deliveries" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "endpoint_id" uuid not null, "event_id" uuid not null, "event_type" text not null, "status" text not null default 'pending', "attempts" int not null default 0, "round_attempts" int not null default 0, "next_attempt_at" timestamptz null, "last_attempt_at" timestamptz null, "response_status" int null, "locked_until" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_deliveries_event_id_index" on "webhook_deliveries" ("event_id");`);
    this.addSql(`create index "webhook_deliveries_status_next_attempt_at_index" on "webhook_deliveries" ("status", "next_attempt_at");`);
    this.addSql(`create index "webhook_deliveries_endpoint_id_created_at_index" on "webhook_deliveries" ("endpoint_id", "created_at");`);

    this.addSql(`create table "webhook_endpoints" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "url" text not null, "events" jsonb not null, "description" text null, "enabled" boolean not null, "disabled_reason" text null, "secret" text not null, "previous_secret" text null, "previous_secret_expires_at" timestamptz null, "failing_since" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_endpoints_account_id_livemode_created_at_index" on "webhook_endpoints" ("account_id", "livemode", "created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "webhook_attempts" cascade;`);
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhook_endpoints" cascade;`);
  }

}
