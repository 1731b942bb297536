/**
 * The rbac module's public surface: the permission catalog, route decorators, the caller of a request,
 * CASL access checks with the ACL registry, and the rule for anything that carries permissions.
 */
export { RbacModule } from './rbac.module.js';
export { AccessService } from './access.service.js';
export { AclRegistry } from './acl-registry.js';
export { AuthorizationGuard } from './authorization.guard.js';
export { type AclContext, type ModuleAcl, PLAN_REASON, type PlanFeature, type Usage } from './acl.js';
export { assertHoldsAll, assertMayTouchOwners } from './authority.js';
export { Authorize, AuthorizeAccount, InstanceAdmin, problem } from './authorize.decorator.js';
export { CallerFactory, type MemberAccess, type MemberDirectory } from './caller.factory.js';
export { BUILT_IN_ROLES, builtInRole, OWNER_ROLE, type Permission, PERMISSION_DESCRIPTIONS, PERMISSIONS } from './permissions.js';
