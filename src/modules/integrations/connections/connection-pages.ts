import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { DatabaseChanges } from '../../../core/database/database-changes.js';
import { EntityRows } from '../../../core/database/entity-rows.js';
import { MetricsService } from '../../../core/metrics/metrics.service.js';
import type { ListedIntegration } from './integration-view.js';

/** The channel the `integrations_changed` trigger notifies: an account's id, or '' for every account (TRUNCATE). */
const INTEGRATIONS_CHANGED = 'integrations_changed';

/** What a kept page and each of its rows cost besides the rows' JSON: the other fields, the objects that hold them. */
const OVERHEAD = 256;

interface KeptPage {
  accountId: string;
  rows: readonly ListedIntegration[];
  size: number;
}

/** A read under way: a change to its account while it runs makes what it read unfit to keep. */
interface Read {
  stale: boolean;
}

/**
 * Pages of connections as the list routes read them, kept per replica until a change to the account's
 * connections (any statement's: the trigger on `integrations` notifies each account whose rows it
 * changes) and shared by every caller who asks the same query. Before a page is answered from here,
 * `DatabaseChanges.caughtUp` has handled every change committed before the request, so a list is never
 * older than the writes that preceded it, whichever process or statement made them; while nothing
 * listens, every list reads the database. What depends on the caller (restricted rows, feed URLs) is
 * applied to the kept rows by the caller's list. `LIST_CACHE_MB` bounds the memory (0 turns it off).
 */
@Injectable()
export class ConnectionPages {
  /** Bounded by the size of their JSON; the least recently used go first. */
  private readonly pages?: LRUCache<string, KeptPage>;
  private readonly keysByAccount = new Map<string, Set<string>>();
  private readonly reads = new Map<string, Set<Read>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly rows: EntityRows,
    private readonly changes: DatabaseChanges,
    private readonly metrics: MetricsService,
  ) {
    if (config.database.listCacheMb > 0) {
      this.pages = new LRUCache({
        maxSize: config.database.listCacheMb * 1024 * 1024,
        sizeCalculation: (page) => page.size,
        dispose: (page, key) => this.unindex(page.accountId, key),
      });
      changes.listen(INTEGRATIONS_CHANGED, {
        change: (accountId) => (accountId ? this.drop(accountId) : this.dropAll()),
        missed: () => this.dropAll(),
      });
    }
  }

  /** The rows of `select <ListedIntegration> … where account_id = <accountId> …`; never change them, they are shared. */
  async read(accountId: string, text: string, params: unknown[]): Promise<readonly ListedIntegration[]> {
    if (!this.pages || !(await this.changes.caughtUp())) {
      this.metrics.listCacheRead('bypass');
      return this.query(text, params);
    }
    const key = JSON.stringify([text, params]);
    const kept = this.pages.get(key);
    if (kept) {
      this.metrics.listCacheRead('hit');
      return kept.rows;
    }
    this.metrics.listCacheRead('miss');
    const read: Read = { stale: false };
    const reads = this.reads.get(accountId) ?? new Set<Read>();
    this.reads.set(accountId, reads.add(read));
    try {
      const rows = await this.query(text, params);
      if (!read.stale) this.keep(key, { accountId, rows, size: rows.reduce((sum, row) => sum + row.json.length + OVERHEAD, OVERHEAD) });
      return rows;
    } finally {
      reads.delete(read);
      if (reads.size === 0 && this.reads.get(accountId) === reads) this.reads.delete(accountId);
    }
  }

  private async query(text: string, params: unknown[]): Promise<ListedIntegration[]> {
    const rows = (await this.rows.query(text, params)) as unknown as ListedIntegration[];
    // The driver keeps timestamps as text (as MikroORM has it); the cursor needs the time.
    for (const row of rows) row.createdAt = new Date(row.createdAt);
    return rows;
  }

  /** Keeps a page (one larger than the whole bound is not kept), indexed by its account to be dropped with it. */
  private keep(key: string, page: KeptPage): void {
    this.pages!.set(key, page);
    if (!this.pages!.has(key)) return;
    const keys = this.keysByAccount.get(page.accountId) ?? new Set<string>();
    this.keysByAccount.set(page.accountId, keys.add(key));
  }

  private unindex(accountId: string, key: string): void {
    const keys = this.keysByAccount.get(accountId);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByAccount.delete(accountId);
  }

  private drop(accountId: string): void {
    for (const key of [...(this.keysByAccount.get(accountId) ?? [])]) this.pages!.delete(key);
    for (const read of this.reads.get(accountId) ?? []) read.stale = true;
  }

  private dropAll(): void {
    this.pages!.clear();
    this.keysByAccount.clear();
    for (const reads of this.reads.values()) for (const read of reads) read.stale = true;
  }
}
