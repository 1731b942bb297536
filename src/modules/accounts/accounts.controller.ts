import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
  @ApiOperation({
    operationId: 'createAccount',
    summary: 'Create an account',
    description: 'Creates an account on a plan and makes `ownerId` its owner. Instance administrators only.',
  })
  create(@CurrentCaller() caller: Caller, @Body() dto: CreateAccountDto) {
    return this.accounts.create(caller, dto);
  }

  @Get()
  @InstanceAdmin()
  @ApiOkResponse({ type: AccountPage })
  @ApiOperation({
    operationId: 'listAccounts',
    summary: 'List accounts',
    description: 'Every account of this installation, oldest first, a page at a time. Instance administrators only.',
  })
  list(@Query() query: PageQuery) {
    return this.accounts.list(query);
  }

  @Get(':id')
  @InstanceAdmin()
  @ApiOkResponse({ type: AccountDto })
  @ApiOperation({ operationId: 'getAccount', summary: 'Get an account', description: 'One account by id. Instance administrators only.' })
  get(@Param('id', UuidParam) id: string) {
    return this.accounts.get(id);
  }

  @Patch(':id')
  @InstanceAdmin()
  @ApiOkResponse({ type: AccountDto })
  @ApiOperation({
    operationId: 'updateAccount',
    summary: 'Rename an account or change its plan',
    description:
      'Renames the account or moves it to another plan. A downgrade deletes nothing: what the new plan does not allow is suspended, and an upgrade restores exactly that. Audited.',
  })
  update(@CurrentCaller() caller: Caller, @Param('id', UuidParam) id: string, @Body() dto: UpdateAccountDto) {
    return this.accounts.update(caller, id, dto);
  }
}
