import { AclContext, AppAbility, buildAbility, ModuleAcl, newAbilityBuilder } from './acl.js';

/** A caller's ability: the composition of every module's ACL. */
export function createAbility(acls: readonly ModuleAcl[], context: AclContext): AppAbility {
  const builder = newAbilityBuilder();
  for (const acl of acls) acl.define(builder, context);
  return buildAbility(builder);
}
