import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { Integration } from '../entities/integration.entity.js';
import { OAuthFlowService } from '../oauth/oauth-flow.service.js';
import { CredentialVault } from './credential-vault.js';
import { type SettingsGuard, SettingsGuards } from './settings-guards.js';

/** A connected default shared connection, as another module may read it: credentials decrypted for this use only. */
export interface OpenedConnection {
  id: string;
  accountId: string;
  livemode: boolean;
  provider: string;
  category: string;
  settings: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Decrypted for the caller's immediate use: never store, log or return them. */
  credentials: Record<string, unknown>;
}

/**
 * What modules above integrations may use of it (the SSO broker): the account's connected default
 * shared connection of a provider, with its credentials; the returnUrl rule of the OAuth flow; and
 * guards on changing connections of their providers.
 */
@Injectable()
export class ConnectedIntegrations {
  private readonly logger = new Logger(ConnectedIntegrations.name);

  constructor(
    private readonly em: EntityManager,
    private readonly vault: CredentialVault,
    private readonly oauth: OAuthFlowService,
    private readonly guards: SettingsGuards,
  ) {}

  /**
   * Asks `guard` before anyone changes the settings or credentials of a connection of these providers,
   * or makes one the default: a rule of the module that gives those settings their meaning.
   */
  guardSettings(providers: readonly string[], guard: SettingsGuard): void {
    this.guards.register(providers, guard);
  }

  /** The account's default shared connection of `provider` in this mode when it is `connected`, else null. */
  async openDefaultShared(scope: { accountId: string; livemode: boolean }, provider: string): Promise<OpenedConnection | null> {
    const integration = await this.em
      .fork()
      .findOne(
        Integration,
        { accountId: scope.accountId, livemode: scope.livemode, provider, owner: 'account', isDefault: true, status: 'connected' },
        { populate: ['credentials'] },
      );
    if (!integration) return null;
    let credentials: Record<string, unknown> | undefined;
    try {
      credentials = this.vault.openCredentials(integration);
    } catch (error) {
      // Sealed with a key no longer in ENCRYPTION_KEYS: unusable until it is connected again.
      this.logger.warn({ err: error, integrationId: integration.id }, 'Connection credentials cannot be decrypted');
      return null;
    }
    if (!credentials) return null;
    return {
      id: integration.id,
      accountId: integration.accountId,
      livemode: integration.livemode,
      provider: integration.provider,
      category: integration.category,
      settings: integration.settings,
      metadata: integration.metadata,
      credentials,
    };
  }

  /** 400 unless returnUrl is a relative path or has an origin in ALLOWED_RETURN_ORIGINS (the OAuth flow's own rule). */
  assertReturnUrl(returnUrl: string): void {
    this.oauth.assertReturnUrl(returnUrl);
  }
}
