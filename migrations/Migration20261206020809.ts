import { Migration } from '@mikro-orm/migrations';

export class Migration20261206020809 extends Migration {

  override name = 'Migration20261206020809';

  override up(): void | Promise<void> {
    this.addSql(`create table "connect_sessions" ("id" uuid not null, "token_hash" text not null, "account_id" uuid not null, "livemode" boolean not null, "opened_by" text not null, "end_user_id" text not null, "tags" text[] not null, "providers" text[] not null, "return_url" text not null, "connection_id" uuid null, "expires_at" timestamptz not null, "completed_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "connect_sessions" add constraint "connect_sessions_token_hash_unique" unique ("token_hash");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "connect_sessions" cascade;`);
  }

}
