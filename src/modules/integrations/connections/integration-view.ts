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

  /** `restricted`: the caller may only see that it exists (someone else's connection). */
  toDto(integration: Integration, restricted = false): IntegrationDto {
    const { metadata } = integration;
    const feedToken = restricted ? undefined : this.vault.openFeedToken(integration);
    return {
      id: integration.id,
      provider: integration.provider,
      category: integration.category,
      status: integration.status,
      owner: integration.owner,
      memberId: integration.memberId ?? null,
      endUserId: integration.endUserId ?? null,
      tags: integration.tags,
      label: integration.label ?? null,
      isDefault: integration.isDefault,
      restricted,
      accountId: integration.accountId,
      livemode: integration.livemode,
      displayName: restricted ? null : (integration.displayName ?? null),
      metadata: restricted ? {} : feedToken ? { ...metadata, feedUrl: this.feedUrl(integration.id, feedToken) } : metadata,
      settings: restricted ? {} : integration.settings,
      autoSync: integration.autoSync,
      syncFrequency: integration.syncFrequency ?? null,
      lastSyncAt: timestamp(integration.lastSyncAt),
      lastError: restricted ? null : (integration.lastError ?? null),
      connectedAt: timestamp(integration.connectedAt),
      disconnectedAt: timestamp(integration.disconnectedAt),
      tokenExpiresAt: timestamp(integration.tokenExpiresAt),
      createdAt: integration.createdAt.toISOString(),
    };
  }

  feedUrl(integrationId: string, feedToken: string): string {
    return `${this.config.publicUrl}/v1/feeds/${integrationId}/${feedToken}.ics`;
  }
}

/**
 * Times are answered as ISO strings made here: a page whose objects hold Date instances leaves V8's fast
 * JSON.stringify path, which costs a page of 50 connections about three times as much.
 */
function timestamp(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}
