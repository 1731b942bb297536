import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { MetricsService } from '../../../core/metrics/metrics.service.js';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { SafeHttpClient } from '../../../core/http/safe-http.js';
import type { OAuth2Auth, OAuthCredentials } from '../../../sdk/index.js';
import { readTokenMetadata, resolveUrlTemplate } from '../../../sdk/provider-auth.js';
import { PluginRegistry } from '../../plugins/index.js';
import { CredentialVault } from '../connections/credential-vault.js';
import { Integration } from '../entities/integration.entity.js';
import { IntegrationHistory } from '../connections/integration-history.js';
import { OAuthClients } from './oauth-clients.js';

/** Refresh when a token expires within this window, on use and in the sweeper. */
export const REFRESH_WINDOW_MS = 15 * 60_000;
/** Failed refreshes (other than invalid_grant) tolerated before the integration is marked expired. */
export const REFRESH_FAILURE_BUDGET = 5;
const REFRESH_TIMEOUT_MS = 15_000;

export type RefreshOutcome = 'refreshed' | 'fresh' | 'not_refreshable' | 'expired' | 'failed';

class TokenEndpointError extends Error {
  constructor(
    readonly oauthError: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Keeps OAuth tokens fresh. A PostgreSQL advisory lock per integration serialises refreshes across
 * processes, and the row is re-read under the lock, so two refreshes never race (and never both spend
 * a rotating refresh token). invalid_grant expires the integration at once; other failures back off
 * and expire it after a budget. Every transition is an event and an audit entry.
 */
@Injectable()
export class TokenRefresher implements OnModuleInit {
  private readonly logger = new Logger(TokenRefresher.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly maintenance: MaintenanceScheduler,
    private readonly em: EntityManager,
    private readonly registry: PluginRegistry,
    private readonly vault: CredentialVault,
    private readonly clients: OAuthClients,
    private readonly http: SafeHttpClient,
    private readonly history: IntegrationHistory,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.maintenance.register({ name: 'integrations.refresh-sweep', everyMs: this.config.integrations.refreshSweepIntervalMs, run: () => this.sweep() });
  }

  /** Refreshes every token that expires within 24 hours and is not backing off. */
  async sweep(): Promise<Record<RefreshOutcome, number>> {
    const due = await this.em.fork().find(
      Integration,
      {
        status: { $in: ['connected', 'error'] },
        tokenExpiresAt: { $lt: new Date(Date.now() + 24 * 3_600_000) },
        $or: [{ nextRefreshAt: null }, { nextRefreshAt: { $lte: new Date() } }],
      },
      { fields: ['id'], limit: 1000 },
    );
    const outcomes: Record<RefreshOutcome, number> = { refreshed: 0, fresh: 0, not_refreshable: 0, expired: 0, failed: 0 };
    for (const { id } of due) outcomes[await this.refresh(id, true)]++;
    if (due.length > 0) this.logger.log(`refresh sweep: ${JSON.stringify(outcomes)}`);
    return outcomes;
  }

  static isDue(integration: Integration, now = Date.now()): boolean {
    return !!integration.tokenExpiresAt && integration.tokenExpiresAt.getTime() - now < REFRESH_WINDOW_MS;
  }

  /** Refreshes when due (`force` refreshes now); returns what happened. */
  async refresh(integrationId: string, force = false): Promise<RefreshOutcome> {
    return this.em.fork().transactional(async (em) => {
      await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`token-refresh:${integrationId}`]);
      const integration = await em.findOne(Integration, { id: integrationId }, { populate: ['credentials', 'oauthApp'], refresh: true });
      if (!integration || !['connected', 'error'].includes(integration.status)) return 'not_refreshable';
      if (!force && !TokenRefresher.isDue(integration)) return 'fresh';
      const provider = this.registry.provider(integration.provider);
      const credentials = this.vault.openCredentials<OAuthCredentials>(integration);
      if (!provider || provider.auth.type !== 'oauth2' || provider.auth.refresh === false || !credentials?.refreshToken) return 'not_refreshable';
      try {
        const fresh = await this.requestToken(provider.id, provider.auth, credentials, this.vault.openOAuthApp(integration), integration.metadata);
        this.vault.sealCredentials(integration, fresh);
        integration.metadata = { ...integration.metadata, ...refreshedTokenMetadata(provider.auth, fresh) };
        integration.tokenExpiresAt = fresh.expiresAt ? new Date(fresh.expiresAt) : null;
        integration.refreshFailures = 0;
        integration.nextRefreshAt = null;
        if (integration.status === 'error') integration.status = 'connected';
        integration.lastError = null;
        this.history.audit(em, 'system', integration, 'integration.token_refreshed');
        this.metrics.tokenRefresh(integration.provider, 'succeeded');
        return 'refreshed';
      } catch (error) {
        return this.recordFailure(em, integration, error);
      }
    });
  }

