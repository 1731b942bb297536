import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { Authorize } from '../../rbac/index.js';
import { ConnectBrandingDto } from '../dto/connect-branding.dto.js';
import { ConnectBrandingService } from './connect-branding.service.js';

/** The account's look of the hosted connect page: whoever opens connect sessions may change it. */
@ApiTags('Connect sessions')
@Controller('v1/branding')
export class ConnectBrandingController {
  constructor(private readonly branding: ConnectBrandingService) {}

  @Get()
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: ConnectBrandingDto, description: 'The branding; fields never set are absent' })
  @ApiOperation({
    operationId: 'getBranding',
    summary: 'Read the connect page branding',
    description: 'The name, logo and colours the hosted connect page shows to this account’s end users.',
  })
  get(@CurrentCaller() caller: AccountCaller) {
    return this.branding.of(caller.accountId);
  }

  @Put()
  @Authorize('connections.manage')
  @ApiOkResponse({ type: ConnectBrandingDto, description: 'Saved; a field left out is cleared' })
  @ApiOperation({
    operationId: 'setBranding',
    summary: 'Set the connect page branding',
    description:
      'Replaces the name, logo (a `data:` URL of a PNG, JPEG or WebP image up to 64 KB) and colours (`#rrggbb`) of the hosted connect page, on every plan. A field left out is cleared.',
  })
  replace(@CurrentCaller() caller: AccountCaller, @Body() dto: ConnectBrandingDto) {
    return this.branding.replace(caller, dto);
  }
}
