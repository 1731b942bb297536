import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { Authorize } from '../rbac/index.js';
import { AuditService } from './audit.service.js';
import { AuditEntryPage, AuditLogQuery } from './dto/audit.dto.js';

@ApiTags('Audit log')
@Controller('v1/audit-log')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Authorize('audit.view')
  @ApiOkResponse({ type: AuditEntryPage })
  @ApiOperation({
    operationId: 'listAuditEntries',
    summary: 'Read the audit log',
    description:
      'Who changed members, roles, keys, plans, integrations and webhooks, when, with which member or key; newest first, filtered by action and time. An API key sees only its mode’s entries.',
  })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: AuditLogQuery) {
    return this.audit.list(caller, query);
  }
}
