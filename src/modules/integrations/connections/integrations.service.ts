import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { NotFoundError, PlanLimitError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, Page, toPage } from '../../../core/http/pagination.js';
import { integrationLimit, type Plan, PlansService } from '../../plans/index.js';
import { PluginRegistry, type RegisteredProvider } from '../../plugins/index.js';
import { AccessService } from '../../rbac/index.js';
import type { OAuthCredentials } from '../../../sdk/index.js';
import { CredentialVault } from './credential-vault.js';
import { ConfigureIntegrationDto, ConnectIntegrationDto, IntegrationDto, ListIntegrationsQuery } from '../dto/integration.dto.js';
import { Integration, IntegrationStatus } from '../entities/integration.entity.js';
import { IntegrationHistory } from './integration-history.js';
import { IntegrationView } from './integration-view.js';
import { ProviderCalls } from '../calls/provider-calls.js';

/** Statuses that occupy a place in a plan's counted category. */
const COUNTED: IntegrationStatus[] = ['connected', 'expired', 'error'];

@Injectable()
export class IntegrationsService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: PluginRegistry,
    private readonly access: AccessService,
    private readonly plans: PlansService,
    private readonly vault: CredentialVault,
    private readonly calls: ProviderCalls,
    private readonly history: IntegrationHistory,
    private readonly view: IntegrationView,
  ) {}

  onModuleInit(): void {
    this.plans.registerUsageCounter((accountId, livemode) => this.countByCategory(accountId, livemode));
    this.plans.registerPlanChangeHandler((em, accountId, plan) => this.applyPlan(em, accountId, plan));
  }

  async list(caller: AccountCaller, query: ListIntegrationsQuery): Promise<Page<IntegrationDto>> {
    const rows = await this.em.find(
      Integration,
      {
        accountId: caller.accountId,
        livemode: caller.livemode,
        ...(query.category ? { category: query.category } : {}),
        ...(query.status ? { status: query.status as IntegrationStatus } : {}),
        ...afterCursor(query.cursor),
      },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, (row) => this.view.toDto(row));
  }

  async get(caller: AccountCaller, providerId: string): Promise<IntegrationDto> {
    return this.view.toDto(await this.find(this.em, caller, providerId));
  }

  /**
   * Connect or save (upsert). For api_key, basic and none providers the credentials are validated by
   * the provider's schema and verified by the plugin first; nothing is stored when it refuses them.
   * OAuth providers connect through oauth/start; for them this saves settings and autoSync only.
   */
  async connect(caller: AccountCaller, providerId: string, dto: ConnectIntegrationDto): Promise<IntegrationDto> {
    const provider = this.requireProvider(providerId);
    if (dto.settings) this.assertValid(provider, 'settings', dto.settings);
    const existing = await this.em.findOne(Integration, { accountId: caller.accountId, livemode: caller.livemode, provider: providerId });
    if (provider.auth.type === 'oauth2') {
      if (dto.credentials) {
        throw new ValidationFailedError('This provider connects with OAuth', [{ path: 'credentials', message: 'use POST oauth/start' }]);
      }
      if (!existing) throw new ValidationFailedError('Connect this provider with OAuth first', [{ path: 'provider', message: 'use POST oauth/start' }]);
      await this.access.ensure(caller, 'configure', 'Integration', { category: provider.category });
      return this.save(caller, existing, dto);
    }
    const credentials = dto.credentials ?? (provider.auth.type === 'none' ? {} : undefined);
    if (!credentials) {
      if (!existing || existing.status === 'disconnected') {
        throw new ValidationFailedError('Credentials are required to connect', [{ path: 'credentials', message: 'is required' }]);
      }
      await this.access.ensure(caller, 'configure', 'Integration', { category: provider.category });
      return this.save(caller, existing, dto);
    }
    if (provider.auth.type !== 'none') this.assertValid(provider, 'credentials', credentials);
    await this.access.ensure(caller, 'connect', 'Integration', { category: provider.category, counted: this.isCounted(existing) });
    const settings = { ...(existing?.settings ?? {}), ...(dto.settings ?? {}) };
    const verified = await this.calls.verify(provider, caller, existing?.id, credentials, settings);
    return this.em.transactional(async (em) => {
      const integration = existing ? em.merge(existing) : em.create(Integration, this.newIntegration(caller, provider));
      this.vault.sealCredentials(integration, credentials);
      this.markConnected(integration, verified, settings);
      if (dto.autoSync !== undefined) integration.autoSync = dto.autoSync;
      await this.history.record(em, integration, 'integration.connected', caller);
      return this.view.toDto(integration);
    });
  }

  async configure(caller: AccountCaller, providerId: string, dto: ConfigureIntegrationDto): Promise<IntegrationDto> {
    const provider = this.requireProvider(providerId);
    if (dto.settings) this.assertValid(provider, 'settings', dto.settings);
    const integration = await this.find(this.em, caller, providerId);
    await this.access.ensure(caller, 'configure', 'Integration', { category: provider.category });
    return this.save(caller, integration, dto);
  }

  async disconnect(caller: AccountCaller, providerId: string): Promise<IntegrationDto> {
    return this.em.transactional(async (em) => {
      const integration = await this.find(em, caller, providerId);
      if (integration.status !== 'disconnected') {
        integration.status = 'disconnected';
        integration.statusBeforeSuspension = null;
        integration.disconnectedAt = new Date();
        integration.credentials = null;
        integration.feedToken = null;
        integration.tokenExpiresAt = null;
        integration.nextSyncAt = null;
        await this.history.record(em, integration, 'integration.disconnected', caller);
      }
      return this.view.toDto(integration);
    });
  }

  /** Creates or updates the record after a completed OAuth authorization. */
  async completeOAuth(
    em: EntityManager,
    target: { accountId: string; livemode: boolean; provider: RegisteredProvider; userId: string },
    credentials: OAuthCredentials,
    verified: { displayName?: string; metadata?: Record<string, unknown> },
    settings: Record<string, unknown> | undefined,
    oauthApp: { clientId: string; clientSecret: string } | undefined,
  ): Promise<Integration> {
    const { accountId, livemode, provider } = target;
    const existing = await em.findOne(Integration, { accountId, livemode, provider: provider.id }, { populate: ['oauthApp'] });
    const integration = existing ?? em.create(Integration, this.newIntegration({ accountId, livemode }, provider));
    this.vault.sealCredentials(integration, credentials);
    if (oauthApp) this.vault.sealOAuthApp(integration, oauthApp);
    this.markConnected(integration, verified, { ...integration.settings, ...(settings ?? {}) });
    integration.tokenExpiresAt = credentials.expiresAt ? new Date(credentials.expiresAt) : null;
    return integration;
  }

  /** Finds the caller's integration with this provider (in the caller's mode), or 404. */
  async find(em: EntityManager, caller: AccountCaller, providerId: string): Promise<Integration> {
    const integration = await em.findOne(Integration, { accountId: caller.accountId, livemode: caller.livemode, provider: providerId });
    if (!integration) throw new NotFoundError('Integration');
    return integration;
  }

  requireProvider(providerId: string): RegisteredProvider {
    const provider = this.registry.provider(providerId);
    if (!provider) throw new NotFoundError('Provider');
    return provider;
  }

  findProvider(providerId: string): RegisteredProvider | undefined {
    return this.registry.provider(providerId);
  }

  /** Refuses to use an integration its plan no longer includes (402) or that is not connected (409-like 422). */
  async assertUsable(caller: AccountCaller, integration: Integration): Promise<void> {
    await this.access.ensure(caller, 'use', 'Integration', { category: integration.category });
    if (integration.status === 'suspended') {
      const plan = this.plans.get(caller.plan);
      throw new PlanLimitError(`The ${plan.name} plan no longer includes this ${integration.category} integration`, {
        plan: plan.key,
        feature: `integrations.${integration.category}`,
        limit: integrationLimit(plan, integration.category),
      });
    }
  }

  private async save(caller: AccountCaller, integration: Integration, dto: ConfigureIntegrationDto): Promise<IntegrationDto> {
    if (dto.settings) integration.settings = { ...integration.settings, ...dto.settings };
    if (dto.autoSync !== undefined) integration.autoSync = dto.autoSync;
    if (dto.syncFrequency !== undefined) integration.syncFrequency = dto.syncFrequency;
    if (integration.autoSync && !integration.nextSyncAt) integration.nextSyncAt = new Date();
    if (!integration.autoSync) integration.nextSyncAt = null;
    this.history.audit(this.em, caller, integration, 'integration.configured', { ...dto });
    await this.em.flush();
    return this.view.toDto(integration);
  }

  private markConnected(
    integration: Integration,
    verified: { displayName?: string; metadata?: Record<string, unknown> },
    settings: Record<string, unknown>,
  ): void {
    integration.status = 'connected';
    integration.statusBeforeSuspension = null;
    integration.displayName = verified.displayName ?? integration.displayName ?? null;
    // A feed token is a secret: sealed beside the credentials, never stored or logged in the clear.
    const { feedToken, ...metadata } = verified.metadata ?? {};
    integration.metadata = metadata;
    this.vault.sealFeedToken(integration, typeof feedToken === 'string' ? feedToken : undefined);
    integration.settings = settings;
    integration.lastError = null;
    integration.refreshFailures = 0;
    integration.nextRefreshAt = null;
    integration.connectedAt = new Date();
    integration.disconnectedAt = null;
    if (integration.autoSync && !integration.nextSyncAt) integration.nextSyncAt = new Date();
  }

  private newIntegration(owner: { accountId: string; livemode: boolean }, provider: RegisteredProvider) {
    return { accountId: owner.accountId, livemode: owner.livemode, provider: provider.id, category: provider.category, status: 'disconnected' as const };
  }

  isCounted(integration: Integration | null): boolean {
    return !!integration && COUNTED.includes(integration.status);
  }

  assertValid(provider: RegisteredProvider, kind: 'credentials' | 'settings', data: Record<string, unknown>): void {
    const errors = this.registry.validate(provider.id, kind, data);
    if (errors.length > 0) {
      throw new ValidationFailedError(
        `The ${kind} do not match ${provider.name}'s schema`,
        errors.map((error) => ({ ...error, path: `${kind}${error.path ? `.${error.path}` : ''}` })),
      );
    }
  }

  assertValidAction(provider: RegisteredProvider, action: string, input: unknown): void {
    const errors = this.registry.validate(provider.id, 'action', input, action);
    if (errors.length > 0) {
      throw new ValidationFailedError(
        `The input does not match the ${action} action's schema`,
        errors.map((error) => ({ ...error, path: `input${error.path ? `.${error.path}` : ''}` })),
      );
    }
  }

  private async countByCategory(accountId: string, livemode: boolean): Promise<Record<string, number>> {
    const rows = await this.em
      .getConnection()
      .execute<{ category: string; count: string }[]>(
        `select category, count(*) as count from integrations where account_id = ? and livemode = ? and status in (?, ?, ?) group by category`,
        [accountId, livemode, ...COUNTED],
      );
    return Object.fromEntries(rows.map((row) => [`integrations.${row.category}`, Number(row.count)]));
  }

  /**
   * Brings integrations in line with a new plan: per mode and category, the oldest connections the
   * plan allows stay (or come back); the rest are suspended. Only plan suspensions are restored.
   */
  private async applyPlan(em: EntityManager, accountId: string, plan: Plan): Promise<void> {
    const integrations = await em.find(Integration, { accountId, status: { $in: [...COUNTED, 'suspended'] } }, { orderBy: { connectedAt: 'asc', id: 'asc' } });
    const used = new Map<string, number>();
    for (const integration of integrations) {
      const key = `${integration.livemode}:${integration.category}`;
      const limit = integrationLimit(plan, integration.category);
      const position = used.get(key) ?? 0;
      const allowed = limit === null || position < limit;
      if (allowed) used.set(key, position + 1);
      if (!allowed && integration.status !== 'suspended') {
        integration.statusBeforeSuspension = integration.status;
        integration.status = 'suspended';
        this.history.audit(em, 'system', integration, 'integration.suspended', { plan: plan.key });
      } else if (allowed && integration.status === 'suspended') {
        integration.status = integration.statusBeforeSuspension ?? 'connected';
        integration.statusBeforeSuspension = null;
        this.history.audit(em, 'system', integration, 'integration.restored', { plan: plan.key });
      }
    }
  }
}
