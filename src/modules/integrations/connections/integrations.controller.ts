import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { PageQuery } from '../../../core/http/pagination.js';
import { Authorize } from '../../rbac/index.js';
import {
  ConfigureIntegrationDto,
  ConnectIntegrationDto,
  HealthCheckResultDto,
  IntegrationDto,
  IntegrationPage,
  ListIntegrationsQuery,
  OAuthStartedDto,
  RecordsQuery,
  RunActionDto,
  StartOAuthDto,
  SyncedRecordPage,
  SyncRunPage,
  StartSyncDto,
  SyncStartedDto,
} from '../dto/integration.dto.js';
import { IntegrationOperationsService } from './integration-operations.service.js';
import { type ConnectionRef, IntegrationsService } from './integrations.service.js';
import { OAuthFlowService } from '../oauth/oauth-flow.service.js';
import { type ProxiedRequest, relayToProvider } from '../calls/proxy-relay.js';
import { ProxyService } from '../calls/proxy.service.js';
import { SyncService } from '../sync/sync.service.js';

/** A proxy route: forwarded to the provider's API under its base URL with the integration's credentials. */
const ProxyRoute = () =>
  applyDecorators(Authorize('integrations.manage'), ApiOkResponse({ description: "The provider's response: its status, body and content type" }));

@ApiTags('Integrations')
@Controller('v1/integrations')
export class IntegrationsController {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly operations: IntegrationOperationsService,
    private readonly oauth: OAuthFlowService,
    private readonly syncs: SyncService,
    private readonly proxy: ProxyService,
  ) {}

  @Get()
  @Authorize('integrations.view')
  @ApiOkResponse({ type: IntegrationPage })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ListIntegrationsQuery) {
    return this.integrations.list(caller, query);
  }

  @Get(':provider')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: IntegrationDto })
  get(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.integrations.get(caller, { provider });
  }

  @Put(':provider')
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto, description: 'Connected (or saved); credentials are verified with the provider first' })
  connect(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() dto: ConnectIntegrationDto) {
    return this.integrations.connect(caller, provider, dto);
  }

  @Patch(':provider')
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto })
  configure(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() dto: ConfigureIntegrationDto) {
    return this.integrations.configure(caller, { provider }, dto);
  }

  @Post(':provider/disconnect')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto })
  disconnect(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.integrations.disconnect(caller, { provider });
  }

  @Post(':provider/oauth/start')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: OAuthStartedDto })
  startOAuth(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() dto: StartOAuthDto) {
    return this.oauth.start(caller, provider, dto);
  }

  @Post(':provider/refresh')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto })
  refresh(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.operations.refresh(caller, { provider });
  }

  @Post(':provider/health-check')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: HealthCheckResultDto })
  healthCheck(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.operations.healthCheck(caller, { provider });
  }

  @Post(':provider/sync')
  @HttpCode(202)
  @Authorize('integrations.manage')
  @ApiAcceptedResponse({ type: SyncStartedDto })
  sync(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() body: StartSyncDto) {
    return this.syncs.start(caller, { provider }, body);
  }

  @Get(':provider/syncs')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: SyncRunPage })
  syncRuns(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Query() query: PageQuery) {
    return this.syncs.list(caller, { provider }, query);
  }

  @Get(':provider/records')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: SyncedRecordPage })
  records(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Query() query: RecordsQuery) {
    return this.syncs.records(caller, { provider }, query);
  }

  @Post(':provider/actions/:action')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ description: "The action's output" })
  runAction(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Param('action') action: string, @Body() dto: RunActionDto) {
    return this.operations.runAction(caller, { provider }, action, dto.input);
  }

  @Get(':provider/proxy/*path')
  @ProxyRoute()
  proxyGet(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Post(':provider/proxy/*path')
  @ProxyRoute()
  proxyPost(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Put(':provider/proxy/*path')
  @ProxyRoute()
  proxyPut(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Patch(':provider/proxy/*path')
  @ProxyRoute()
  proxyPatch(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Delete(':provider/proxy/*path')
  @ProxyRoute()
  proxyDelete(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  private forward(caller: AccountCaller, ref: ConnectionRef, request: ProxiedRequest, response: Response): Promise<void> {
    return relayToProvider(this.proxy, caller, ref, request, response);
  }
}
