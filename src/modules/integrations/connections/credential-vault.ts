import { Injectable, OnModuleInit } from '@nestjs/common';
import { KeyRotationService } from '../../../core/crypto/key-rotation.service.js';
import { CredentialKeyring } from '../../../core/crypto/keyring.js';
import type { Integration } from '../entities/integration.entity.js';

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  /** The app's other secrets (`auth.appSecrets`: Slack's signing secret). */
  secrets?: Record<string, string>;
}

/**
 * Seals integration credentials, feed tokens and per-account OAuth clients with AES-256-GCM, bound to
 * the integration's id, and registers those columns for `plugboard keys rotate`.
 */
@Injectable()
export class CredentialVault implements OnModuleInit {
  constructor(
    private readonly keyring: CredentialKeyring,
    private readonly rotation: KeyRotationService,
  ) {}

  onModuleInit(): void {
    this.rotation.register({ table: 'integrations', column: 'credentials', context: (id) => `integration:${id}` });
    this.rotation.register({ table: 'integrations', column: 'oauth_app', context: (id) => `integration-oauth-app:${id}` });
    this.rotation.register({ table: 'integrations', column: 'feed_token', context: (id) => `integration-feed:${id}` });
  }

  sealCredentials(integration: Integration, credentials: object): void {
    integration.credentials = this.keyring.encryptJson(credentials, `integration:${integration.id}`);
  }

  openCredentials<T = Record<string, unknown>>(integration: Integration): T | undefined {
    return integration.credentials ? this.keyring.decryptJson<T>(integration.credentials, `integration:${integration.id}`) : undefined;
  }

  sealFeedToken(integration: Integration, token: string | undefined): void {
    integration.feedToken = token ? this.keyring.encryptJson({ token }, `integration-feed:${integration.id}`) : null;
  }

  openFeedToken(integration: Pick<Integration, 'id' | 'feedToken'>): string | undefined {
    return integration.feedToken ? this.keyring.decryptJson<{ token: string }>(integration.feedToken, `integration-feed:${integration.id}`).token : undefined;
  }

  sealOAuthApp(integration: Integration, app: OAuthApp | undefined): void {
    integration.oauthApp = app ? this.keyring.encryptJson(app, `integration-oauth-app:${integration.id}`) : null;
  }

  openOAuthApp(integration: Integration): OAuthApp | undefined {
    return integration.oauthApp ? this.keyring.decryptJson<OAuthApp>(integration.oauthApp, `integration-oauth-app:${integration.id}`) : undefined;
  }
}
