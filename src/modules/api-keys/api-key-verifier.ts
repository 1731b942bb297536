import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AccountCache } from '../../core/auth/account-cache.js';
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
export class ApiKeyVerifier implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyVerifier.name);
  private readonly pattern: RegExp;
  private readonly prefix: string;
  /** By key hash; null: no key has this hash (a key that does not exist never will). */
  private readonly cache: AccountCache<KeyRecord | null>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) redis: Redis,
    orm: MikroORM,
    private readonly keys: ApiKeyRepository,
    private readonly accounts: AccountsService,
    private readonly plans: PlansService,
    private readonly lastUsed: ApiKeyLastUsed,
  ) {
    this.prefix = `${config.apiKeyPrefix}_`;
    this.pattern = apiKeyPattern(config.apiKeyPrefix);
    this.cache = new AccountCache({
      name: 'api-keys',
      queuePrefix: config.redis.queuePrefix,
      redis,
      orm,
      ttlMs: config.apiKeys.cacheTtlMs,
      accountOf: (record) => record?.identity.accountId,
    });
  }

  onModuleInit(): Promise<void> {
    return this.cache.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.cache.stop();
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
    const record = await this.cache.get(hash, () => this.fetch(hash));
    if (!record) throw new UnauthenticatedError('The API key is not valid', 'key_unknown');
    const now = Date.now();
    const identity = judgeKey(record, now, requestedMode, this.plans.get(record.identity.plan));
    this.lastUsed.touch(identity.apiKeyId, now);
    return identity;
  }

  /** Drops the account's cached keys here and on every replica. Call after the change is committed. */
  invalidate(accountId: string): Promise<void> {
    return this.cache.invalidate(accountId);
  }

  /** For changes inside a transaction (plan changes): invalidates once it commits. */
  invalidateOnCommit(em: EntityManager, accountId: string): void {
    this.cache.invalidateOnCommit(em, accountId);
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
}
