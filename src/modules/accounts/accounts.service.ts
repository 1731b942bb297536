import { EntityManager, LockMode } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../../core/auth/caller.js';
import { NotFoundError } from '../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, PageQuery, toPage } from '../../core/http/pagination.js';
import { AuditService } from '../audit/index.js';
import { PlansService } from '../plans/index.js';
import { AccountDto, CreateAccountDto, UpdateAccountDto } from './dto/account.dto.js';
import { Account } from './entities/account.entity.js';
import { Membership } from './entities/membership.entity.js';

/** Instance-level management of accounts, for instance administrators and the CLI. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly em: EntityManager,
    private readonly plans: PlansService,
    private readonly audit: AuditService,
  ) {}

  async create(caller: Caller | 'system', dto: CreateAccountDto): Promise<AccountDto> {
    const plan = dto.plan ?? this.plans.defaultPlan;
    this.plans.assertExists(plan);
    const account = this.em.create(Account, { name: dto.name, plan });
    this.em.create(Membership, { accountId: account.id, userId: dto.ownerId, role: 'owner' });
    this.audit.record(this.em, caller, {
      action: 'account.created',
      accountId: account.id,
      targetType: 'account',
      targetId: account.id,
      details: { plan, ownerId: dto.ownerId },
    });
    await this.em.flush();
    return AccountDto.from(account);
  }

  async list(query: PageQuery): Promise<Page<AccountDto>> {
    const rows = await this.em.find(Account, afterCursor(query.cursor), { orderBy: NEWEST_FIRST, limit: query.limit + 1 });
    return toPage(rows, query.limit, AccountDto.from);
  }

  /** The account's plan; undefined when there is no such account. */
  async planOf(id: string): Promise<string | undefined> {
    return (await this.em.fork().findOne(Account, { id }, { fields: ['plan'] }))?.plan;
  }

  async get(id: string): Promise<AccountDto> {
    return AccountDto.from(await this.find(id));
  }

  /** A plan change suspends or restores resources through each module's plan-change handler, atomically. */
  async update(caller: Caller, id: string, dto: UpdateAccountDto): Promise<AccountDto> {
    if (dto.plan !== undefined) this.plans.assertExists(dto.plan);
    return this.em.transactional(async (em) => {
      const account = await em.findOne(Account, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!account) throw new NotFoundError('Account');
      const previousPlan = account.plan;
      if (dto.name !== undefined) account.name = dto.name;
      if (dto.plan !== undefined && dto.plan !== previousPlan) {
        account.plan = dto.plan;
        await this.plans.applyPlan(em, account.id, dto.plan);
        this.audit.record(em, caller, {
          action: 'account.plan_changed',
          accountId: account.id,
          targetType: 'account',
          targetId: account.id,
          details: { from: previousPlan, to: dto.plan },
        });
      }
      return AccountDto.from(account);
    });
  }

  private async find(id: string): Promise<Account> {
    const account = await this.em.findOne(Account, { id });
    if (!account) throw new NotFoundError('Account');
    return account;
  }
}
