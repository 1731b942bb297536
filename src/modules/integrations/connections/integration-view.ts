import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { CredentialVault } from './credential-vault.js';
import type { IntegrationDto } from '../dto/integration.dto.js';
import type { ConnectionOwner, Integration } from '../entities/integration.entity.js';

/** A connection as the list routes read it: who owns it, its place in the list, and its answer's JSON. */
export interface ListedIntegration {
  id: string;
  createdAt: Date;
  owner: ConnectionOwner;
  memberId: string | null;
  endUserId: string | null;
  feedToken: string | null;
  json: string;
}

/** How an integration is shown: never its credentials; a subscription feed's URL when it has one. */
@Injectable()
export class IntegrationView {
  /**
   * `select <ListedIntegration> from integrations`, to be followed by its conditions. A connection's
   * JSON is the `IntegrationDto` of a connection its caller may view, kept by PostgreSQL in `answer_json`
   * (written by the trigger function `integrations_answer_json_fn` whenever a column it shows is): a
   * page joins those texts as they are. Parsing 50 rows into objects and serialising them again was
   * most of a page's CPU in Node, and writing them on every read most of PostgreSQL's. A change to the
   * answer's fields is a migration that replaces that function and rewrites the column. What depends
   * on the caller or on a key (`restricted`, a feed's URL) is applied here, to the few rows concerned.
   */
  static readonly LISTED = `select id, created_at as "createdAt", owner, member_id as "memberId", end_user_id as "endUserId",
    feed_token as "feedToken", answer_json as json from integrations`;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly vault: CredentialVault,
  ) {}

  /** `restricted`: the caller may only see that it exists (someone else's connection). */
  toDto(integration: Integration, restricted = false): IntegrationDto {
    return this.shown(
      {
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
        restricted: false,
        accountId: integration.accountId,
        livemode: integration.livemode,
        displayName: integration.displayName ?? null,
        metadata: integration.metadata,
        settings: integration.settings,
        autoSync: integration.autoSync,
        syncFrequency: integration.syncFrequency ?? null,
        lastSyncAt: timestamp(integration.lastSyncAt),
        lastError: integration.lastError ?? null,
        connectedAt: timestamp(integration.connectedAt),
        disconnectedAt: timestamp(integration.disconnectedAt),
        tokenExpiresAt: timestamp(integration.tokenExpiresAt),
        createdAt: integration.createdAt.toISOString(),
      },
      integration,
      restricted,
    );
  }

  /** The JSON of a listed connection: PostgreSQL's as it is, unless the caller or a feed changes it. */
  jsonOf(listed: ListedIntegration, restricted: boolean): string {
    if (!restricted && !listed.feedToken) return listed.json;
    return JSON.stringify(this.shown(JSON.parse(listed.json) as IntegrationDto, listed, restricted));
  }

  feedUrl(integrationId: string, feedToken: string): string {
    return `${this.config.publicUrl}/v1/feeds/${integrationId}/${feedToken}.ics`;
  }

  /** A restricted connection keeps only what says it exists; a viewable one with a feed gains the feed's URL. */
  private shown(dto: IntegrationDto, sealed: Pick<Integration, 'id' | 'feedToken'>, restricted: boolean): IntegrationDto {
    if (restricted) return { ...dto, restricted: true, displayName: null, metadata: {}, settings: {}, lastError: null };
    const feedToken = this.vault.openFeedToken(sealed);
    return feedToken ? { ...dto, metadata: { ...dto.metadata, feedUrl: this.feedUrl(sealed.id, feedToken) } } : dto;
  }
}

/**
 * Times are answered as ISO strings made here: an answer whose objects hold Date instances leaves V8's
 * fast JSON.stringify path.
 */
function timestamp(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}
