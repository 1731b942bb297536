import { Migration } from '@mikro-orm/migrations';

export class Migration20261206021835 extends Migration {
  override name = 'Migration20261206021835';

  override up(): void | Promise<void> {
    this.addSql(`alter table "sync_runs" add "full" boolean not null default false, add "high_water_marks" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sync_runs" drop column "full", drop column "high_water_marks";`);
  }
}
