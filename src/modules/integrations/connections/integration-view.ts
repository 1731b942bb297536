import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { CredentialVault } from './credential-vault.js';
import type { IntegrationDto } from '../dto/integration.dto.js';
import type { Integration } from '../entities/integration.entity.js';

/** How an integration is shown: never its credentials; a subscription feed's URL when it has one. */
@Injectable()
export class IntegrationView {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly vault: CredentialVault,
  ) {}

  toDto(integration: Integration): IntegrationDto {
    const { metadata } = integration;
    const feedToken = this.vault.openFeedToken(integration);
    return {
      id: integration.id,
      provider: integration.provider,
      category: integration.category,
      status: integration.status,
      accountId: integration.accountId,
      livemode: integration.livemode,
      displayName: integration.displayName ?? null,
      metadata: feedToken ? { ...metadata, feedUrl: this.feedUrl(integration.id, feedToken) } : metadata,
      settings: integration.settings,
      autoSync: integration.autoSync,
      syncFrequency: integration.syncFrequency ?? null,
      lastSyncAt: integration.lastSyncAt ?? null,
      lastError: integration.lastError ?? null,
      connectedAt: integration.connectedAt ?? null,
      disconnectedAt: integration.disconnectedAt ?? null,
      tokenExpiresAt: integration.tokenExpiresAt ?? null,
      createdAt: integration.createdAt,
    };
  }

  feedUrl(integrationId: string, feedToken: string): string {
    return `${this.config.publicUrl}/v1/feeds/${integrationId}/${feedToken}.ics`;
  }
}
