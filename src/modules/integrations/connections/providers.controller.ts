import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { Authorize } from '../../rbac/index.js';
import { ListProvidersQuery, ProviderDto, ProviderPage } from '../dto/provider.dto.js';
import { ProvidersService } from './providers.service.js';

@ApiTags('Providers')
@Controller('v1/providers')
export class ProvidersController {
  constructor(private readonly providers: ProvidersService) {}

  @Get()
  @Authorize('integrations.view')
  @ApiOkResponse({ type: ProviderPage })
  @ApiOperation({
    operationId: 'listProviders',
    summary: 'List providers',
    description:
      "The providers loaded from plugins, with their credentials, settings and connection-input schemas, their actions and their input schemas, and whether the plan allows them. An action's output schema is in the provider's own answer.",
  })
  async list(@CurrentCaller() caller: AccountCaller, @Query() query: ListProvidersQuery, @Req() request: Request, @Res() response: Response): Promise<void> {
    // The page arrives as it is sent, compressed once for the clients that accept gzip (a fifth of the size).
    const page = await this.providers.list(caller, query);
    response.vary('Accept-Encoding').setHeader('Content-Type', 'application/json; charset=utf-8');
    if (request.headers['accept-encoding'] && request.acceptsEncodings('gzip', 'identity') === 'gzip') response.set('Content-Encoding', 'gzip').send(page.gzip);
    else response.send(page.json);
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
