import { randomUUID } from 'node:crypto';
import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { ConflictError, NotFoundError, PermissionDeniedError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, toPage } from '../../core/http/pagination.js';
import { AuditService } from '../audit/index.js';
import { PlansService } from '../plans/index.js';
import { AccessService, assertHoldsAll, PERMISSIONS } from '../rbac/index.js';
import { ApiKeyMode, generateApiKey } from './api-key-format.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeyDto, ApiKeyListQuery, CreateApiKeyDto, CreatedApiKeyDto, RollApiKeyDto } from './dto/api-key.dto.js';
import { ApiKey } from './entities/api-key.entity.js';

const modeOf = (key: ApiKey): ApiKeyMode => (key.livemode ? 'live' : 'test');

/** What a caller must hold to roll or revoke a key: its own permissions and its creator's. */
const authorityOf = (key: ApiKey): Set<string> => new Set([...key.permissions, ...key.creatorPermissions]);

/**
 * Creating, listing, rolling and revoking an account's API keys. Members manage keys of both modes; a
 * key that manages keys sees and creates only keys of its own mode.
 */
@Injectable()
export class ApiKeysService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly plans: PlansService,
    private readonly verifier: ApiKeyVerifier,
    private readonly keys: ApiKeyRepository,
  ) {}

  onModuleInit(): void {
    // Lineages that hold a plan slot, per mode: not revoked, not expired; a roll's two keys count once.
    this.plans.registerUsageCounter({
      sql: `select case when livemode then 'api_keys.live' else 'api_keys.test' end as feature, count(distinct lineage_id) as count
            from api_keys where account_id = ? and revoked_at is null and (expires_at is null or expires_at > now()) group by livemode`,
      params: (accountId) => [accountId],
    });
    // Nothing to change in the data: the plan is checked each time a key is used, against its cached
    // place among the account's keys; the account's cached keys just have to be dropped.
    this.plans.registerPlanChangeHandler((em, accountId) => this.verifier.invalidateOnCommit(em, accountId));
  }

  async list(caller: AccountCaller, query: ApiKeyListQuery): Promise<Page<ApiKeyDto>> {
    const modeFilter = query.mode ? { livemode: query.mode === 'live' } : {};
    const rows = await this.em.find(
      ApiKey,
      { ...this.scope(caller), ...modeFilter, ...afterCursor(query.cursor) },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, ApiKeyDto.from);
  }

  async get(caller: AccountCaller, id: string): Promise<ApiKeyDto> {
    return ApiKeyDto.from(await this.find(this.em, caller, id));
  }

  async create(caller: AccountCaller, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    this.assertOwnMode(caller, dto.mode);
    await this.access.ensure(caller, 'create', 'ApiKey', { mode: dto.mode });
    const creatorPermissions = PERMISSIONS.filter((permission) => caller.permissions.has(permission));
    const permissions = dto.permissions ?? creatorPermissions;
    assertHoldsAll(caller, permissions, 'create this key');
    if (dto.mcpTools && !permissions.includes('mcp.use')) {
      throw new ValidationFailedError('MCP tools are limited only on keys that may use MCP', [{ path: 'mcpTools', message: 'needs the mcp.use permission' }]);
    }
    if (dto.expiresAt && dto.expiresAt.getTime() <= Date.now()) {
      throw new ValidationFailedError('The expiry is in the past', [{ path: 'expiresAt', message: 'must be in the future' }]);
    }
    const generated = generateApiKey(this.config.apiKeyPrefix, dto.mode);
    const now = new Date();
    const id = randomUUID();
    const key = this.em.create(ApiKey, {
      id,
      accountId: caller.accountId,
      livemode: dto.mode === 'live',
      name: dto.name,
      keyHash: generated.hash,
      start: generated.start,
      last4: generated.last4,
      permissions,
      creatorPermissions,
      mcpTools: dto.mcpTools ?? null,
      expiresAt: dto.expiresAt ?? null,
      createdAt: now,
      lineageId: id,
      lineageCreatedAt: now,
    });
    this.audit.record(this.em, caller, {
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: key.id,
      details: { name: key.name, mode: dto.mode, permissions, ...(dto.mcpTools ? { mcpTools: dto.mcpTools } : {}), expiresAt: key.expiresAt ?? null },
    });
    await this.em.flush();
    return { ...ApiKeyDto.from(key), key: generated.key };
  }

  async revoke(caller: AccountCaller, id: string): Promise<ApiKeyDto> {
    const key = await this.find(this.em, caller, id);
    await this.access.ensure(caller, 'revoke', 'ApiKey', { mode: modeOf(key) });
    // A key may always revoke itself: that takes power away from nobody but itself.
    if (caller.apiKeyId !== key.id) assertHoldsAll(caller, authorityOf(key), 'revoke this key');
    if (!key.revokedAt) {
      key.revokedAt = new Date();
      this.audit.record(this.em, caller, {
        action: 'api_key.revoked',
        targetType: 'api_key',
        targetId: key.id,
        details: { name: key.name, mode: modeOf(key) },
      });
      await this.em.flush();
    }
    await this.verifier.invalidate(key.accountId);
    return ApiKeyDto.from(key);
  }

  /** A new key of the same lineage, name, mode, permissions and expiry; the old one ends after the overlap. */
  async roll(caller: AccountCaller, id: string, dto: RollApiKeyDto): Promise<CreatedApiKeyDto> {
    const result = await this.em.transactional(async (em) => {
      const old = await this.find(em, caller, id, LockMode.PESSIMISTIC_WRITE);
      await this.access.ensure(caller, 'roll', 'ApiKey', { mode: modeOf(old) });
      assertHoldsAll(caller, authorityOf(old), 'roll this key');
      const overlapSeconds = dto.expireOldInSeconds ?? 0;
      if (overlapSeconds * 1000 > this.config.apiKeys.maxRollOverlapMs) {
        const max = this.config.apiKeys.maxRollOverlapMs / 1000;
        throw new ValidationFailedError(`The old key may keep working for at most ${max} seconds (API_KEY_MAX_OVERLAP)`, [
          { path: 'expireOldInSeconds', message: `must not be greater than ${max}` },
        ]);
      }
      const now = new Date();
      if (old.revokedAt) throw new ConflictError('A revoked key cannot be rolled');
      if (old.replacedById) throw new ConflictError('This key was already rolled; roll its replacement instead');
      if (old.expiresAt && old.expiresAt <= now) throw new ConflictError('An expired key cannot be rolled');
      const generated = generateApiKey(this.config.apiKeyPrefix, modeOf(old));
      const replacement = em.create(ApiKey, {
        accountId: old.accountId,
        livemode: old.livemode,
        name: old.name,
        keyHash: generated.hash,
        start: generated.start,
        last4: generated.last4,
        permissions: old.permissions,
        creatorPermissions: old.creatorPermissions,
        mcpTools: old.mcpTools ?? null,
        lineageId: old.lineageId,
        lineageCreatedAt: old.lineageCreatedAt,
        expiresAt: old.expiresAt ?? null,
        createdAt: now,
      });
      const overlapEnds = new Date(now.getTime() + overlapSeconds * 1000);
      old.replacedById = replacement.id;
      old.expiresAt = old.expiresAt && old.expiresAt < overlapEnds ? old.expiresAt : overlapEnds;
      this.audit.record(em, caller, {
        action: 'api_key.rolled',
        targetType: 'api_key',
        targetId: old.id,
        details: { name: old.name, mode: modeOf(old), replacedById: replacement.id, oldExpiresAt: old.expiresAt },
      });
      return { ...ApiKeyDto.from(replacement), key: generated.key };
    });
    await this.verifier.invalidate(caller.accountId);
    return result;
  }

  /** Whether a key is still usable, for what it started and others finish (a connect session it opened). */
  isActive(id: string): Promise<boolean> {
    return this.keys.isActive(id);
  }

  /** Keys and lineages that hold a plan slot: not revoked, not expired; a roll's two keys count once. */

  /** Members see both modes' keys; a key sees only its own mode's. */
  private scope(caller: AccountCaller): { accountId: string; livemode?: boolean } {
    return caller.kind === 'api_key' ? { accountId: caller.accountId, livemode: caller.livemode } : { accountId: caller.accountId };
  }

  private assertOwnMode(caller: AccountCaller, mode: ApiKeyMode): void {
    if (caller.kind === 'api_key' && caller.livemode !== (mode === 'live')) {
      throw new PermissionDeniedError('api_keys.manage', `A ${caller.livemode ? 'live' : 'test'} key can only create keys of its own mode`);
    }
  }

  private async find(em: EntityManager, caller: AccountCaller, id: string, lockMode?: LockMode): Promise<ApiKey> {
    const key = await em.findOne(ApiKey, { id, ...this.scope(caller) }, lockMode ? { lockMode } : {});
    if (!key) throw new NotFoundError('API key');
    return key;
  }
}
