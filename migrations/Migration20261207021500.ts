import { Migration } from '@mikro-orm/migrations';

export class Migration20261207021500 extends Migration {
  override name = 'Migration20261207021500';

  /**
   * Every statement that changes what the lists of connections read notifies `integrations_changed` with
   * the account's id as it commits: an insert, a delete, an update of a connection's answer, feed token
   * or account ('' for TRUNCATE: every account). Replicas keep pages of those lists until then.
   * PostgreSQL sends one notification per account and transaction, however many rows change.
   */
  override up(): void | Promise<void> {
    this.addSql(`create function "integrations_changed_fn"() returns trigger language plpgsql as $$ begin
      if tg_op = 'TRUNCATE' then
        perform pg_notify('integrations_changed', '');
        return null;
      end if;
      if tg_op = 'UPDATE' and (old.answer_json, old.feed_token, old.account_id) is not distinct from (new.answer_json, new.feed_token, new.account_id) then
        return null;
      end if;
      if tg_op <> 'INSERT' then perform pg_notify('integrations_changed', old.account_id::text); end if;
      if tg_op <> 'DELETE' then perform pg_notify('integrations_changed', new.account_id::text); end if;
      return null;
    end; $$;`);
    this.addSql(
      `create trigger "integrations_changed" after insert or update or delete on "integrations" for each row execute function "integrations_changed_fn"();`,
    );
    this.addSql(`create trigger "integrations_truncated" after truncate on "integrations" for each statement execute function "integrations_changed_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "integrations_truncated" on "integrations";`);
    this.addSql(`drop trigger if exists "integrations_changed" on "integrations";`);
    this.addSql(`drop function if exists "integrations_changed_fn"();`);
  }
}
