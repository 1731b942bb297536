import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Module } from '@nestjs/common';
import { AccessService } from './access.service.js';
import { AclRegistry } from './acl-registry.js';
import { AuthorizationGuard } from './authorization.guard.js';
import { CallerFactory } from './caller.factory.js';
import { Role } from './entities/role.entity.js';
import { RolesController } from './roles.controller.js';
import { RolesService } from './roles.service.js';

@Global()
@Module({
  imports: [MikroOrmModule.forFeature([Role])],
  controllers: [RolesController],
  providers: [RolesService, AclRegistry, AccessService, CallerFactory, AuthorizationGuard],
  exports: [RolesService, AclRegistry, AccessService, CallerFactory, AuthorizationGuard],
})
export class RbacModule {}
