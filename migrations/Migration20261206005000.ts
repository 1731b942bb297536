import { Migration } from '@mikro-orm/migrations';

export class Migration20261206005000 extends Migration {

  override name = 'Migration20261206005000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "api_keys" add column "creator_permissions" text[] null;`);
    // Keys made before creators were recorded need at least their own permissions to be rolled or revoked.
    this.addSql(`update "api_keys" set "creator_permissions" = "permissions";`);
    this.addSql(`alter table "api_keys" alter column "creator_permissions" set not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "api_keys" drop column "creator_permissions";`);
  }

}
