import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { PageQuery } from '../../core/http/pagination.js';
import { Authorize } from '../rbac/index.js';
import { CreateRoleDto, PermissionPage, RoleDto, RolePage, UpdateRoleDto } from './dto/role.dto.js';
import { RolesService } from './roles.service.js';

@ApiTags('Roles')
@Controller('v1')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get('roles')
  @Authorize('roles.manage')
  @ApiOkResponse({ type: RolePage })
  @ApiOperation({
    operationId: 'listRoles',
    summary: 'List roles',
    description: 'Built-in roles (owner, admin, developer, host) and the account’s custom roles.',
  })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: PageQuery) {
    return this.roles.list(caller, query);
  }

  @Post('roles')
  @Authorize('roles.manage')
  @ApiCreatedResponse({ type: RoleDto })
  @ApiOperation({
    operationId: 'createRole',
    summary: 'Create a custom role',
    description: 'A custom role from the permission catalog; it may not hold permissions the caller lacks.',
  })
  create(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateRoleDto) {
    return this.roles.create(caller, dto);
  }

  @Patch('roles/:key')
  @Authorize('roles.manage')
  @ApiOkResponse({ type: RoleDto })
  @ApiOperation({
    operationId: 'updateRole',
    summary: 'Change a custom role',
    description: 'Renames a custom role or changes its permissions. Built-in roles cannot be changed.',
  })
  update(@CurrentCaller() caller: AccountCaller, @Param('key') key: string, @Body() dto: UpdateRoleDto) {
    return this.roles.update(caller, key, dto);
  }

  @Delete('roles/:key')
  @HttpCode(204)
  @Authorize('roles.manage')
  @ApiNoContentResponse()
  @ApiOperation({
    operationId: 'deleteRole',
    summary: 'Delete a custom role',
    description: 'Deletes a custom role; a role assigned to members cannot be deleted (409).',
  })
  remove(@CurrentCaller() caller: AccountCaller, @Param('key') key: string) {
    return this.roles.remove(caller, key);
  }

  @Get('permissions')
  @Authorize('roles.manage')
  @ApiOkResponse({ type: PermissionPage })
  @ApiOperation({ operationId: 'listPermissions', summary: 'List permissions', description: 'The permission catalog roles and API keys are made of.' })
  permissions(@Query() query: PageQuery) {
    return this.roles.permissions(query);
  }
}
