import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { AppError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import type { OAuthCredentials } from '../../../sdk/index.js';
import { PluginRegistry } from '../../plugins/index.js';
import { ProviderCalls } from '../calls/provider-calls.js';
import { type ConnectionOwner, Integration, type IntegrationStatus } from '../entities/integration.entity.js';
import { CredentialVault } from './credential-vault.js';
import { IntegrationsService } from './integrations.service.js';

/** A connection as modules above integrations read it: its state, never its credentials. */
export interface ConnectionFacts {
  id: string;
  accountId: string;
  livemode: boolean;
  provider: string;
  category: string;
  owner: ConnectionOwner;
  memberId: string | null;
  status: IntegrationStatus;
  displayName: string | null;
  lastError: string | null;
  tokenExpiresAt: Date | null;
}

/** Of several connections of one provider, the status that says most about it: connected if any is. */
const STATUS_ORDER: IntegrationStatus[] = ['connected', 'error', 'expired', 'suspended', 'disconnected'];
const SCAN_BATCH = 500;

/**
 * What modules above integrations (onboarding, feature flags, notices) may read of connections, and the
 * one thing they may do with them: run an action on the account's connected shared connection of a
 * provider (notices sent by email or chat).
 */
@Injectable()
export class ConnectionDirectory {
  private readonly logger = new Logger(ConnectionDirectory.name);

  constructor(
    private readonly em: EntityManager,
    private readonly registry: PluginRegistry,
    private readonly vault: CredentialVault,
    private readonly calls: ProviderCalls,
    private readonly integrations: IntegrationsService,
  ) {}

  /**
   * The status of the account's own (shared) connections in one mode, per provider: `connected` when
   * any connection of the provider is, else the most telling of theirs. Providers never connected are absent.
   */
  async accountStatuses(scope: { accountId: string; livemode: boolean }, providers?: readonly string[]): Promise<Map<string, IntegrationStatus>> {
    if (providers && providers.length === 0) return new Map();
    const rows = await this.em
      .fork()
      .find(
        Integration,
        { accountId: scope.accountId, livemode: scope.livemode, owner: 'account', ...(providers ? { provider: { $in: [...providers] } } : {}) },
        { fields: ['provider', 'status'] },
      );
    const statuses = new Map<string, IntegrationStatus>();
    for (const row of rows) {
      const known = statuses.get(row.provider);
      if (!known || STATUS_ORDER.indexOf(row.status) < STATUS_ORDER.indexOf(known)) statuses.set(row.provider, row.status);
    }
    return statuses;
  }

  async byIds(ids: readonly string[]): Promise<Map<string, ConnectionFacts>> {
    if (ids.length === 0) return new Map();
    const rows = await this.em.fork().find(Integration, { id: { $in: [...new Set(ids)] } });
    return new Map(rows.map((row) => [row.id, factsOf(row)]));
  }

  /**
   * The account-owned connected connections whose access token expires before `before` and that nothing
   * can refresh: the provider refreshes no tokens (Meta's 60-day tokens), or the connection holds no
   * refresh token.
   */
  async expiringUnrefreshable(before: Date): Promise<ConnectionFacts[]> {
    const found: ConnectionFacts[] = [];
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const em = this.em.fork();
      const rows = await em.find(
        Integration,
        { status: 'connected', owner: 'account', tokenExpiresAt: { $ne: null, $lt: before }, id: { $gt: after } },
        { populate: ['credentials'], orderBy: { id: 'asc' }, limit: SCAN_BATCH },
      );
      for (const row of rows) if (this.refreshable(row) === false) found.push(factsOf(row));
      if (rows.length < SCAN_BATCH) return found;
      after = rows[rows.length - 1].id;
    }
  }

  /**
   * Runs `action` on the account's default shared connection of `provider` when it is connected;
   * throws 409 when it is not, 404 for an unknown provider, 400 when the input does not fit the action.
   */
  async runAction(scope: { accountId: string; livemode: boolean }, provider: string, action: string, input: Record<string, unknown>): Promise<unknown> {
    const registered = this.integrations.requireProvider(provider);
    if (!registered.actions.some((candidate) => candidate.name === action)) {
      throw new ValidationFailedError(`${registered.name} has no action "${action}"`, [{ path: 'action', message: 'unknown action' }]);
    }
    this.integrations.assertValidAction(registered, action, input);
    const integration = await this.em
      .fork()
      .findOne(Integration, { accountId: scope.accountId, livemode: scope.livemode, provider, owner: 'account', isDefault: true });
    if (!integration || integration.status !== 'connected') {
      throw new AppError('conflict', 409, `${registered.name} is not connected (${integration?.status ?? 'never connected'})`);
    }
    return this.calls.invoke(integration, { kind: 'action', name: action, input });
  }

  /**
   * Only a provider that refreshes tokens has its credentials opened, to see whether they hold a refresh
   * token; credentials that cannot be opened (sealed with a key no longer configured) tell nothing, and
   * one account's unreadable row never stops the scan of the others.
   */
  private refreshable(integration: Integration): boolean | undefined {
    const provider = this.registry.provider(integration.provider);
    if (!provider || provider.auth.type !== 'oauth2' || provider.auth.refresh === false) return false;
    try {
      return !!this.vault.openCredentials<OAuthCredentials>(integration)?.refreshToken;
    } catch (error) {
      this.logger.warn(`the credentials of connection ${integration.id} cannot be opened: ${(error as Error).message}`);
      return undefined;
    }
  }
}

function factsOf(row: Integration): ConnectionFacts {
  return {
    id: row.id,
    accountId: row.accountId,
    livemode: row.livemode,
    provider: row.provider,
    category: row.category,
    owner: row.owner,
    memberId: row.memberId ?? null,
    status: row.status,
    displayName: row.displayName ?? null,
    lastError: row.lastError ?? null,
    tokenExpiresAt: row.tokenExpiresAt ?? null,
  };
}
