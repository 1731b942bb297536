import { Migration } from '@mikro-orm/migrations';

export class Migration20261206101500 extends Migration {
  override name = 'Migration20261206101500';

  /** Each account's branding of the hosted connect page. */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "connect_brandings" ("account_id" uuid not null, "name" text null, "logo" text null, "primary_color" text null, "accent_color" text null, "updated_at" timestamptz not null, primary key ("account_id"));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "connect_brandings" cascade;`);
  }
}
