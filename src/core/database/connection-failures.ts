import type { Pool, PoolClient } from 'pg';

/** How long a holder has to release a pooled connection that died under it before the pool takes it back. */
const ABANDONED_AFTER_MS = 10_000;

/**
 * Watches the pg pool behind the ORM:
 * - remembers when a connection last broke (the driver's `'error'` event). Some driver errors carry no
 *   SQLSTATE and no socket code — a query on a connection that has just died ("not queryable"), or
 *   one cut off mid-flight — and are known to be connection failures only because the connection
 *   reported its death first;
 * - takes back connections that died while checked out and were never released. A transaction whose
 *   connection dies fails its rollback, and the query builder under the ORM releases a transaction's
 *   connection only after a successful rollback: without this, every outage that hits a transaction
 *   would shrink the pool for good.
 */
class ConnectionFailureLog {
  private lastFailureAt = 0;

  record(): void {
    this.lastFailureAt = Date.now();
  }

  /** A connection broke within the last `windowMs`. */
  recent(windowMs: number): boolean {
    return Date.now() - this.lastFailureAt <= windowMs;
  }

  /** For the ORM's `driverOptions.onPoolCreated`. */
  watch(pool: Pool): void {
    const checkedOut = new Set<PoolClient>();
    pool.on('acquire', (client) => checkedOut.add(client));
    pool.on('release', (_error, client) => checkedOut.delete(client));
    pool.on('remove', (client) => checkedOut.delete(client));
    pool.on('error', () => this.record());
    pool.on('connect', (client: PoolClient) =>
      client.on('error', (error) => {
        this.record();
        setTimeout(() => {
          if (checkedOut.has(client)) client.release(error);
        }, ABANDONED_AFTER_MS).unref();
      }),
    );
  }
}

export const connectionFailures = new ConnectionFailureLog();
