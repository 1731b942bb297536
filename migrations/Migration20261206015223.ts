import { Migration } from '@mikro-orm/migrations';

export class Migration20261206015223 extends Migration {

  override name = 'Migration20261206015223';

  override up(): void | Promise<void> {
    this.addSql(`drop index "synced_records_integration_id_model_created_at_index";`);
    this.addSql(`alter table "synced_records" add "content_hash" text null, add "first_seen_at" timestamptz null, add "last_modified_at" timestamptz null, add "last_action" text not null default 'added', add "deleted_at" timestamptz null;`);
    // Records kept so far: first seen when created, last modified when last written, hashed as stored.
    this.addSql(`update "synced_records" set "content_hash" = encode(sha256(convert_to("data"::text, 'UTF8')), 'hex'), "first_seen_at" = "created_at", "last_modified_at" = "updated_at";`);
    this.addSql(`alter table "synced_records" alter column "content_hash" set not null, alter column "first_seen_at" set not null, alter column "last_modified_at" set not null;`);
    this.addSql(`create index "synced_records_integration_id_model_last_modified_at_id_index" on "synced_records" ("integration_id", "model", "last_modified_at", "id");`);

    this.addSql(`alter table "sync_runs" add "changes" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sync_runs" drop column "changes";`);

    this.addSql(`drop index "synced_records_integration_id_model_last_modified_at_id_index";`);
    this.addSql(`alter table "synced_records" drop column "content_hash", drop column "first_seen_at", drop column "last_modified_at", drop column "last_action", drop column "deleted_at";`);
    this.addSql(`create index "synced_records_integration_id_model_created_at_index" on "synced_records" ("integration_id", "model", "created_at");`);
  }

}
