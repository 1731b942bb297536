import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { OAuthStateService } from '../oauth/oauth-state.service.js';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { AppError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { HealthCheckResultDto, IntegrationDto } from '../dto/integration.dto.js';
import { Integration } from '../entities/integration.entity.js';
import { IntegrationHistory } from './integration-history.js';
import { IntegrationView } from './integration-view.js';
import { type ConnectionRef, IntegrationsService } from './integrations.service.js';
import { ProviderCalls } from '../calls/provider-calls.js';
import { TokenRefresher } from '../oauth/token-refresher.js';

/** Health checks, token refresh and actions on a connected integration. */
@Injectable()
export class IntegrationOperationsService implements OnModuleInit {
  private readonly logger = new Logger(IntegrationOperationsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly maintenance: MaintenanceScheduler,
    private readonly states: OAuthStateService,
    private readonly em: EntityManager,
    private readonly integrations: IntegrationsService,
    private readonly calls: ProviderCalls,
    private readonly refresher: TokenRefresher,
    private readonly history: IntegrationHistory,
    private readonly view: IntegrationView,
  ) {}

  onModuleInit(): void {
    const every = this.config.integrations.healthCheckIntervalMs;
    this.maintenance.register({ name: 'integrations.health-checks', everyMs: Math.min(every, 10 * 60_000), run: () => this.checkDue(every) });
    this.maintenance.register({ name: 'integrations.oauth-state-purge', everyMs: 3_600_000, run: () => this.states.purgeExpired() });
  }

  /** Health-checks connected integrations not checked within the interval. */
  private async checkDue(intervalMs: number): Promise<number> {
    const due = await this.em
      .fork()
      .find(
        Integration,
        { status: { $in: ['connected', 'error'] }, $or: [{ lastHealthCheckAt: null }, { lastHealthCheckAt: { $lt: new Date(Date.now() - intervalMs) } }] },
        { limit: 200, orderBy: { lastHealthCheckAt: 'asc' } },
      );
    for (const integration of due) {
      await this.check(integration, 'system').catch((error: unknown) =>
        this.logger.warn(`health check of ${integration.id} failed: ${(error as Error).message}`),
      );
    }
    return due.length;
  }

  async healthCheck(caller: AccountCaller, ref: ConnectionRef): Promise<HealthCheckResultDto> {
    const integration = await this.usable(caller, ref);
    return this.check(integration, caller);
  }

  /**
   * Asks the provider whether the integration works. A refusal (revoked key, lost access) marks it
   * `error` with what to do; an outage of the provider is reported without changing the status.
   */
  async check(integration: Integration, caller: AccountCaller | 'system'): Promise<HealthCheckResultDto> {
    const provider = this.integrations.findProvider(integration.provider);
    const checkedAt = new Date();
    let detail: string | undefined;
    let failure: AppError | undefined;
    try {
      if (provider?.healthCheck) await this.calls.invoke(integration, { kind: 'healthCheck' });
      else if (provider?.verify) await this.calls.invoke(integration, { kind: 'verify' });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      failure = error;
      detail = error.message;
    }
    return this.em.fork().transactional(async (em) => {
      const current = await em.findOneOrFail(Integration, { id: integration.id });
      current.lastHealthCheckAt = checkedAt;
      if (failure?.code === 'provider_rejected' && ['connected', 'error'].includes(current.status)) {
        const wasError = current.status === 'error';
        current.status = 'error';
        current.lastError = `Re-connect or update the credentials: the provider refused them (${failure.message})`;
        if (!wasError) await this.history.record(em, current, 'integration.error', caller, { error: { code: failure.code, message: failure.message } });
      } else if (!failure && current.status === 'error') {
        current.status = 'connected';
        current.lastError = null;
      }
      return { status: current.status, checkedAt, ...(detail ? { detail } : {}) };
    });
  }

  async refresh(caller: AccountCaller, ref: ConnectionRef): Promise<IntegrationDto> {
    const integration = await this.usable(caller, ref);
    const provider = this.integrations.requireProvider(integration.provider);
    if (provider.auth.type !== 'oauth2') {
      throw new ValidationFailedError('Only OAuth integrations have tokens to refresh', [{ path: 'provider', message: `uses ${provider.auth.type}` }]);
    }
    const outcome = await this.refresher.refresh(integration.id, true);
    if (outcome === 'not_refreshable') {
      throw new ValidationFailedError('This integration has no refresh token', [{ path: 'provider', message: 're-connect to get a new token' }]);
    }
    return this.view.toDto(await this.em.fork().findOneOrFail(Integration, { id: integration.id }));
  }

  async runAction(caller: AccountCaller, ref: ConnectionRef, action: string, input: unknown): Promise<unknown> {
    // By provider, the action and input are checked before the connection (which may not exist yet).
    const byId = 'id' in ref ? await this.usable(caller, ref) : undefined;
    const provider = this.integrations.requireProvider(byId?.provider ?? (ref as { provider: string }).provider);
    if (!provider.actions.some((candidate) => candidate.name === action)) {
      throw new ValidationFailedError('Unknown action', [
        { path: 'action', message: `${provider.name} has ${provider.actions.map((a) => a.name).join(', ') || 'no actions'}` },
      ]);
    }
    this.integrations.assertValidAction(provider, action, input ?? {});
    const integration = byId ?? (await this.usable(caller, ref));
    let stored: Record<string, unknown> | undefined;
    const result = await this.calls.invoke(integration, {
      kind: 'action',
      name: action,
      input: input ?? {},
      storeCredentials: (values) => {
        stored = { ...stored, ...values };
      },
    });
    if (stored) await this.integrations.storeActionCredentials(caller, integration, provider, action, stored);
    return result;
  }

  /** The caller's connection, connected (or in error) and allowed by its owner and the plan; else 404/403/402/409. */
  async usable(caller: AccountCaller, ref: ConnectionRef): Promise<Integration> {
    const integration = await this.integrations.find(this.em, caller, ref, 'use');
    await this.integrations.assertUsable(caller, integration);
    if (!['connected', 'error'].includes(integration.status)) {
      throw new AppError('conflict', 409, `The integration is ${integration.status}: connect it first`);
    }
    return integration;
  }
}
