import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { PageQuery, SendsJsonText } from '../../../core/http/pagination.js';
import { UuidParam } from '../../../core/http/uuid-param.pipe.js';
import { Authorize, problem } from '../../rbac/index.js';
import { type ProxiedRequest, relayToProvider } from '../calls/proxy-relay.js';
import { ProviderCallResponses, ProxyRoute } from '../calls/provider-call-docs.js';
import { ProxyService } from '../calls/proxy.service.js';
import { ConnectionPage, CreateConnectionDto, ListConnectionsQuery, StartConnectionOAuthDto, UpdateConnectionDto } from '../dto/connection.dto.js';
import {
  HealthCheckResultDto,
  IntegrationDto,
  OAuthStartedDto,
  RecordsQuery,
  RunActionDto,
  StartOAuthDto,
  SyncedRecordPage,
  SyncRunPage,
  StartSyncDto,
  SyncStartedDto,
} from '../dto/integration.dto.js';
import { OAuthFlowService } from '../oauth/oauth-flow.service.js';
import { SyncService } from '../sync/sync.service.js';
import { IntegrationOperationsService } from './integration-operations.service.js';
import { IntegrationsService } from './integrations.service.js';

/**
 * Connections by id: several per provider, owned by the account, a member or an end user. Every route
 * needs `integrations.view` or `connections.manage`; what may be done with each connection then depends
 * on its owner (integrations.acl.ts), and someone else's connection the caller may not view answers 404.
 */
