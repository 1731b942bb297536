import { Migration } from '@mikro-orm/migrations';

export class Migration20261206022459 extends Migration {
  override name = 'Migration20261206022459';

  override up(): void | Promise<void> {
    // One run at a time per connection: of runs already queued or running together, the oldest goes on.
    this.addSql(`update "sync_runs" set "status" = 'failed', "error" = 'Another run of this connection was already queued', "finished_at" = now()
      where "id" in (select "id" from (select "id", row_number() over (partition by "integration_id" order by "created_at", "id") as "place"
        from "sync_runs" where "status" in ('queued', 'running')) as "active" where "place" > 1);`);
    this.addSql(`create unique index "sync_runs_one_active_per_connection" on "sync_runs" ("integration_id") where "status" in ('queued', 'running');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "sync_runs_one_active_per_connection";`);
  }
}
