import { Injectable } from '@nestjs/common';
import type { ModuleAcl } from './acl.js';
import { permissionsAcl } from './rbac.acl.js';

/** Every module's CASL rules: each module registers its own ACL, so rbac imports none of them. */
@Injectable()
export class AclRegistry {
  private readonly acls: ModuleAcl[] = [permissionsAcl];

  register(acl: ModuleAcl): void {
    if (!this.acls.includes(acl)) this.acls.push(acl);
  }

  all(): readonly ModuleAcl[] {
    return this.acls;
  }

  /** The ACL that speaks for a subject type (to explain a plan denial). */
  forSubject(subjectType: string): ModuleAcl | undefined {
    return this.acls.find((acl) => acl.subjects.includes(subjectType));
  }
}
