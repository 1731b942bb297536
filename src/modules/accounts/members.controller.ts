import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { PageQuery } from '../../core/http/pagination.js';
import { Authorize, AuthorizeAccount } from '../rbac/index.js';
import { AddMemberDto, MemberDto, MemberPage, UpdateMemberDto } from './dto/account.dto.js';
import { MeDto } from './dto/me.dto.js';
import { MeService } from './me.service.js';
import { MembersService } from './members.service.js';

@ApiTags('Members')
@Controller('v1')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly me: MeService,
  ) {}

  @Get('me')
  @AuthorizeAccount()
  @ApiOkResponse({ type: MeDto })
  @ApiOperation({
    operationId: 'getMe',
    summary: 'Who am I',
    description:
      'The caller: member or API key, the account, role, permissions (also as packed CASL rules), the plan with its limits and current usage, and the mode (`livemode`).',
  })
  describe(@CurrentCaller() caller: AccountCaller) {
    return this.me.describe(caller);
  }

  @Get('members')
  @Authorize('members.view')
  @ApiOkResponse({ type: MemberPage })
  @ApiOperation({ operationId: 'listMembers', summary: 'List members', description: "The account's members with their roles, a page at a time." })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: PageQuery) {
    return this.members.list(caller, query);
  }

  @Post('members')
  @Authorize('members.manage')
  @ApiCreatedResponse({ type: MemberDto })
  @ApiOperation({
    operationId: 'addMember',
    summary: 'Add a member',
    description:
      'Adds a user (by the id your identity provider gives them) with a role. Nobody grants a role holding permissions they lack; only owners add owners.',
  })
  add(@CurrentCaller() caller: AccountCaller, @Body() dto: AddMemberDto) {
    return this.members.add(caller, dto);
  }

  @Patch('members/:userId')
  @Authorize('members.manage')
  @ApiOkResponse({ type: MemberDto })
  @ApiOperation({
    operationId: 'changeMemberRole',
    summary: "Change a member's role",
    description: 'Gives a member another role. Needs every permission of both roles; only owners change owners, and the last owner cannot be demoted (409).',
  })
  changeRole(@CurrentCaller() caller: AccountCaller, @Param('userId') userId: string, @Body() dto: UpdateMemberDto) {
    return this.members.changeRole(caller, userId, dto);
  }

  @Delete('members/:userId')
  @HttpCode(204)
  @Authorize('members.manage')
  @ApiNoContentResponse()
  @ApiOperation({
    operationId: 'removeMember',
    summary: 'Remove a member',
    description: 'Removes a member from the account. Only owners remove owners; the last owner cannot be removed (409).',
  })
  remove(@CurrentCaller() caller: AccountCaller, @Param('userId') userId: string) {
    return this.members.remove(caller, userId);
  }
}
