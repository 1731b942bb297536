import { Migration } from '@mikro-orm/migrations';

export class Migration20261206071500 extends Migration {
  override name = 'Migration20261206071500';

  /** The MCP tools an API key may call (null: all its permissions allow). */
  override up(): void | Promise<void> {
    this.addSql(`alter table "api_keys" add column "mcp_tools" text[] null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "api_keys" drop column "mcp_tools";`);
  }
}
