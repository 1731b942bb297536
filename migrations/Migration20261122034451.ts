import { Migration } from '@mikro-orm/migrations';

export class Migration20261122034451 extends Migration {

  override name = 'Migration20261122034451';

  override up(): void | Promise<void> {
    this.addSql(`create table "accounts" ("id" uuid not null, "name" text not null, "plan" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "audit_log" ("id" uuid not null, "account_id" uuid null, "action" text not null, "actor_type" text not null, "actor_id" text not null, "target_type" text null, "target_id" text null, "livemode" boolean null, "details" jsonb null, "request_id" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "audit_log_account_id_created_at_index" on "audit_log" ("account_id", "created_at");`);

    this.addSql(`create table "idempotency_records" ("id" text not null, "request_hash" text not null, "completed_at" timestamptz null, "response_body" jsonb null, "created_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "memberships" ("id" uuid not null, "account_id" uuid not null, "user_id" text not null, "email" text null, "role" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "memberships_account_id_role_index" on "memberships" ("account_id", "role");`);
    this.addSql(`alter table "memberships" add constraint "memberships_account_id_user_id_unique" unique ("account_id", "user_id");`);

    this.addSql(`create table "roles" ("id" uuid not null, "account_id" uuid not null, "key" text not null, "name" text not null, "permissions" text[] not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "roles" add constraint "roles_account_id_key_unique" unique ("account_id", "key");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "accounts" cascade;`);
    this.addSql(`drop table if exists "audit_log" cascade;`);
    this.addSql(`drop table if exists "idempotency_records" cascade;`);
    this.addSql(`drop table if exists "memberships" cascade;`);
    this.addSql(`drop table if exists "roles" cascade;`);
  }

}
