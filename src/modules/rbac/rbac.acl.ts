import type { ModuleAcl } from './acl.js';
import { permissionRule } from './acl.js';

/** Every permission the caller holds becomes a CASL rule: `members.manage` → can('manage', 'members'). */
export const permissionsAcl: ModuleAcl = {
  subjects: [],
  define({ can }, { caller }) {
    for (const permission of caller.permissions) {
      const { action, subject } = permissionRule(permission);
      can(action, subject);
    }
  },
  planFeature: () => ({ feature: 'none', limit: null }),
};
