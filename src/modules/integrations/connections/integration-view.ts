import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { CredentialVault } from './credential-vault.js';
import type { IntegrationDto } from '../dto/integration.dto.js';
import type { ConnectionOwner, Integration } from '../entities/integration.entity.js';

/** An ISO 8601 time in UTC to the millisecond, as `Date.prototype.toISOString` writes it (both truncate). */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * `IntegrationDto` of a connection the caller may view, written by PostgreSQL: its JSON comes out of the
 * query as text and goes into the answer as it is. Parsing a page of 50 rows into objects (their jsonb
 * settings and metadata, their timestamps) and serialising them again was most of the list routes' CPU.
 * Keys in the order `toDto` writes them; what depends on the caller or on a key (`restricted`, a feed's
 * URL) is applied afterwards, to the few rows concerned.
 */
const ANSWER_JSON = `(select row_to_json(answer) from (select
    id as "id", provider as "provider", category as "category", status as "status", owner as "owner",
    member_id as "memberId", end_user_id as "endUserId", tags as "tags", label as "label", is_default as "isDefault",
    false as "restricted", account_id as "accountId", livemode as "livemode", display_name as "displayName",
    metadata as "metadata", settings as "settings", auto_sync as "autoSync", sync_frequency as "syncFrequency",
    ${iso('last_sync_at')} as "lastSyncAt", last_error as "lastError", ${iso('connected_at')} as "connectedAt",
    ${iso('disconnected_at')} as "disconnectedAt", ${iso('token_expires_at')} as "tokenExpiresAt", ${iso('created_at')} as "createdAt"
  ) answer)::text`;

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
  /** `select <ListedIntegration> from integrations`, to be followed by its conditions. */
  static readonly LISTED = `select id, created_at as "createdAt", owner, member_id as "memberId", end_user_id as "endUserId",
    feed_token as "feedToken", ${ANSWER_JSON} as json from integrations`;

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
