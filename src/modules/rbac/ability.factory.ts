import { apiKeysAcl } from '../api-keys/api-keys.acl.js';
import { integrationsAcl } from '../integrations/integrations.acl.js';
import { webhooksAcl } from '../webhooks/webhooks.acl.js';
import { AclContext, AppAbility, buildAbility, ModuleAcl, newAbilityBuilder } from './acl.js';
import { permissionsAcl } from './rbac.acl.js';

/** Every module's ACL; the ability of a caller is their composition. */
export const MODULE_ACLS: readonly ModuleAcl[] = [permissionsAcl, integrationsAcl, webhooksAcl, apiKeysAcl];

export function createAbility(context: AclContext): AppAbility {
  const builder = newAbilityBuilder();
  for (const acl of MODULE_ACLS) acl.define(builder, context);
  return buildAbility(builder);
}

export function aclFor(subjectType: string): ModuleAcl | undefined {
  return MODULE_ACLS.find((acl) => acl.subjects.includes(subjectType));
}
