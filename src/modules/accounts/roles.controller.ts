import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  list(@CurrentCaller() caller: AccountCaller, @Query() query: PageQuery) {
    return this.roles.list(caller, query);
  }

  @Post('roles')
  @Authorize('roles.manage')
  @ApiCreatedResponse({ type: RoleDto })
  create(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateRoleDto) {
    return this.roles.create(caller, dto);
  }

  @Patch('roles/:key')
  @Authorize('roles.manage')
  @ApiOkResponse({ type: RoleDto })
  update(@CurrentCaller() caller: AccountCaller, @Param('key') key: string, @Body() dto: UpdateRoleDto) {
    return this.roles.update(caller, key, dto);
  }

  @Delete('roles/:key')
  @HttpCode(204)
  @Authorize('roles.manage')
  @ApiNoContentResponse()
  remove(@CurrentCaller() caller: AccountCaller, @Param('key') key: string) {
    return this.roles.remove(caller, key);
  }

  @Get('permissions')
  @Authorize('roles.manage')
  @ApiOkResponse({ type: PermissionPage })
  permissions(@Query() query: PageQuery) {
    return this.roles.permissions(query);
  }
}