@ApiTags('Connections')
@Controller('v1/connections')
export class ConnectionsController {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly operations: IntegrationOperationsService,
    private readonly oauth: OAuthFlowService,
    private readonly syncs: SyncService,
    private readonly proxy: ProxyService,
  ) {}

  @Get()
  @SendsJsonText()
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: ConnectionPage, description: 'Newest first; connections the caller may only see are `restricted`' })
  @ApiOperation({
    operationId: 'listConnections',
    summary: 'List connections',
    description: 'Connections, newest first, filtered by provider, owner, end user, tag and status. Those the caller may only see are `restricted`.',
  })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: ListConnectionsQuery) {
    return this.integrations.listConnections(caller, query);
  }

  @Post()
  @Authorize('integrations.view', 'connections.manage')
  @ApiCreatedResponse({ type: IntegrationDto, description: 'Connected; credentials are verified with the provider first' })
  @problem(404, 'No such provider')
  @ApiOperation({
    operationId: 'createConnection',
    summary: 'Create a connection',
    description: 'Connects an API-key provider for the account, the calling member or an end user; credentials are verified with the provider first.',
  })
  @ProviderCallResponses()
  create(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateConnectionDto) {
    return this.integrations.create(caller, dto);
  }

  @Post('oauth/start')
  @HttpCode(200)
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: OAuthStartedDto, description: 'The provider URL to send the browser to; the callback creates the connection' })
  @problem(404, 'No such provider')
  @ApiOperation({
    operationId: 'startConnectionOAuth',
    summary: 'Start an OAuth connection',
    description: 'Answers the provider URL to send the browser to; the callback creates the connection for the given owner.',
  })
  startOAuth(@CurrentCaller() caller: AccountCaller, @Body() dto: StartConnectionOAuthDto) {
    return this.oauth.startConnection(caller, dto);
  }

  @Get(':id')
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({ operationId: 'getConnection', summary: 'Get a connection', description: 'One connection by id.' })
  get(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.integrations.get(caller, { id });
  }

  @Patch(':id')
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({
    operationId: 'updateConnection',
    summary: 'Change a connection',
    description: 'Changes label, tags, settings, auto-sync and sync frequency.',
  })
  update(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: UpdateConnectionDto) {
    return this.integrations.configure(caller, { id }, dto);
  }

  @Delete(':id')
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: IntegrationDto, description: 'Disconnected: the record and its history stay, the credentials are forgotten' })
  @ApiOperation({
    operationId: 'disconnectConnection',
    summary: 'Disconnect a connection',
    description: 'Forgets the credentials; the record and its history stay.',
  })
  disconnect(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.integrations.disconnect(caller, { id });
  }

  @Post(':id/default')
  @HttpCode(200)
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: IntegrationDto, description: 'Now the default of its provider and owner' })
  @ApiOperation({
    operationId: 'makeConnectionDefault',
    summary: 'Make a connection the default',
    description: 'Makes this connection the default of its provider and owner.',
  })
  makeDefault(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.integrations.makeDefault(caller, id);
  }

  @Post(':id/oauth/start')
  @HttpCode(200)
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: OAuthStartedDto, description: 'Re-authorises this connection in place (same id)' })
  @ApiOperation({
    operationId: 'reconnectConnection',
    summary: 'Re-authorise a connection',
    description: 'Answers the provider URL to re-authorise this connection in place (same id).',
  })
  reconnect(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: StartOAuthDto) {
    return this.oauth.reconnect(caller, id, dto);
  }

  @Post(':id/refresh')
  @HttpCode(200)
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: IntegrationDto })
  @ApiOperation({ operationId: 'refreshConnection', summary: 'Refresh the OAuth token', description: 'Refreshes the connection’s OAuth token now.' })
  @ProviderCallResponses()
  refresh(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.operations.refresh(caller, { id });
  }

  @Post(':id/health-check')
  @HttpCode(200)
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: HealthCheckResultDto })
  @ApiOperation({
    operationId: 'checkConnectionHealth',
    summary: 'Check health with the provider',
    description: 'Asks the provider whether the connection still works.',
  })
  @ProviderCallResponses()
  healthCheck(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.operations.healthCheck(caller, { id });
  }

  @Post(':id/sync')
  @HttpCode(202)
  @Authorize('integrations.view', 'connections.manage')
  @ApiAcceptedResponse({ type: SyncStartedDto })
  @ApiOperation({ operationId: 'syncConnection', summary: 'Start a sync', description: 'Queues a sync run (or answers the run already queued or running).' })
  sync(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() body: StartSyncDto) {
    return this.syncs.start(caller, { id }, body);
  }

  @Get(':id/sync-runs')
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: SyncRunPage })
  @ApiOperation({ operationId: 'listConnectionSyncRuns', summary: 'List sync runs', description: 'Sync runs of the connection, newest first.' })
  syncRuns(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Query() query: PageQuery) {
    return this.syncs.list(caller, { id }, query);
  }

  @Get(':id/records')
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({ type: SyncedRecordPage })
  @ApiOperation({
    operationId: 'listConnectionRecords',
    summary: 'Read synced records',
    description: 'Synced records in (lastModifiedAt, id) order; resume with `modifiedAfter` and the cursor.',
  })
  records(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Query() query: RecordsQuery) {
    return this.syncs.records(caller, { id }, query);
  }

  @Post(':id/actions/:action')
  @HttpCode(200)
  @Authorize('integrations.view', 'connections.manage')
  @ApiOkResponse({
    description: "The action's output",
    content: { 'application/json': { schema: { description: "The action's output: its outputSchema where the action declares one" } } },
  })
  @ApiOperation({
    operationId: 'runConnectionAction',
    summary: 'Run a provider action',
    description: 'Validates `input` with the action’s schema (400), runs the action and answers with its output.',
  })
  @ProviderCallResponses()
  runAction(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Param('action') action: string, @Body() dto: RunActionDto) {
    return this.operations.runAction(caller, { id }, action, dto.input);
  }

  @Get(':id/proxy/*path')
  @Authorize('integrations.view', 'connections.manage')
  @ProxyRoute('get')
  @ApiOperation({
    operationId: 'proxyConnectionGet',
    summary: 'Proxy a GET to the provider',
    description: 'Forwards the request to the provider’s API under its base URL with the connection’s credentials.',
  })
  proxyGet(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return relayToProvider(this.proxy, caller, { id }, request, response);
  }

  @Post(':id/proxy/*path')
  @Authorize('integrations.view', 'connections.manage')
  @ProxyRoute('post')
  @ApiOperation({
    operationId: 'proxyConnectionPost',
    summary: 'Proxy a POST to the provider',
    description: 'Forwards the request and its body to the provider’s API with the connection’s credentials.',
  })
  proxyPost(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return relayToProvider(this.proxy, caller, { id }, request, response);
  }

  @Put(':id/proxy/*path')
  @Authorize('integrations.view', 'connections.manage')
  @ProxyRoute('put')
  @ApiOperation({
    operationId: 'proxyConnectionPut',
    summary: 'Proxy a PUT to the provider',
    description: 'Forwards the request and its body to the provider’s API with the connection’s credentials.',
  })
  proxyPut(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return relayToProvider(this.proxy, caller, { id }, request, response);
  }

  @Patch(':id/proxy/*path')
  @Authorize('integrations.view', 'connections.manage')
  @ProxyRoute('patch')
  @ApiOperation({
    operationId: 'proxyConnectionPatch',
    summary: 'Proxy a PATCH to the provider',
    description: 'Forwards the request and its body to the provider’s API with the connection’s credentials.',
  })
  proxyPatch(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return relayToProvider(this.proxy, caller, { id }, request, response);
  }

  @Delete(':id/proxy/*path')
  @Authorize('integrations.view', 'connections.manage')
  @ProxyRoute('delete')
  @ApiOperation({
    operationId: 'proxyConnectionDelete',
    summary: 'Proxy a DELETE to the provider',
    description: 'Forwards the request to the provider’s API with the connection’s credentials.',
  })
  proxyDelete(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Req() request: ProxiedRequest, @Res() response: Response) {
    return relayToProvider(this.proxy, caller, { id }, request, response);
  }
}
