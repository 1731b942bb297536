import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { CallerFactory } from '../rbac/index.js';
import { AccountStandings } from './account-standings.js';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';
import { Account } from './entities/account.entity.js';
import { Membership } from './entities/membership.entity.js';
import { Role } from './entities/role.entity.js';
import { MeService } from './me.service.js';
import { MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';
import { RolesController } from './roles.controller.js';
import { RolesService } from './roles.service.js';

/** Accounts, their members and custom roles; authorization learns who is a member from here. */
@Module({
  imports: [MikroOrmModule.forFeature([Account, Membership, Role])],
  controllers: [AccountsController, MembersController, RolesController],
  providers: [AccountsService, MembersService, RolesService, MeService, AccountStandings],
  exports: [AccountsService, MembersService],
})
export class AccountsModule {
  constructor(callers: CallerFactory, standings: AccountStandings) {
    callers.useMemberDirectory(standings);
  }
}
