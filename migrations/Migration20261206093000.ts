import { Migration } from '@mikro-orm/migrations';

export class Migration20261206093000 extends Migration {
  override name = 'Migration20261206093000';

  /** Console sign-in links and sessions (hashes of their secrets only). */
  override up(): void | Promise<void> {
    this.addSql(
      `create table "console_sessions" ("id" uuid not null, "user_id" text not null, "account_id" uuid null, "instance_admin" boolean not null default false, "code_hash" text null, "code_expires_at" timestamptz not null, "token_hash" text null, "expires_at" timestamptz null, "ended_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "console_sessions_user_id_account_id_index" on "console_sessions" ("user_id", "account_id");`);
    this.addSql(`alter table "console_sessions" add constraint "console_sessions_code_hash_unique" unique ("code_hash");`);
    this.addSql(`alter table "console_sessions" add constraint "console_sessions_token_hash_unique" unique ("token_hash");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "console_sessions" cascade;`);
  }
}
