import { Global, Module } from '@nestjs/common';
import { AccessService } from './access.service.js';
import { AclRegistry } from './acl-registry.js';
import { AuthorizationGuard } from './authorization.guard.js';
import { CallerFactory } from './caller.factory.js';

/**
 * Authorization: who the caller is in an account (CallerFactory), what they may do (CASL, from every
 * module's registered ACL and the plan) and the guard that checks each route's declared rule.
 */
@Global()
@Module({
  providers: [AclRegistry, AccessService, CallerFactory, AuthorizationGuard],
  exports: [AclRegistry, AccessService, CallerFactory, AuthorizationGuard],
})
export class RbacModule {}
