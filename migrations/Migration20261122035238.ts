import { Migration } from '@mikro-orm/migrations';

export class Migration20261122035238 extends Migration {

  override name = 'Migration20261122035238';

  override up(): void | Promise<void> {
    this.addSql(`create table "events" ("id" uuid not null, "account_id" uuid not null, "livemode" boolean not null, "type" text not null, "data" jsonb not null, "source" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "events_account_id_livemode_created_at_index" on "events" ("account_id", "livemode", "created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "events" cascade;`);
  }

}
