import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { ConflictError, NotFoundError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { Page, pageArray, PageQuery } from '../../core/http/pagination.js';
import { AuditService } from '../audit/index.js';
import { assertHoldsAll, BUILT_IN_ROLES, builtInRole, PERMISSION_DESCRIPTIONS, PERMISSIONS } from '../rbac/index.js';
import { CreateRoleDto, PermissionDto, RoleDto, UpdateRoleDto } from './dto/role.dto.js';
import { Membership } from './entities/membership.entity.js';
import { Role } from './entities/role.entity.js';

@Injectable()
export class RolesService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  /** The permissions a role grants in an account; an unknown role grants nothing. */
  async permissionsOf(accountId: string, roleKey: string, em: EntityManager = this.em): Promise<Set<string>> {
    const builtIn = builtInRole(roleKey);
    if (builtIn) return new Set(builtIn.permissions);
    const role = await em.findOne(Role, { accountId, key: roleKey }, { fields: ['permissions'] });
    return new Set(role?.permissions ?? []);
  }

  async assertRoleExists(accountId: string, roleKey: string): Promise<void> {
    if (builtInRole(roleKey)) return;
    if (!(await this.em.count(Role, { accountId, key: roleKey }))) {
      throw new ValidationFailedError('Unknown role', [{ path: 'role', message: `no role "${roleKey}" in this account` }]);
    }
  }

  async list(caller: AccountCaller, query: PageQuery): Promise<Page<RoleDto>> {
    const custom = await this.em.find(Role, { accountId: caller.accountId }, { orderBy: { key: 'asc' } });
    const roles: RoleDto[] = [
      ...BUILT_IN_ROLES.map((role) => ({ key: role.key, name: role.name, permissions: [...role.permissions], builtIn: true, createdAt: null })),
      ...custom.map(toDto),
    ];
    return pageArray(roles, query);
  }

  permissions(query: PageQuery): Page<PermissionDto> {
    return pageArray(
      PERMISSIONS.map((key) => ({ key, description: PERMISSION_DESCRIPTIONS[key] })),
      query,
    );
  }

  async create(caller: AccountCaller, dto: CreateRoleDto): Promise<RoleDto> {
    if (builtInRole(dto.key)) throw new ConflictError(`"${dto.key}" is a built-in role`);
    assertHoldsAll(caller, dto.permissions, 'create this role');
    if (await this.em.count(Role, { accountId: caller.accountId, key: dto.key })) {
      throw new ConflictError(`A role "${dto.key}" already exists`);
    }
    const role = this.em.create(Role, { accountId: caller.accountId, key: dto.key, name: dto.name, permissions: dto.permissions });
    this.audit.record(this.em, caller, { action: 'role.created', targetType: 'role', targetId: dto.key, details: { permissions: dto.permissions } });
    await this.em.flush();
    return toDto(role);
  }

  async update(caller: AccountCaller, key: string, dto: UpdateRoleDto): Promise<RoleDto> {
    const role = await this.findCustom(caller, key);
    assertHoldsAll(caller, role.permissions, 'change this role');
    if (dto.permissions) {
      assertHoldsAll(caller, dto.permissions, 'give this role these permissions');
      role.permissions = dto.permissions;
    }
    if (dto.name !== undefined) role.name = dto.name;
    this.audit.record(this.em, caller, { action: 'role.updated', targetType: 'role', targetId: key, details: { ...dto } });
    await this.em.flush();
    return toDto(role);
  }

  async remove(caller: AccountCaller, key: string): Promise<void> {
    const role = await this.findCustom(caller, key);
    assertHoldsAll(caller, role.permissions, 'delete this role');
    if (await this.em.count(Membership, { accountId: caller.accountId, role: key })) {
      throw new ConflictError(`The role "${key}" is assigned to members; reassign them first`);
    }
    this.em.remove(role);
    this.audit.record(this.em, caller, { action: 'role.deleted', targetType: 'role', targetId: key });
    await this.em.flush();
  }

  private async findCustom(caller: AccountCaller, key: string): Promise<Role> {
    if (builtInRole(key)) throw new ConflictError(`"${key}" is a built-in role and cannot be changed`);
    const role = await this.em.findOne(Role, { accountId: caller.accountId, key });
    if (!role) throw new NotFoundError('Role');
    return role;
  }
}

function toDto(role: Role): RoleDto {
  return { key: role.key, name: role.name, permissions: role.permissions, builtIn: false, createdAt: role.createdAt };
}
