import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  describe(@CurrentCaller() caller: AccountCaller) {
    return this.me.describe(caller);
  }

  @Get('members')
  @Authorize('members.view')
  @ApiOkResponse({ type: MemberPage })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: PageQuery) {
    return this.members.list(caller, query);
  }

  @Post('members')
  @Authorize('members.manage')
  @ApiCreatedResponse({ type: MemberDto })
  add(@CurrentCaller() caller: AccountCaller, @Body() dto: AddMemberDto) {
    return this.members.add(caller, dto);
  }

  @Patch('members/:userId')
  @Authorize('members.manage')
  @ApiOkResponse({ type: MemberDto })
  changeRole(@CurrentCaller() caller: AccountCaller, @Param('userId') userId: string, @Body() dto: UpdateMemberDto) {
    return this.members.changeRole(caller, userId, dto);
  }

  @Delete('members/:userId')
  @HttpCode(204)
  @Authorize('members.manage')
  @ApiNoContentResponse()
  remove(@CurrentCaller() caller: AccountCaller, @Param('userId') userId: string) {
    return this.members.remove(caller, userId);
  }
}
