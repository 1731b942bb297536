import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller.js';
import { AccountsService } from './accounts.service.js';
import { Account } from './entities/account.entity.js';
import { Membership } from './entities/membership.entity.js';
import { MeService } from './me.service.js';
import { MembersController } from './members.controller.js';
import { MembersService } from './members.service.js';

@Module({
  imports: [MikroOrmModule.forFeature([Account, Membership])],
  controllers: [AccountsController, MembersController],
  providers: [AccountsService, MembersService, MeService],
  exports: [AccountsService],
})
export class AccountsModule {}
