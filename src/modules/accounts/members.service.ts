import { EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { ConflictError, NotFoundError } from '../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, PageQuery, toPage } from '../../core/http/pagination.js';
import { AuditService } from '../audit/index.js';
import { assertHoldsAll, assertMayTouchOwners, builtInRole, OWNER_ROLE } from '../rbac/index.js';
import { AddMemberDto, MemberDto, UpdateMemberDto } from './dto/account.dto.js';
import { Account } from './entities/account.entity.js';
import { Membership } from './entities/membership.entity.js';
import { Role } from './entities/role.entity.js';
import { RolesService } from './roles.service.js';

@Injectable()
export class MembersService {
  constructor(
    private readonly em: EntityManager,
    private readonly roles: RolesService,
    private readonly audit: AuditService,
  ) {}

  /** The account's members whose role grants `permission` (who is told when something needs them), oldest first. */
  async holding(accountId: string, permission: string): Promise<Array<{ userId: string; email: string | null; role: string }>> {
    const em = this.em.fork();
    const memberships = await em.find(Membership, { accountId }, { orderBy: { createdAt: 'asc' } });
    const grants = new Map<string, boolean>();
    for (const role of new Set(memberships.map((membership) => membership.role))) {
      grants.set(role, (await this.roles.permissionsOf(accountId, role, em)).has(permission));
    }
    return memberships
      .filter((membership) => grants.get(membership.role))
      .map((membership) => ({ userId: membership.userId, email: membership.email ?? null, role: membership.role }));
  }

  async list(caller: AccountCaller, query: PageQuery): Promise<Page<MemberDto>> {
    const rows = await this.em.find(
      Membership,
      { accountId: caller.accountId, ...afterCursor(query.cursor) },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, MemberDto.from);
  }

  async add(caller: AccountCaller, dto: AddMemberDto): Promise<MemberDto> {
    await this.assertMayAssign(caller, dto.role);
    if (dto.role === OWNER_ROLE) assertMayTouchOwners(caller, 'add an owner');
    if (await this.em.count(Membership, { accountId: caller.accountId, userId: dto.userId })) {
      throw new ConflictError(`${dto.userId} is already a member`);
    }
    const membership = this.em.create(Membership, { accountId: caller.accountId, userId: dto.userId, email: dto.email ?? null, role: dto.role });
    this.audit.record(this.em, caller, { action: 'member.added', targetType: 'member', targetId: dto.userId, details: { role: dto.role } });
    await this.em.flush();
    return MemberDto.from(membership);
  }

  /**
   * Adds `userId` with `role` unless they already are a member (whose role is then left as it is): how
   * single sign-on provisions members on their first sign-in. The caller must hold `members.manage`
   * and every permission of the role, and only owners add owners, as for `add`.
   */
  async provision(caller: AccountCaller, dto: AddMemberDto, details: Record<string, unknown> = {}): Promise<{ member: MemberDto; created: boolean }> {
    const existing = await this.em.fork().findOne(Membership, { accountId: caller.accountId, userId: dto.userId });
    if (existing) return { member: MemberDto.from(existing), created: false };
    await this.assertMayProvision(caller, dto.role);
    const { membership, created } = await this.addOnce(caller, caller.accountId, dto, details);
    return { member: MemberDto.from(membership), created };
  }

  /**
   * A member signing in by themselves (single sign-on to the console): who they are, or — when the
   * account provisions with `role`, a role that still exists — added with it, by the system; null
   * when they are no member and nothing provisions them. Whoever set the provisioning role was checked
   * then to be allowed to grant it.
   */
  async signInMember(
    accountId: string,
    person: { userId: string; email?: string | null; role?: string },
    details: Record<string, unknown>,
  ): Promise<{ created: boolean } | null> {
    if (await this.em.fork().findOne(Membership, { accountId, userId: person.userId }, { fields: ['id'] })) return { created: false };
    const { role } = person;
    if (!role || !(builtInRole(role) || (await this.em.fork().count(Role, { accountId, key: role })))) return null;
    const { created } = await this.addOnce('system', accountId, { ...person, role }, details);
    return { created };
  }

  /** Adds a membership, audited; when a concurrent first sign-in added it first, that one. */
  private async addOnce(
    actor: AccountCaller | 'system',
    accountId: string,
    person: { userId: string; email?: string | null; role: string },
    details: Record<string, unknown>,
  ): Promise<{ membership: Membership; created: boolean }> {
    const em = this.em.fork();
    const membership = em.create(Membership, { accountId, userId: person.userId, email: person.email ?? null, role: person.role });
    this.audit.record(em, actor, {
      action: 'member.added',
      accountId,
      targetType: 'member',
      targetId: person.userId,
      details: { role: person.role, ...details },
    });
    try {
      await em.flush();
      return { membership, created: true };
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const added = await this.em.fork().findOne(Membership, { accountId, userId: person.userId });
      if (!added) throw error;
      return { membership: added, created: false };
    }
  }

  /**
   * Whether the caller may let sign-ins add members with `role` (configure single sign-on provisioning,
   * change an integration that provisions, or redeem a sign-in that adds someone): `members.manage`
   * and every permission of the role; owners only by owners. With `requireRole` false an unknown role
   * (since deleted) grants nothing and is no obstacle.
   */
  async assertMayProvision(caller: AccountCaller, role: string, requireRole = true): Promise<void> {
    assertHoldsAll(caller, ['members.manage'], 'let sign-ins add members');
    if (requireRole) await this.roles.assertRoleExists(caller.accountId, role);
    assertHoldsAll(caller, await this.roles.permissionsOf(caller.accountId, role), `let sign-ins add members with the role "${role}"`);
    if (role === OWNER_ROLE) assertMayTouchOwners(caller, 'let sign-ins add owners');
  }

  async changeRole(caller: AccountCaller, userId: string, dto: UpdateMemberDto): Promise<MemberDto> {
    await this.assertMayAssign(caller, dto.role);
    if (dto.role === OWNER_ROLE) assertMayTouchOwners(caller, 'make a member an owner');
    return this.withOwnersLocked(
      caller,
      async (em, membership) => {
        await this.assertMayActOn(em, caller, membership, 'change');
        if (membership.role === OWNER_ROLE && dto.role !== OWNER_ROLE) await this.assertNotLastOwner(em, caller.accountId);
        const previous = membership.role;
        membership.role = dto.role;
        this.audit.record(em, caller, { action: 'member.role_changed', targetType: 'member', targetId: userId, details: { from: previous, to: dto.role } });
        return MemberDto.from(membership);
      },
      userId,
    );
  }

  async remove(caller: AccountCaller, userId: string): Promise<void> {
    await this.withOwnersLocked(
      caller,
      async (em, membership) => {
        await this.assertMayActOn(em, caller, membership, 'remove');
        if (membership.role === OWNER_ROLE) await this.assertNotLastOwner(em, caller.accountId);
        em.remove(membership);
        this.audit.record(em, caller, { action: 'member.removed', targetType: 'member', targetId: userId, details: { role: membership.role } });
      },
      userId,
    );
  }

  private async assertMayAssign(caller: AccountCaller, role: string): Promise<void> {
    await this.roles.assertRoleExists(caller.accountId, role);
    assertHoldsAll(caller, await this.roles.permissionsOf(caller.accountId, role), `assign the role "${role}"`);
  }

  /** A member is changed or removed only by someone holding all of that member's permissions; owners only by owners. */
  private async assertMayActOn(em: EntityManager, caller: AccountCaller, membership: Membership, deed: 'change' | 'remove'): Promise<void> {
    if (membership.role === OWNER_ROLE) assertMayTouchOwners(caller, `${deed} an owner`);
    assertHoldsAll(caller, await this.roles.permissionsOf(caller.accountId, membership.role, em), `${deed} ${membership.userId}`);
  }

  /** Serialises owner changes per account (row lock on the account) so two demotions cannot both pass. */
  private withOwnersLocked<T>(caller: AccountCaller, work: (em: EntityManager, membership: Membership) => Promise<T>, userId: string): Promise<T> {
    return this.em.transactional(async (em) => {
      await em.findOne(Account, { id: caller.accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE, fields: ['id'] });
      const membership = await em.findOne(Membership, { accountId: caller.accountId, userId });
      if (!membership) throw new NotFoundError('Member');
      return work(em, membership);
    });
  }

  private async assertNotLastOwner(em: EntityManager, accountId: string): Promise<void> {
    if ((await em.count(Membership, { accountId, role: OWNER_ROLE })) <= 1) {
      throw new ConflictError('An account must keep at least one owner');
    }
  }
}
