import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/index.js';
import { EventsModule } from '../events/index.js';
import { PluginsModule } from '../plugins/index.js';
import { CredentialVault } from './credential-vault.js';
import { Integration } from './entities/integration.entity.js';
import { OAuthState } from './entities/oauth-state.entity.js';
import { ProviderEventTask } from './entities/provider-event-task.entity.js';
import { SyncRun } from './entities/sync-run.entity.js';
import { SyncedRecord } from './entities/synced-record.entity.js';
import { InboundService } from './inbound.service.js';
import { IntegrationEvents } from './integration-events.js';
import { IntegrationOperationsService } from './integration-operations.service.js';
import { IntegrationView } from './integration-view.js';
import { IntegrationsController } from './integrations.controller.js';
import { IntegrationsService } from './integrations.service.js';
import { SyncProcessor } from './jobs/sync.processor.js';
import { OAuthClients } from './oauth/oauth-clients.js';
import { OAuthFlowService } from './oauth/oauth-flow.service.js';
import { OAuthStateService } from './oauth/oauth-state.service.js';
import { ProviderCalls } from './provider-calls.js';
import { ProviderEventsService } from './provider-events.service.js';
import { ProvidersController } from './providers.controller.js';
import { ProvidersService } from './providers.service.js';
import { ProxyService } from './proxy.service.js';
import { PublicIntegrationsController } from './public.controller.js';
import { SyncService } from './sync.service.js';
import { TokenRefresher } from './token-refresher.js';
import { AclRegistry } from '../rbac/index.js';
import { integrationsAcl } from './integrations.acl.js';

@Module({
  imports: [MikroOrmModule.forFeature([Integration, OAuthState, SyncRun, SyncedRecord, ProviderEventTask]), AccountsModule, EventsModule, PluginsModule],
  controllers: [ProvidersController, IntegrationsController, PublicIntegrationsController],
  providers: [
    CredentialVault,
    IntegrationView,
    IntegrationEvents,
    IntegrationsService,
    IntegrationOperationsService,
    OAuthClients,
    OAuthStateService,
    OAuthFlowService,
    ProviderCalls,
    ProviderEventsService,
    ProvidersService,
    ProxyService,
    InboundService,
    SyncService,
    SyncProcessor,
    TokenRefresher,
  ],
})
export class IntegrationsModule {
  constructor(acls: AclRegistry) {
    acls.register(integrationsAcl);
  }
}
