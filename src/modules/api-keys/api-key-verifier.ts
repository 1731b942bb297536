import type { EventSubscriber, TransactionEventArgs } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ApiKeyIdentity } from '../../core/auth/identity.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { PlanLimitError, UnauthenticatedError, UnavailableError } from '../../core/errors/app-errors.js';
import { REDIS } from '../../core/queue/redis.js';
import { AccountsService } from '../accounts/index.js';
import { type Plan, PlansService } from '../plans/index.js';
import { ApiKeyLastUsed } from './api-key-last-used.js';
import { ApiKeyMode, apiKeyPattern, hashApiKey, parseApiKey } from './api-key-format.js';
import { ApiKeyRepository, type KeyRow } from './api-key.repository.js';

/** What verification needs to know about a stored key; cached per key hash. */
export interface KeyRecord {
  identity: ApiKeyIdentity;
  mode: ApiKeyMode;
  expiresAt: number | null;
  revoked: boolean;
  /** How many older active lineages the account has in this mode: the key works while this is below the plan's limit. */
  planRank: number;
}

interface CacheEntry {
  /** null: no key has this hash (a key that does not exist never will). */
  record: KeyRecord | null;
  loadedAt: number;
}

/** Enough for every active key of a large installation; beyond it the oldest entries are dropped. */
const MAX_ENTRIES = 50_000;

/**
 * The decision for one use of a key, from its cached record: 401 with a reason, 402 when the
 * account's plan does not allow it (computed now, so a plan change needs no data change), or the
 * identity.
 */
export function judgeKey(record: KeyRecord, now: number, requestedMode: string | undefined, plan: Plan): ApiKeyIdentity {
  if (record.revoked) throw new UnauthenticatedError('The API key has been revoked', 'key_revoked');
  if (record.expiresAt !== null && record.expiresAt <= now) throw new UnauthenticatedError('The API key has expired', 'key_expired');
  if (requestedMode !== undefined && requestedMode.toLowerCase() !== record.mode) {
    throw new UnauthenticatedError(`A ${record.mode} key cannot act in ${requestedMode} mode (Plugboard-Mode header)`, 'key_wrong_mode');
  }
  const limit = plan.apiKeys[record.mode];
  if (limit !== null && record.planRank >= limit) {
    throw new PlanLimitError(
      limit === 0
        ? `The ${plan.name} plan does not include ${record.mode} API keys`
        : `The ${plan.name} plan allows ${limit} active ${record.mode} API key${limit === 1 ? '' : 's'}; this key is beyond it`,
      { plan: plan.key, feature: `api_keys.${record.mode}`, limit },
    );
  }
  return record.identity;
}

/**
 * Verifies presented keys. Checked keys are cached in-process by hash, so a request costs a regex, a
 * CRC32, a SHA-256 and a map lookup. Any change to an account's keys or plan drops that account's
 * entries here and, through Redis pub/sub, on every replica; the TTL is a backstop for a lost message.
 */
