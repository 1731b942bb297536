import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { Authorize } from '../../rbac/index.js';
import { ListProvidersQuery, ProviderDto, ProviderPage } from '../dto/provider.dto.js';
import { ProvidersService } from './providers.service.js';

@ApiTags('Providers')
@Controller('v1/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  // The page arrives as JSON text (most of it serialised once per loaded plugin).
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: ProviderPage })
  @ApiOperation({
    operationId: 'listProviders',
    summary: 'List providers',
    description:
      'The providers loaded from plugins, with their credentials, settings and connection-input schemas, their actions, and whether the plan allows them.',
  })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ListProvidersQuery) {
    return this.providers.list(caller, query);
  }

  @Get(':id')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: ProviderDto })
  @ApiOperation({
    operationId: 'getProvider',
    summary: 'Get a provider',
    description: 'One provider by id, with its schemas and actions (and their output schemas where declared).',
  })
  get(@CurrentCaller() caller: AccountCaller, @Param('id') id: string) {
    return this.providers.get(caller, id);
  }
}
