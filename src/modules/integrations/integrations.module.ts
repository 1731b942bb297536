import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/index.js';
import { ApiKeysModule } from '../api-keys/index.js';
import { EventsModule } from '../events/index.js';
import { PluginsModule } from '../plugins/index.js';
import { ConnectedIntegrations } from './connections/connected-integrations.js';
import { CallerConnections } from './connections/caller-connections.js';
import { ConnectionDirectory } from './connections/connection-directory.js';
import { CredentialVault } from './connections/credential-vault.js';
import { SettingsGuards } from './connections/settings-guards.js';
import { Integration } from './entities/integration.entity.js';
import { OAuthState } from './entities/oauth-state.entity.js';
import { ProviderEventTask } from './entities/provider-event-task.entity.js';
import { SyncRun } from './entities/sync-run.entity.js';
import { SyncedRecord } from './entities/synced-record.entity.js';
import { InboundService } from './inbound/inbound.service.js';
import { IntegrationHistory } from './connections/integration-history.js';
import { IntegrationOperationsService } from './connections/integration-operations.service.js';
import { ConnectionPages } from './connections/connection-pages.js';
import { IntegrationView } from './connections/integration-view.js';
import { IntegrationsController } from './connections/integrations.controller.js';
import { IntegrationsService } from './connections/integrations.service.js';
import { SyncProcessor } from './sync/sync.processor.js';
import { OAuthClients } from './oauth/oauth-clients.js';
import { OAuthFlowService } from './oauth/oauth-flow.service.js';
import { OAuthStateService } from './oauth/oauth-state.service.js';
import { ProviderCalls } from './calls/provider-calls.js';
import { ProviderReactions } from './sync/provider-reactions.js';
import { ProvidersController } from './connections/providers.controller.js';
import { ProvidersService } from './connections/providers.service.js';
import { ProxyService } from './calls/proxy.service.js';
import { PublicIntegrationsController } from './inbound/public.controller.js';
import { SyncService } from './sync/sync.service.js';
import { AutomationGate } from './sync/automation-gate.js';
import { TokenRefresher } from './oauth/token-refresher.js';
import { AclRegistry } from '../rbac/index.js';
import { integrationsAcl } from './integrations.acl.js';
import { ConnectionAccess } from './connections/connection-access.js';
import { ConnectionsController } from './connections/connections.controller.js';
import { SyncedRecordRepository } from './sync/synced-record.repository.js';
import { ConnectController, ConnectSessionsController } from './connect/connect-sessions.controller.js';
import { ConnectSessionsService } from './connect/connect-sessions.service.js';
import { ConnectSession } from './entities/connect-session.entity.js';
import { ConnectBranding } from './entities/connect-branding.entity.js';
import { ConnectBrandingController } from './connect/connect-branding.controller.js';
import { ConnectBrandingService } from './connect/connect-branding.service.js';

@Module({
  imports: [
    MikroOrmModule.forFeature([Integration, ConnectSession, ConnectBranding, OAuthState, SyncRun, SyncedRecord, ProviderEventTask]),
    AccountsModule,
    ApiKeysModule,
    EventsModule,
    PluginsModule,
  ],
  controllers: [
    ProvidersController,
    IntegrationsController,
    ConnectionsController,
    ConnectSessionsController,
    ConnectController,
    ConnectBrandingController,
    PublicIntegrationsController,
  ],
  providers: [
    AutomationGate,
    CallerConnections,
    ConnectedIntegrations,
    ConnectionDirectory,
    ConnectionAccess,
    ConnectBrandingService,
    ConnectSessionsService,
    CredentialVault,
    IntegrationView,
    ConnectionPages,
    IntegrationHistory,
    IntegrationsService,
    IntegrationOperationsService,
    OAuthClients,
    OAuthStateService,
    OAuthFlowService,
    ProviderCalls,
    ProviderReactions,
    ProvidersService,
    ProxyService,
    SettingsGuards,
    InboundService,
    SyncService,
    SyncedRecordRepository,
    SyncProcessor,
    TokenRefresher,
  ],
  exports: [AutomationGate, CallerConnections, ConnectedIntegrations, ConnectionDirectory],
})
export class IntegrationsModule {
  constructor(acls: AclRegistry) {
    acls.register(integrationsAcl);
  }
}