@Injectable()
export class ApiKeyVerifier implements OnModuleInit, OnApplicationShutdown, EventSubscriber {
  private readonly logger = new Logger(ApiKeyVerifier.name);
  private readonly pattern: RegExp;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly hashesByAccount = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<CacheEntry>>();
  /** Bumped by every invalidation: a load that started before one is not cached. */
  private epoch = 0;
  private subscriber?: Redis;
  /** Plan changes run in a transaction: their invalidation waits for the commit. */
  private readonly afterCommit = new WeakMap<EntityManager, Set<string>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly orm: MikroORM,
    private readonly keys: ApiKeyRepository,
    private readonly accounts: AccountsService,
    private readonly plans: PlansService,
    private readonly lastUsed: ApiKeyLastUsed,
  ) {
    this.prefix = `${config.apiKeyPrefix}_`;
    this.pattern = apiKeyPattern(config.apiKeyPrefix);
    this.channel = `${config.redis.queuePrefix}:api-keys:invalidate`;
  }

  async onModuleInit(): Promise<void> {
    this.orm.em.getEventManager().registerSubscriber(this);
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    let connected = false;
    subscriber.on('ready', () => {
      // Messages published while disconnected are lost: forget everything rather than trust the TTL.
      if (connected) this.clear();
      connected = true;
    });
    subscriber.on('error', (error: Error) => this.logger.warn(`API key invalidation channel: ${error.message}`));
    subscriber.on('message', (_channel: string, accountId: string) => this.forget(accountId));
    await subscriber.subscribe(this.channel);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /** Whether a bearer token is meant as an API key (so this strategy answers for it, even to refuse it). */
  claims(token: string): boolean {
    return token.startsWith(this.prefix);
  }

  /** Throws UnauthenticatedError (with a reason) or PlanLimitError; records the use for lastUsedAt. */
  async verify(key: string, requestedMode: string | undefined): Promise<ApiKeyIdentity> {
    const parsed = parseApiKey(this.pattern, key);
    if (!parsed.ok) {
      throw new UnauthenticatedError(
        parsed.reason === 'key_malformed' ? 'The API key is malformed' : 'The API key checksum does not match (a typo?)',
        parsed.reason,
      );
    }
    const hash = hashApiKey(key);
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.loadedAt > this.config.apiKeys.cacheTtlMs) entry = await this.load(hash);
    const { record } = entry;
    if (!record) throw new UnauthenticatedError('The API key is not valid', 'key_unknown');
    const identity = judgeKey(record, now, requestedMode, this.plans.get(record.identity.plan));
    this.lastUsed.touch(identity.apiKeyId, now);
    return identity;
  }

  /** Drops the account's cached keys here and on every replica. Call after the change is committed. */
  async invalidate(accountId: string): Promise<void> {
    this.forget(accountId);
    try {
      await this.redis.publish(this.channel, accountId);
    } catch (error) {
      this.logger.warn(`API key invalidation not published (replicas catch up within the cache TTL): ${(error as Error).message}`);
    }
  }

  /** For changes inside a transaction (plan changes): invalidates once it commits, or now without one. */
  invalidateOnCommit(em: EntityManager, accountId: string): Promise<void> {
    if (!em.isInTransaction()) return this.invalidate(accountId);
    const pending = this.afterCommit.get(em) ?? new Set<string>();
    pending.add(accountId);
    this.afterCommit.set(em, pending);
    return Promise.resolve();
  }

  async afterTransactionCommit({ em }: TransactionEventArgs): Promise<void> {
    const pending = this.afterCommit.get(em as EntityManager);
    if (!pending) return;
    this.afterCommit.delete(em as EntityManager);
    await Promise.all([...pending].map((accountId) => this.invalidate(accountId)));
  }

  private load(hash: string): Promise<CacheEntry> {
    const inFlight = this.loading.get(hash);
    if (inFlight) return inFlight;
    const epoch = this.epoch;
    const loading: Promise<CacheEntry> = this.fetch(hash)
      .then((record) => {
        const entry = { record, loadedAt: Date.now() };
        if (this.epoch === epoch) this.remember(hash, entry);
        return entry;
      })
      .finally(() => {
        if (this.loading.get(hash) === loading) this.loading.delete(hash);
      });
    this.loading.set(hash, loading);
    return loading;
  }

  private async fetch(hash: string): Promise<KeyRecord | null> {
    let row: KeyRow | undefined;
    let plan: string | undefined;
    try {
      row = await this.keys.findByHash(hash);
      plan = row && (await this.accounts.planOf(row.account_id));
    } catch (error) {
      this.logger.error(`API key lookup failed: ${(error as Error).message}`);
      throw new UnavailableError('API keys cannot be verified right now: the database does not answer');
    }
    if (!row || !plan) return null;
    const mode: ApiKeyMode = row.livemode ? 'live' : 'test';
    return {
      identity: {
        kind: 'api_key',
        apiKeyId: row.id,
        accountId: row.account_id,
        livemode: row.livemode,
        permissions: row.permissions,
        plan,
        ...(row.mcp_tools ? { mcpTools: row.mcp_tools } : {}),
      },
      mode,
      expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null,
      revoked: row.revoked_at !== null,
      planRank: Number(row.plan_rank),
    };
  }

  private remember(hash: string, entry: CacheEntry): void {
    this.cache.delete(hash);
    this.cache.set(hash, entry);
    if (entry.record) {
      const accountId = entry.record.identity.accountId;
      let hashes = this.hashesByAccount.get(accountId);
      if (!hashes) this.hashesByAccount.set(accountId, (hashes = new Set()));
      hashes.add(hash);
    }
    if (this.cache.size > MAX_ENTRIES) {
      const [oldest, dropped] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      if (dropped.record) this.hashesByAccount.get(dropped.record.identity.accountId)?.delete(oldest);
    }
  }

  private forget(accountId: string): void {
    this.epoch++;
    // A load that started before the change may have read the old row: later requests must not join it.
    this.loading.clear();
    const hashes = this.hashesByAccount.get(accountId);
    if (!hashes) return;
    for (const hash of hashes) this.cache.delete(hash);
    this.hashesByAccount.delete(accountId);
  }

  private clear(): void {
    this.epoch++;
    this.loading.clear();
    this.cache.clear();
    this.hashesByAccount.clear();
  }
}
