import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { Authorize } from '../rbac/index.js';
import { AuditService } from './audit.service.js';
import { AuditEntryPage, AuditLogQuery } from './dto/audit.dto.js';

@ApiTags('Audit')
@Controller('v1/audit-log')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Authorize('audit.view')
  @ApiOkResponse({ type: AuditEntryPage })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: AuditLogQuery) {
    return this.audit.list(caller, query);
  }
}
