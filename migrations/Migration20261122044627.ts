import { Migration } from '@mikro-orm/migrations';

export class Migration20261122044627 extends Migration {

  override name = 'Migration20261122044627';

  override up(): void | Promise<void> {
    this.addSql(`create table "plugin_installations" ("name" text not null, "version" text not null, "source" text null, "integrity" text null, "archive" bytea null, "enabled" boolean not null default true, "providers" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("name"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "plugin_installations" cascade;`);
  }

}
