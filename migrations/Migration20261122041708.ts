import { Migration } from '@mikro-orm/migrations';

export class Migration20261122041708 extends Migration {

  override name = 'Migration20261122041708';

  override up(): void | Promise<void> {
    this.addSql(`create table "api_keys" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "name" text not null, "key_hash" text not null, "start" text not null, "last4" text not null, "permissions" text[] not null, "lineage_id" uuid not null, "lineage_created_at" timestamptz not null, "replaced_by_id" uuid null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "api_keys" add constraint "api_keys_key_hash_unique" unique ("key_hash");`);
    this.addSql(`create index "api_keys_account_id_livemode_lineage_created_at_index" on "api_keys" ("account_id", "livemode", "lineage_created_at");`);
    this.addSql(`create index "api_keys_account_id_created_at_index" on "api_keys" ("account_id", "created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "api_keys" cascade;`);
  }

}
