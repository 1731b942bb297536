import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { PageQuery, SendsJsonText } from '../../../core/http/pagination.js';
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
import { ProviderCallResponses, ProxyRoute } from '../calls/provider-call-docs.js';
import { ProxyService } from '../calls/proxy.service.js';
import { SyncService } from '../sync/sync.service.js';

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
  @SendsJsonText()
  @Authorize('integrations.view')
  @ApiOkResponse({ type: IntegrationPage })
  @ApiOperation({
    operationId: 'listIntegrations',
    summary: 'List integrations',
    description: "The account's default shared connection of each provider, filtered by category and status.",
  })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ListIntegrationsQuery) {
    return this.integrations.list(caller, query);
  }

  @Get(':provider')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({ operationId: 'getIntegration', summary: 'Get an integration', description: "The account's default shared connection of a provider." })
  get(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.integrations.get(caller, { provider });
  }

  @Put(':provider')
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto, description: 'Connected (or saved); credentials are verified with the provider first' })
  @ApiOperation({
    operationId: 'connectIntegration',
    summary: 'Connect or save an integration',
    description:
      'Connects an API-key provider (or saves its settings): credentials are checked against the provider’s schema, verified with the provider, then stored encrypted. An upsert. Each provider’s typed form is under Provider operations.',
  })
  @ProviderCallResponses()
  connect(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() dto: ConnectIntegrationDto) {
    return this.integrations.connect(caller, provider, dto);
  }

  @Patch(':provider')
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({ operationId: 'configureIntegration', summary: 'Configure an integration', description: 'Changes settings, auto-sync and sync frequency.' })
  configure(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() dto: ConfigureIntegrationDto) {
    return this.integrations.configure(caller, { provider }, dto);
  }

  @Post(':provider/disconnect')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({
    operationId: 'disconnectIntegration',
    summary: 'Disconnect an integration',
    description: 'Forgets the credentials; the record and its history stay.',
  })
  disconnect(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.integrations.disconnect(caller, { provider });
  }

  @Post(':provider/oauth/start')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: OAuthStartedDto })
  @ApiOperation({
    operationId: 'startIntegrationOAuth',
    summary: 'Start connecting by OAuth',
    description:
      'Answers the provider URL to send the browser to. The provider sends it back to `/v1/oauth/callback`, which connects and redirects to `returnUrl`.',
  })
  startOAuth(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() dto: StartOAuthDto) {
    return this.oauth.start(caller, provider, dto);
  }

  @Post(':provider/refresh')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({
    operationId: 'refreshIntegration',
    summary: 'Refresh the OAuth token',
    description: 'Refreshes the OAuth token now (it is also refreshed on any use when it expires within 15 minutes).',
  })
  @ProviderCallResponses()
  refresh(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.operations.refresh(caller, { provider });
  }

  @Post(':provider/health-check')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({ type: HealthCheckResultDto })
  @ApiOperation({
    operationId: 'checkIntegrationHealth',
    summary: 'Check health with the provider',
    description: 'Asks the provider whether the connection still works; a refusal marks it `error` with what to do.',
  })
  @ProviderCallResponses()
  healthCheck(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string) {
    return this.operations.healthCheck(caller, { provider });
  }

  @Post(':provider/sync')
  @HttpCode(202)
  @Authorize('integrations.manage')
  @ApiAcceptedResponse({ type: SyncStartedDto })
  @ApiOperation({
    operationId: 'syncIntegration',
    summary: 'Start a sync',
    description: 'Queues a sync run (or answers the run already queued or running). `full: true` ignores the high-water marks.',
  })
  sync(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Body() body: StartSyncDto) {
    return this.syncs.start(caller, { provider }, body);
  }

  @Get(':provider/syncs')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: SyncRunPage })
  @ApiOperation({
    operationId: 'listIntegrationSyncRuns',
    summary: 'List sync runs',
    description: 'Sync runs, newest first, with status, counts, error and duration.',
  })
  syncRuns(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Query() query: PageQuery) {
    return this.syncs.list(caller, { provider }, query);
  }

  @Get(':provider/records')
  @Authorize('integrations.view')
  @ApiOkResponse({ type: SyncedRecordPage })
  @ApiOperation({
    operationId: 'listIntegrationRecords',
    summary: 'Read synced records',
    description:
      'Synced records in (lastModifiedAt, id) order, so a reader resumes exactly where it stopped: filter by model, change kind and `modifiedAfter`.',
  })
  records(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Query() query: RecordsQuery) {
    return this.syncs.records(caller, { provider }, query);
  }

  @Post(':provider/actions/:action')
  @HttpCode(200)
  @Authorize('integrations.manage')
  @ApiOkResponse({
    description: "The action's output",
    content: { 'application/json': { schema: { description: "The action's output: its outputSchema where the action declares one" } } },
  })
  @ApiOperation({
    operationId: 'runIntegrationAction',
    summary: 'Run a provider action',
    description:
      'Validates `input` with the action’s schema (400), runs the action and answers with its output. Each provider action also has its own typed operation under Provider operations.',
  })
  @ProviderCallResponses()
  runAction(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Param('action') action: string, @Body() dto: RunActionDto) {
    return this.operations.runAction(caller, { provider }, action, dto.input);
  }

  @Get(':provider/proxy/*path')
  @Authorize('integrations.manage')
  @ProxyRoute('get')
  @ApiOperation({
    operationId: 'proxyIntegrationGet',
    summary: 'Proxy a GET to the provider',
    description:
      'Forwards the request to the provider’s API under its base URL with the credentials applied; answers the provider’s status, body and content type.',
  })
  proxyGet(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Post(':provider/proxy/*path')
  @Authorize('integrations.manage')
  @ProxyRoute('post')
  @ApiOperation({
    operationId: 'proxyIntegrationPost',
    summary: 'Proxy a POST to the provider',
    description: 'Forwards the request and its body to the provider’s API under its base URL with the credentials applied.',
  })
  proxyPost(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Put(':provider/proxy/*path')
  @Authorize('integrations.manage')
  @ProxyRoute('put')
  @ApiOperation({
    operationId: 'proxyIntegrationPut',
    summary: 'Proxy a PUT to the provider',
    description: 'Forwards the request and its body to the provider’s API under its base URL with the credentials applied.',
  })
  proxyPut(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Patch(':provider/proxy/*path')
  @Authorize('integrations.manage')
  @ProxyRoute('patch')
  @ApiOperation({
    operationId: 'proxyIntegrationPatch',
    summary: 'Proxy a PATCH to the provider',
    description: 'Forwards the request and its body to the provider’s API under its base URL with the credentials applied.',
  })
  proxyPatch(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  @Delete(':provider/proxy/*path')
  @Authorize('integrations.manage')
  @ProxyRoute('delete')
  @ApiOperation({
    operationId: 'proxyIntegrationDelete',
    summary: 'Proxy a DELETE to the provider',
    description: 'Forwards the request to the provider’s API under its base URL with the credentials applied.',
  })
  proxyDelete(@CurrentCaller() caller: AccountCaller, @Param('provider') provider: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return this.forward(caller, { provider }, request, response);
  }

  private forward(caller: AccountCaller, ref: ConnectionRef, request: ProxiedRequest, response: Response): Promise<void> {
    return relayToProvider(this.proxy, caller, ref, request, response);
  }
}
