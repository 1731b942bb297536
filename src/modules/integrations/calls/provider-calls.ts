import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AppError } from '../../../core/errors/app-errors.js';
import { MetricsService, type PluginCallOutcome } from '../../../core/metrics/metrics.service.js';
import type { VerifyResult } from '../../../sdk/index.js';
import { type CallContext, type CallKind, PluginRegistry, PluginRunner, type RegisteredProvider } from '../../plugins/index.js';
import { CredentialVault } from '../connections/credential-vault.js';
import { Integration } from '../entities/integration.entity.js';
import { OAuthClients } from '../oauth/oauth-clients.js';
import { TokenRefresher } from '../oauth/token-refresher.js';

export interface IntegrationCall {
  kind: CallKind;
  name?: string;
  input?: unknown;
  timeoutMs?: number;
  /** Actions: receives what the plugin asks to keep in the connection's credentials. */
  storeCredentials?: (values: Record<string, unknown>) => void;
}

/**
 * Calls a provider's plugin on behalf of an integration: refreshes an OAuth token that expires within
 * 15 minutes first, then hands the decrypted credentials to the runner for this call only.
 */
@Injectable()
export class ProviderCalls {
  constructor(
    private readonly em: EntityManager,
    private readonly runner: PluginRunner,
    private readonly vault: CredentialVault,
    private readonly refresher: TokenRefresher,
    private readonly registry: PluginRegistry,
    private readonly metrics: MetricsService,
    private readonly clients: OAuthClients,
  ) {}

  /** Verifies credentials before anything is stored; a refusal throws 422 provider_rejected. */
  async verify(
    provider: RegisteredProvider,
    owner: { accountId: string; livemode: boolean },
    integrationId: string | undefined,
    credentials: Record<string, unknown>,
    settings: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): Promise<VerifyResult> {
    if (!provider.verify) return {};
    const result = await this.measured(provider.id, () =>
      this.runner.invoke<VerifyResult | null>(provider.id, {
        kind: 'verify',
        context: { credentials, settings, integration: { id: integrationId ?? '', accountId: owner.accountId, livemode: owner.livemode, metadata } },
      }),
    );
    return { displayName: result?.displayName, metadata: result?.metadata };
  }

  async invoke<T>(integration: Integration, call: IntegrationCall): Promise<T> {
    const context = await this.context(integration);
    return this.measured(integration.provider, () => this.runner.invoke<T>(integration.provider, { ...call, context }));
  }

  /** Counts the call in `plugboard_plugin_calls_total` by plugin and outcome, with its duration. */
  private async measured<T>(providerId: string, call: () => Promise<T>): Promise<T> {
    const plugin = this.registry.provider(providerId)?.plugin.name ?? providerId;
    const started = performance.now();
    let outcome: PluginCallOutcome = 'succeeded';
    try {
      return await call();
    } catch (error) {
      const code = error instanceof AppError ? error.code : undefined;
      outcome = code === 'provider_rejected' ? 'rejected' : code === 'provider_timeout' ? 'timed_out' : 'failed';
      throw error;
    } finally {
      this.metrics.pluginCall(plugin, outcome, (performance.now() - started) / 1000);
    }
  }

  /** The context of a call for this integration, after refreshing a token that is about to expire. */
  async context(integration: Integration): Promise<CallContext> {
    if (TokenRefresher.isDue(integration)) await this.refresher.refresh(integration.id);
    const current = await this.em.fork().findOneOrFail(Integration, { id: integration.id }, { populate: ['credentials', 'oauthApp'] });
    const accountApp = this.vault.openOAuthApp(current);
    const oauthClientId = accountApp?.clientId;
    const auth = this.registry.provider(current.provider)?.auth;
    const app = auth?.type === 'oauth2' ? this.clients.appSecrets(current.provider, auth.appSecrets, accountApp) : undefined;
    return {
      credentials: { ...(this.vault.openCredentials(current) ?? {}), ...(app ? { app } : {}) },
      settings: current.settings,
      integration: {
        id: current.id,
        accountId: current.accountId,
        livemode: current.livemode,
        metadata: current.metadata,
        ...(current.endUserId ? { endUserId: current.endUserId } : {}),
      },
      ...(oauthClientId ? { oauthClientId } : {}),
    };
  }
}
