import { Migration } from '@mikro-orm/migrations';

export class Migration20261206015751 extends Migration {

  override name = 'Migration20261206015751';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoints" add "tags" text[] not null default '{}';`);
    this.addSql(`alter table "webhook_endpoints" alter column "tags" drop default;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_endpoints" drop column "tags";`);
  }

}
