import { Module } from '@nestjs/common';
import { AccountsModule, MembersService } from '../accounts/index.js';
import { ConsoleModule, ConsoleSessionsService } from '../console/index.js';
import { ConnectedIntegrations, IntegrationsModule } from '../integrations/index.js';
import { AclRegistry } from '../rbac/index.js';
import { OidcClient } from './oidc-client.js';
import { provisioningGuard } from './provisioning.js';
import { ssoAcl } from './sso.acl.js';
import { SsoController } from './sso.controller.js';
import { SsoService } from './sso.service.js';
import { SSO_PROVIDERS } from './sso-providers.js';
import { SsoStore } from './sso-store.js';

/** The sign-in broker over the account's connected `google_sso` / `microsoft_sso` integrations. */
@Module({
  imports: [AccountsModule, IntegrationsModule, ConsoleModule],
  controllers: [SsoController],
  providers: [SsoService, SsoStore, OidcClient],
})
export class SsoModule {
  constructor(acls: AclRegistry, integrations: ConnectedIntegrations, members: MembersService, consoleSessions: ConsoleSessionsService, sso: SsoService) {
    acls.register(ssoAcl);
    integrations.guardSettings(SSO_PROVIDERS, provisioningGuard(members));
    consoleSessions.registerSsoRedeemer((code) => sso.redeemForConsole(code));
  }
}
