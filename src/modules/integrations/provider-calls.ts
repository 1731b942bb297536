import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { VerifyResult } from '../../sdk/index.js';
import { PluginRunner, type CallContext, type CallKind } from '../plugins/runner/plugin-runner.js';
import type { RegisteredProvider } from '../plugins/plugin-registry.js';
import { CredentialVault } from './credential-vault.js';
import { Integration } from './entities/integration.entity.js';
import { TokenRefresher } from './token-refresher.js';

export interface IntegrationCall {
  kind: CallKind;
  name?: string;
  input?: unknown;
  timeoutMs?: number;
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
  ) {}

  /** Verifies credentials before anything is stored; a refusal throws 422 provider_rejected. */
  async verify(
    provider: RegisteredProvider,
    owner: { accountId: string; livemode: boolean },
    integrationId: string | undefined,
    credentials: Record<string, unknown>,
    settings: Record<string, unknown>,
  ): Promise<VerifyResult> {
    if (!provider.verify) return {};
    const result = await this.runner.invoke<VerifyResult | null>(provider.id, {
      kind: 'verify',
      context: { credentials, settings, integration: { id: integrationId ?? '', accountId: owner.accountId, livemode: owner.livemode, metadata: {} } },
    });
    return { displayName: result?.displayName, metadata: result?.metadata };
  }

  async invoke<T>(integration: Integration, call: IntegrationCall): Promise<T> {
    return this.runner.invoke<T>(integration.provider, { ...call, context: await this.context(integration) });
  }

  /** The context of a call for this integration, after refreshing a token that is about to expire. */
  async context(integration: Integration): Promise<CallContext> {
    if (TokenRefresher.isDue(integration)) await this.refresher.refresh(integration.id);
    const current = await this.em.fork().findOneOrFail(Integration, { id: integration.id }, { populate: ['credentials'] });
    return {
      credentials: this.vault.openCredentials(current) ?? {},
      settings: current.settings,
      integration: { id: current.id, accountId: current.accountId, livemode: current.livemode, metadata: current.metadata },
    };
  }
}
