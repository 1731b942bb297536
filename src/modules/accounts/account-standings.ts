import type { EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AccountCache } from '../../core/auth/account-cache.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { EntityRows } from '../../core/database/entity-rows.js';
import { REDIS } from '../../core/queue/redis.js';
import { builtInRole, type MemberAccess, type MemberDirectory } from '../rbac/index.js';
import { Account } from './entities/account.entity.js';
import { Membership } from './entities/membership.entity.js';
import { Role } from './entities/role.entity.js';

type Standing = { accountId: string; member: MemberAccess | null } | { accountId: string; account: { id: string; name: string } | null };

/**
 * What every member request reads about its account — the member's role, its permissions and the plan
 * — and the account's name for `/v1/me`, cached per replica. Any flush that changes an account, a
 * membership or a custom role drops that account's entries when it commits, here and on every replica.
 */
@Injectable()
export class AccountStandings implements MemberDirectory, OnModuleInit, OnApplicationShutdown, EventSubscriber {
  private readonly cache: AccountCache<Standing>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) redis: Redis,
    private readonly orm: MikroORM,
    private readonly rows: EntityRows,
  ) {
    this.cache = new AccountCache({
      name: 'account-standings',
      queuePrefix: config.redis.queuePrefix,
      redis,
      orm,
      ttlMs: config.auth.cacheTtlMs,
      accountOf: (standing) => standing.accountId,
    });
  }

  onModuleInit(): Promise<void> {
    this.orm.em.getEventManager().registerSubscriber(this);
    return this.cache.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.cache.stop();
  }

  /** The member's role, permissions and plan; null when the account does not exist or they are not its member. */
  async accessOf(accountId: string, userId: string): Promise<MemberAccess | null> {
    const standing = await this.cache.get(`member ${accountId} ${userId}`, async () => ({
      accountId,
      member: await this.readAccess(accountId, userId),
    }));
    return 'member' in standing ? standing.member : null;
  }

  async account(accountId: string): Promise<{ id: string; name: string } | null> {
    const standing = await this.cache.get(`account ${accountId}`, async () => {
      const [account] = await this.rows.select(Account, { text: 'where id = ?', params: [accountId] });
      return { accountId, account: account ? { id: account.id, name: account.name } : null };
    });
    return 'account' in standing ? standing.account : null;
  }

  onFlush({ em, uow }: FlushEventArgs): void {
    for (const change of uow.getChangeSets()) {
      const { entity } = change;
      if (entity instanceof Account) this.cache.invalidateOnCommit(em, entity.id);
      else if (entity instanceof Membership || entity instanceof Role) this.cache.invalidateOnCommit(em, entity.accountId);
    }
  }

  /** The role, its permissions and the plan in one query (a custom role's permissions joined in). */
  private async readAccess(accountId: string, userId: string): Promise<MemberAccess | null> {
    const [row] = (await this.rows.query(
      `select m.role, a.plan, r.permissions as custom
       from memberships m
       join accounts a on a.id = m.account_id
       left join roles r on r.account_id = m.account_id and r.key = m.role
       where m.account_id = ? and m.user_id = ?`,
      [accountId, userId],
    )) as Array<{ role: string; plan: string; custom: string[] | null }>;
    if (!row) return null;
    return { role: row.role, permissions: new Set(builtInRole(row.role)?.permissions ?? row.custom ?? []), plan: row.plan };
  }
}
