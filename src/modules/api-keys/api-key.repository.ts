import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

/** What verifying a key reads about it. */
export interface KeyRow {
  id: string;
  account_id: string;
  livemode: boolean;
  permissions: string[];
  mcp_tools: string[] | null;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  /** How many older active lineages the account has in the key's mode. */
  plan_rank: number | string;
}

/** Rows per UPDATE statement when writing lastUsedAt. */
const LAST_USED_BATCH = 500;

/**
 * The SQL of API keys on the request path and around it: the lookup by hash with the key's place
 * among the account's active lineages, the count of active lineages per mode, and batched lastUsedAt
 * writes. It uses the root connection, outside any request's unit of work.
 */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly orm: MikroORM) {}

  /** The key with this SHA-256 and its plan rank (oldest lineage first); undefined when there is none. */
  async findByHash(hash: string): Promise<KeyRow | undefined> {
    const rows = await this.orm.em.getConnection().execute<KeyRow[]>(
      `select k.id, k.account_id, k.livemode, k.permissions, k.mcp_tools, k.expires_at, k.revoked_at,
         (select count(distinct o.lineage_id) from api_keys o
           where o.account_id = k.account_id and o.livemode = k.livemode and o.revoked_at is null
             and (o.expires_at is null or o.expires_at > now())
             and (o.lineage_created_at, o.lineage_id) < (k.lineage_created_at, k.lineage_id)) as plan_rank
       from api_keys k
       where k.key_hash = ?`,
      [hash],
    );
    return rows[0];
  }

  /** Whether the key is still usable: not revoked, not expired. */
  async isActive(id: string): Promise<boolean> {
    const rows = await this.orm.em
      .getConnection()
      .execute<unknown[]>(`select 1 from api_keys where id = ? and revoked_at is null and (expires_at is null or expires_at > now())`, [id]);
    return rows.length > 0;
  }

  /** Writes each key's last use, never moving it backwards; one statement per 500 keys. */
  async writeLastUsed(uses: readonly (readonly [id: string, at: number])[]): Promise<void> {
    const connection = this.orm.em.getConnection();
    for (let start = 0; start < uses.length; start += LAST_USED_BATCH) {
      const rows = uses.slice(start, start + LAST_USED_BATCH);
      await connection.execute(
        `update api_keys as k set last_used_at = v.used_at
         from (values ${rows.map(() => '(?::uuid, ?::timestamptz)').join(', ')}) as v(id, used_at)
         where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.used_at)`,
        rows.flatMap(([id, at]) => [id, new Date(at)]),
      );
    }
  }
}