  private async recordFailure(em: EntityManager, integration: Integration, error: unknown): Promise<RefreshOutcome> {
    const revoked = error instanceof TokenEndpointError && error.oauthError === 'invalid_grant';
    this.metrics.tokenRefresh(integration.provider, revoked ? 'revoked' : 'failed');
    integration.refreshFailures += 1;
    if (revoked || integration.refreshFailures >= REFRESH_FAILURE_BUDGET) {
      integration.status = 'expired';
      integration.lastError = revoked
        ? 'Re-connect: the refresh token was revoked or has expired'
        : `Re-connect: the token could not be refreshed after ${integration.refreshFailures} attempts (${(error as Error).message})`;
      integration.nextRefreshAt = null;
      await this.history.record(em, integration, 'integration.expired', 'system', { reason: revoked ? 'invalid_grant' : 'refresh_failed' });
      return 'expired';
    }
    const backoffMs = Math.min(60_000 * 2 ** (integration.refreshFailures - 1), 3_600_000);
    integration.nextRefreshAt = new Date(Date.now() + backoffMs);
    integration.lastError = `Token refresh failed (${(error as Error).message}); retrying`;
    this.logger.warn(`refresh of integration ${integration.id} failed (${integration.refreshFailures}/${REFRESH_FAILURE_BUDGET}): ${(error as Error).message}`);
    return 'failed';
  }

  private async requestToken(
    providerId: string,
    auth: OAuth2Auth,
    current: OAuthCredentials,
    accountApp: ReturnType<CredentialVault['openOAuthApp']>,
    metadata: Record<string, unknown>,
  ): Promise<OAuthCredentials> {
    const client = this.clients.resolve(providerId, accountApp);
    const tokenUrl = resolveUrlTemplate(auth.tokenUrl, metadata);
    if (!tokenUrl) throw new Error('the token URL needs connection inputs this connection does not have');
    const response = await this.http.fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: current.refreshToken!,
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }).toString(),
      timeoutMs: REFRESH_TIMEOUT_MS,
    });
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = Object.fromEntries(new URLSearchParams(text));
    }
    if (!response.ok || typeof body.access_token !== 'string') {
      // Twitch answers a dead refresh token with 400 { message: 'Invalid refresh token' } and no `error`.
      const code =
        typeof body.error === 'string'
          ? // Slack answers a dead refresh token with 200 { ok: false, error: 'invalid_refresh_token' }.
            body.error === 'invalid_refresh_token'
            ? 'invalid_grant'
            : body.error
          : response.status === 400 && /invalid refresh token/i.test(typeof body.message === 'string' ? body.message : '')
            ? 'invalid_grant'
            : undefined;
      throw new TokenEndpointError(code, `token endpoint answered ${response.status}${code ? ` ${code}` : ''}`);
    }
    return toOAuthCredentials(body, current.refreshToken, auth.assumedLifetimeSeconds);
  }
}

/**
 * The token-response values the provider keeps (`auth.tokenMetadata`) that a refresh answered again
 * (Salesforce repeats `instance_url`); those it left out, or that fail their pattern, stay as they were.
 */
function refreshedTokenMetadata(auth: OAuth2Auth, fresh: OAuthCredentials): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, rule] of Object.entries(auth.tokenMetadata ?? {})) {
    try {
      Object.assign(kept, readTokenMetadata({ [key]: rule }, fresh.raw ?? {}));
    } catch {
      // absent or malformed in this answer: keep the value from the authorization
    }
  }
  return kept;
}

/**
 * Token endpoint JSON → stored credentials; a response without a refresh_token keeps the old one, one
 * without expires_in lasts the provider's assumed lifetime when it declares one.
 */
export function toOAuthCredentials(body: Record<string, unknown>, previousRefreshToken?: string, assumedLifetimeSeconds?: number): OAuthCredentials {
  const expiresIn = Number(body.expires_in) || (assumedLifetimeSeconds ?? Number.NaN);
  return {
    accessToken: String(body.access_token),
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : previousRefreshToken ? { refreshToken: previousRefreshToken } : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() } : {}),
    ...(typeof body.token_type === 'string' ? { tokenType: body.token_type } : {}),
    ...(typeof body.scope === 'string' ? { scope: body.scope } : {}),
    raw: Object.fromEntries(Object.entries(body).filter(([key]) => !['access_token', 'refresh_token', 'id_token'].includes(key))),
  };
}
