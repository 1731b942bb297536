import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller } from '../../core/auth/caller.js';
import { PageQuery } from '../../core/http/pagination.js';
import { UuidParam } from '../../core/http/uuid-param.pipe.js';
import { InstanceAdmin } from '../rbac/index.js';
import { AccountsService } from './accounts.service.js';
import { AccountDto, AccountPage, CreateAccountDto, UpdateAccountDto } from './dto/account.dto.js';

@ApiTags('Accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @InstanceAdmin()
  @ApiCreatedResponse({ type: AccountDto })
  create(@CurrentCaller() caller: Caller, @Body() dto: CreateAccountDto) {
    return this.accounts.create(caller, dto);
  }

  @Get()
  @InstanceAdmin()
  @ApiOkResponse({ type: AccountPage })
  list(@Query() query: PageQuery) {
    return this.accounts.list(query);
  }

  @Get(':id')
  @InstanceAdmin()
  @ApiOkResponse({ type: AccountDto })
  get(@Param('id', UuidParam) id: string) {
    return this.accounts.get(id);
  }

  @Patch(':id')
  @InstanceAdmin()
  @ApiOkResponse({ type: AccountDto })
  update(@CurrentCaller() caller: Caller, @Param('id', UuidParam) id: string, @Body() dto: UpdateAccountDto) {
    return this.accounts.update(caller, id, dto);
  }
}
