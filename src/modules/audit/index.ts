/** The audit module's public surface: recording who changed what. */
export { AuditModule } from './audit.module.js';
export { AuditService } from './audit.service.js';
