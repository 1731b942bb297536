import { Migration } from '@mikro-orm/migrations';

export class Migration20261206013923 extends Migration {

  override name = 'Migration20261206013923';

  override up(): void | Promise<void> {
    this.addSql(`alter table "integrations" drop constraint "integrations_account_id_livemode_provider_unique";`);
    this.addSql(`alter table "integrations" add "owner" text not null default 'account', add "member_id" text null, add "end_user_id" text null, add "tags" text[] not null default '{}', add "label" text null, add "is_default" boolean not null default false;`);
    this.addSql(`alter table "integrations" alter column "tags" drop default;`);
    // Every integration so far was its account's one connection of its provider: now the shared default one, same id.
    this.addSql(`update "integrations" set "is_default" = true;`);
    this.addSql(`create index "integrations_account_id_livemode_provider_index" on "integrations" ("account_id", "livemode", "provider");`);
    this.addSql(`create unique index "integrations_one_default_per_owner" on "integrations" ("account_id", "livemode", "provider", "owner", coalesce("member_id", ''), coalesce("end_user_id", '')) where "is_default";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "integrations_account_id_livemode_provider_index";`);
    this.addSql(`drop index "integrations_one_default_per_owner";`);
    this.addSql(`alter table "integrations" drop column "owner", drop column "member_id", drop column "end_user_id", drop column "tags", drop column "label", drop column "is_default";`);
    this.addSql(`alter table "integrations" add constraint "integrations_account_id_livemode_provider_unique" unique ("account_id", "livemode", "provider");`);
  }

}
