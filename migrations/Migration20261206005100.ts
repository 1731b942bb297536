import { Migration } from '@mikro-orm/migrations';

export class Migration20261206005100 extends Migration {

  override name = 'Migration20261206005100';

  override up(): void | Promise<void> {
    this.addSql(`alter table "integrations" add column "feed_token" text null;`);
    // Feed tokens were kept in the clear (and request logs carried them): they are retired, not moved.
    // Such a feed gets a new, encrypted token when it is connected again.
    this.addSql(`update "integrations" set "metadata" = "metadata" - 'feedToken' where "metadata" ? 'feedToken';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "integrations" drop column "feed_token";`);
  }

}
