import type { EntityManager, EventSubscriber, MikroORM, TransactionEventArgs } from '@mikro-orm/core';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { isSavepoint } from '../database/transactions.js';

export interface AccountCacheOptions<V> {
  /** Names the cache in logs and its Redis channel (`<queue prefix>:<name>:invalidate`). */
  name: string;
  queuePrefix: string;
  redis: Redis;
  orm: MikroORM;
  /** How long a replica trusts an entry without re-reading it: the backstop for a lost message. */
  ttlMs: number;
  /** The account an entry belongs to, so a change to the account drops it; none: it is never dropped early. */
  accountOf: (value: V) => string | undefined;
  /** Beyond this the oldest entries are dropped. */
  maxEntries?: number;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
}

/**
 * An in-process cache of what every request reads about its account (verified API keys, members'
 * roles and plans). A change to an account drops its entries here and, through Redis pub/sub, on every
 * replica; a load that started before a drop is not kept, so a request never caches what a
 * concurrent change replaced. Changes made in a transaction drop entries when it commits.
 */
export class AccountCache<V> implements EventSubscriber {
  private readonly logger: Logger;
  private readonly channel: string;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, Entry<V>>();
  private readonly keysByAccount = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<V>>();
  /** Bumped by every drop: a load that started before one is not kept. */
  private epoch = 0;
  private subscriber?: Redis;
  /** Accounts changed by a transaction (or, before it starts, by a flush's unit of work), dropped on commit. */
  private readonly waiting = new WeakMap<object, Set<string>>();

  constructor(private readonly options: AccountCacheOptions<V>) {
    this.logger = new Logger(`AccountCache:${options.name}`);
    this.channel = `${options.queuePrefix}:${options.name}:invalidate`;
    this.maxEntries = options.maxEntries ?? 50_000;
  }

  /** Subscribes to other replicas' invalidations and to transaction commits; call from onModuleInit. */
  async start(): Promise<void> {
    this.options.orm.em.getEventManager().registerSubscriber(this);
    const subscriber = this.options.redis.duplicate();
    this.subscriber = subscriber;
    let connected = false;
    subscriber.on('ready', () => {
      // Messages published while disconnected are lost: forget everything rather than trust the TTL.
      if (connected) this.clear();
      connected = true;
    });
    subscriber.on('error', (error: Error) => this.logger.warn(`invalidation channel: ${error.message}`));
    subscriber.on('message', (_channel: string, accountId: string) => this.forget(accountId));
    await subscriber.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /** The cached value for `key`, or what `load` reads (one load per key at a time). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && Date.now() - entry.loadedAt < this.options.ttlMs) return Promise.resolve(entry.value);
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    const loading = load()
      .then((value) => {
        if (this.epoch === epoch) this.remember(key, { value, loadedAt: Date.now() });
        return value;
      })
      .finally(() => {
        if (this.loading.get(key) === loading) this.loading.delete(key);
      });
    this.loading.set(key, loading);
    return loading;
  }

  /** Drops the account's entries here and on every replica. Call after the change is committed. */
  async invalidate(accountId: string): Promise<void> {
    this.forget(accountId);
    try {
      await this.options.redis.publish(this.channel, accountId);
    } catch (error) {
      this.logger.warn(`invalidation not published (replicas catch up within the cache TTL): ${(error as Error).message}`);
    }
  }

  /**
   * Drops the account's entries once the change in `em` commits: call inside its transaction, or from a
   * flush event (whose unit of work commits in a transaction of its own).
   */
  invalidateOnCommit(em: EntityManager, accountId: string): void {
    const key = em.getTransactionContext<object>() ?? em;
    const accounts = this.waiting.get(key) ?? new Set<string>();
    accounts.add(accountId);
    this.waiting.set(key, accounts);
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    if (isSavepoint(args)) return;
    await Promise.all([...this.take(args)].map((accountId) => this.invalidate(accountId)));
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (!isSavepoint(args)) this.take(args);
  }

  private take(args: TransactionEventArgs): Set<string> {
    const accounts = new Set<string>();
    for (const key of [args.transaction as object | undefined, args.em]) {
      if (!key) continue;
      for (const accountId of this.waiting.get(key) ?? []) accounts.add(accountId);
      this.waiting.delete(key);
    }
    return accounts;
  }

  private remember(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    const accountId = this.options.accountOf(entry.value);
    if (accountId) {
      let keys = this.keysByAccount.get(accountId);
      if (!keys) this.keysByAccount.set(accountId, (keys = new Set()));
      keys.add(key);
    }
    if (this.entries.size > this.maxEntries) {
      const [oldest, dropped] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      const droppedAccount = this.options.accountOf(dropped.value);
      if (droppedAccount) this.keysByAccount.get(droppedAccount)?.delete(oldest);
    }
  }

  private forget(accountId: string): void {
    this.epoch++;
    // A load that started before the change may have read the old row: later requests must not join it.
    this.loading.clear();
    const keys = this.keysByAccount.get(accountId);
    if (!keys) return;
    for (const key of keys) this.entries.delete(key);
    this.keysByAccount.delete(accountId);
  }

  private clear(): void {
    this.epoch++;
    this.loading.clear();
    this.entries.clear();
    this.keysByAccount.clear();
  }
}
