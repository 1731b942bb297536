import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, OnModuleInit } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { NotFoundError, PlanLimitError, ProviderError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { type Condition, newestFirstPage, where } from '../../../core/database/entity-rows.js';
import { toJsonPage } from '../../../core/http/pagination.js';
import { integrationLimit, type Plan, PlansService } from '../../plans/index.js';
import { PluginRegistry, type RegisteredProvider } from '../../plugins/index.js';
import { AccessService } from '../../rbac/index.js';
import type { OAuthCredentials } from '../../../sdk/index.js';
import { ConnectionAccess, type ConnectionAction, type OwnerSpec, ownerOf } from './connection-access.js';
import { CredentialVault } from './credential-vault.js';
import { CreateConnectionDto, ListConnectionsQuery, UpdateConnectionDto } from '../dto/connection.dto.js';
import { ConnectIntegrationDto, IntegrationDto, ListIntegrationsQuery } from '../dto/integration.dto.js';
import { Integration, IntegrationStatus } from '../entities/integration.entity.js';
import { IntegrationHistory } from './integration-history.js';
import { ConnectionPages } from './connection-pages.js';
import { IntegrationView, type ListedIntegration } from './integration-view.js';
import { SettingsGuards } from './settings-guards.js';
import { ProviderCalls } from '../calls/provider-calls.js';

/** Statuses that occupy a place in a plan's counted category. */
const COUNTED: IntegrationStatus[] = ['connected', 'expired', 'error'];

/** A connection named by its id, or the account's default shared connection of a provider (`/v1/integrations/{provider}`). */
export type ConnectionRef = { id: string } | { provider: string };

/** Which connection a completed OAuth authorization is for. */
export type OAuthConnectionTarget = { id: string } | { new: boolean; owner: OwnerSpec; label?: string; tags?: string[] };

const ACCOUNT_OWNER: OwnerSpec = { owner: 'account', memberId: null, endUserId: null };

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
    private readonly connections: ConnectionAccess,
    private readonly guards: SettingsGuards,
    private readonly pages: ConnectionPages,
  ) {}

  onModuleInit(): void {
    this.plans.registerUsageCounter({
      sql: `select 'integrations.' || category as feature, count(distinct provider) as count
            from integrations where account_id = ? and livemode = ? and status = any(?) group by category`,
      params: (accountId, livemode) => [accountId, livemode, COUNTED],
    });
    this.plans.registerPlanChangeHandler((em, accountId, plan) => this.applyPlan(em, accountId, plan));
  }

  /** The account's default shared connections, a page as JSON text (`Page<IntegrationDto>`). */
  async list(caller: AccountCaller, query: ListIntegrationsQuery): Promise<string> {
    const rows = await this.listed(
      caller.accountId,
      [
        ["account_id = ? and livemode = ? and owner = 'account' and is_default", caller.accountId, caller.livemode],
        query.category && ['category = ?', query.category],
        query.status && ['status = ?', query.status],
      ],
      query,
    );
    return toJsonPage(rows, query.limit, (row) => this.view.jsonOf(row, false));
  }

  /**
   * Every connection the caller may see, those it may not read in their restricted form: a page as JSON
   * text (`Page<IntegrationDto>`).
   */
  async listConnections(caller: AccountCaller, query: ListConnectionsQuery): Promise<string> {
    const owners = this.connections.visibleOwners(caller);
    const ownerIn = owners === 'all' ? (query.owner ? [query.owner] : undefined) : owners.filter((owner) => !query.owner || owner === query.owner);
    if (ownerIn?.length === 0) return '{"data":[],"nextCursor":null}';
    const rows = await this.listed(
      caller.accountId,
      [
        ['account_id = ? and livemode = ?', caller.accountId, caller.livemode],
        ownerIn && ['owner = any(?)', ownerIn],
        query.provider && ['provider = ?', query.provider],
        query.endUserId && ['end_user_id = ?', query.endUserId],
        query.tag && ['tags @> array[?]::text[]', query.tag],
        query.status && ['status = ?', query.status],
      ],
      query,
    );
    const mayView = this.connections.viewVerdicts(caller);
    return toJsonPage(rows, query.limit, (row) => this.view.jsonOf(row, !mayView(row)));
  }

  /** A newest-first page of the account's connections as the list routes answer them. */
  private listed(accountId: string, conditions: Condition[], query: { cursor?: string; limit: number }): Promise<readonly ListedIntegration[]> {
    const { text, params } = where(conditions, newestFirstPage(query));
    return this.pages.read(accountId, `${IntegrationView.LISTED} ${text}`, params);
  }

  async get(caller: AccountCaller, ref: ConnectionRef): Promise<IntegrationDto> {
    const connection = await this.find(this.em, caller, ref, 'see');
    return this.view.toDto(connection, !this.connections.mayView(caller, ownerOf(connection)));
  }

  /**
   * A new connection (never an upsert): its owner from the request, credentials verified with the
   * provider first, the default of its provider and owner when it is the first. OAuth providers start
   * with `oauth/start` instead.
   */
  async create(caller: AccountCaller, dto: CreateConnectionDto): Promise<IntegrationDto> {
    const provider = this.requireProvider(dto.provider);
    const owner = await this.connections.ownerForNew(caller, dto);
    if (provider.auth.type === 'oauth2') {
      throw new ValidationFailedError('This provider connects with OAuth', [{ path: 'provider', message: 'use POST /v1/connections/oauth/start' }]);
    }
    const credentials = dto.credentials ?? (provider.auth.type === 'none' ? {} : undefined);
    if (!credentials) throw new ValidationFailedError('Credentials are required to connect', [{ path: 'credentials', message: 'is required' }]);
    if (provider.auth.type !== 'none') this.assertValid(provider, 'credentials', credentials);
    if (dto.settings) this.assertValid(provider, 'settings', dto.settings);
    const inputs = this.connectionInputs(provider, dto.inputs);
    await this.assertPlanAllowsNew(caller, provider, owner);
    const settings = dto.settings ?? {};
    await this.guards.check(caller, { provider: provider.id, owner: owner.owner, before: {}, after: settings });
    const verified = await this.calls.verify(provider, caller, undefined, credentials, settings, inputs);
    return this.em.transactional(async (em) => {
      const connection = em.create(Integration, await this.newConnection(em, caller, provider, owner, dto));
      this.vault.sealCredentials(connection, credentials);
      this.markConnected(connection, verified, settings, inputs);
      if (dto.autoSync !== undefined) connection.autoSync = dto.autoSync;
      if (connection.autoSync) connection.nextSyncAt = new Date();
      await this.history.record(em, connection, 'integration.connected', caller);
      return this.view.toDto(connection);
    });
  }

  /** New credentials for an existing connection (verified with the provider first), re-connecting it in place. */
  async replaceCredentials(
    caller: AccountCaller,
    ref: ConnectionRef,
    credentials: Record<string, unknown>,
    settings?: Record<string, unknown>,
  ): Promise<Integration> {
    const connection = await this.find(this.em, caller, ref, 'configure');
    const provider = this.requireProvider(connection.provider);
    if (provider.auth.type === 'oauth2')
      throw new ValidationFailedError('This provider connects with OAuth', [{ path: 'provider', message: 'use oauth/start' }]);
    if (provider.auth.type !== 'none') this.assertValid(provider, 'credentials', credentials);
    if (settings) this.assertValid(provider, 'settings', settings);
    await this.access.ensure(caller, 'connect', 'Integration', { category: provider.category, counted: this.isCounted(connection) });
    const merged = { ...connection.settings, ...(settings ?? {}) };
    await this.guards.check(caller, { provider: provider.id, owner: connection.owner, before: connection.settings, after: merged });
    const inputs = this.connectionInputs(provider, undefined, connection.metadata);
    const verified = await this.calls.verify(provider, caller, connection.id, credentials, merged, inputs);
    return this.em.transactional(async (em) => {
      const current = em.merge(connection);
      this.vault.sealCredentials(current, credentials);
      this.markConnected(current, verified, merged, inputs);
      await this.history.record(em, current, 'integration.connected', caller);
      return current;
    });
  }

  /**
   * Keeps what an action asked to store (`ctx.storeCredentials`) in the connection's encrypted
   * credentials: only fields the credentials schema marks secret, and the merge must still match the
   * schema, else the action fails with 502 (the plugin's fault) and nothing is stored. Audited, without
   * the values.
   */
  async storeActionCredentials(
    caller: AccountCaller,
    connection: Integration,
    provider: RegisteredProvider,
    action: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    const schema = provider.auth.type === 'api_key' || provider.auth.type === 'basic' ? provider.auth.credentialsSchema : undefined;
    const properties = (schema?.properties ?? {}) as Record<string, { secret?: unknown }>;
    const refused = Object.keys(values).filter((field) => properties[field]?.secret !== true);
    if (refused.length > 0) {
      throw new ProviderError(
        `The ${provider.name} plugin asked to store credentials it may not (${refused.join(', ')}): only secret credential fields are kept`,
      );
    }
    await this.em.fork().transactional(async (em) => {
      const current = await em.findOneOrFail(Integration, { id: connection.id }, { populate: ['credentials'] });
      const merged = { ...(this.vault.openCredentials(current) ?? {}), ...values };
      try {
        this.assertValid(provider, 'credentials', merged);
      } catch {
        throw new ProviderError(`The ${provider.name} plugin asked to store credentials that do not match its credentials schema`);
      }
      this.vault.sealCredentials(current, merged);
      this.history.audit(em, caller, current, 'integration.credentials_stored', { action, fields: Object.keys(values).sort() });
    });
  }

  /** Makes this connection the one used for its provider and owner when none is named. */
  async makeDefault(caller: AccountCaller, id: string): Promise<IntegrationDto> {
    return this.em.transactional(async (em) => {
      const connection = await this.find(em, caller, { id }, 'configure');
      if (!connection.isDefault) {
        await this.guards.check(caller, { provider: connection.provider, owner: connection.owner, before: connection.settings, after: connection.settings });
        await em.nativeUpdate(
          Integration,
          { accountId: connection.accountId, livemode: connection.livemode, provider: connection.provider, ...ownerOf(connection), isDefault: true },
          { isDefault: false },
        );
        connection.isDefault = true;
        this.history.audit(em, caller, connection, 'integration.default_changed');
      }
      return this.view.toDto(connection);
    });
  }

  /**
   * Connect or save (upsert). For api_key, basic and none providers the credentials are validated by
   * the provider's schema and verified by the plugin first; nothing is stored when it refuses them.
   * OAuth providers connect through oauth/start; for them this saves settings and autoSync only.
   */
  async connect(caller: AccountCaller, providerId: string, dto: ConnectIntegrationDto): Promise<IntegrationDto> {
    const provider = this.requireProvider(providerId);
    if (dto.settings) this.assertValid(provider, 'settings', dto.settings);
    const existing = await this.em.findOne(Integration, this.defaultShared(caller, providerId));
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
    const inputs = this.connectionInputs(provider, dto.inputs, existing?.metadata);
    await this.access.ensure(caller, 'connect', 'Integration', { category: provider.category, counted: this.isCounted(existing) });
    const settings = { ...(existing?.settings ?? {}), ...(dto.settings ?? {}) };
    await this.guards.check(caller, { provider: provider.id, owner: 'account', before: existing?.settings ?? {}, after: settings });
    const verified = await this.calls.verify(provider, caller, existing?.id, credentials, settings, inputs);
    return this.em.transactional(async (em) => {
      const integration = existing ? em.merge(existing) : em.create(Integration, await this.newConnection(em, caller, provider, ACCOUNT_OWNER, {}));
      this.vault.sealCredentials(integration, credentials);
      this.markConnected(integration, verified, settings, inputs);
      if (dto.autoSync !== undefined) integration.autoSync = dto.autoSync;
      await this.history.record(em, integration, 'integration.connected', caller);
      return this.view.toDto(integration);
    });
  }

  async configure(caller: AccountCaller, ref: ConnectionRef, dto: UpdateConnectionDto): Promise<IntegrationDto> {
    const integration = await this.find(this.em, caller, ref, 'configure');
    const provider = this.requireProvider(integration.provider);
    if (dto.settings) this.assertValid(provider, 'settings', dto.settings);
    await this.access.ensure(caller, 'configure', 'Integration', { category: provider.category });
    return this.save(caller, integration, dto);
  }

  async disconnect(caller: AccountCaller, ref: ConnectionRef): Promise<IntegrationDto> {
    return this.em.transactional(async (em) => {
      const integration = await this.find(em, caller, ref, 'disconnect');
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

  /**
   * After a completed OAuth authorization: re-authorises the named connection in place, updates the
   * default shared one (`/v1/integrations/{provider}/oauth/start`), or creates a new one for its owner.
   */
  async completeOAuth(
    em: EntityManager,
    target: { accountId: string; livemode: boolean; provider: RegisteredProvider; connection: OAuthConnectionTarget },
    credentials: OAuthCredentials,
    verified: { displayName?: string; metadata?: Record<string, unknown> },
    settings: Record<string, unknown> | undefined,
    oauthApp: { clientId: string; clientSecret: string } | undefined,
    kept: Record<string, unknown> = {},
  ): Promise<Integration> {
    const { accountId, livemode, provider, connection } = target;
    const scope = { accountId, livemode };
    const existing =
      'id' in connection
        ? await em.findOne(Integration, { id: connection.id, ...scope }, { populate: ['oauthApp'] })
        : connection.new
          ? null
          : await em.findOne(Integration, this.defaultShared(scope, provider.id), { populate: ['oauthApp'] });
    if ('id' in connection && !existing) throw new NotFoundError('Connection');
    const integration =
      existing ??
      em.create(
        Integration,
        await this.newConnection(em, scope, provider, 'id' in connection ? ACCOUNT_OWNER : connection.owner, 'id' in connection ? {} : connection),
      );
    this.vault.sealCredentials(integration, credentials);
    if (oauthApp) this.vault.sealOAuthApp(integration, oauthApp);
    this.markConnected(integration, verified, { ...integration.settings, ...(settings ?? {}) }, kept);
    integration.tokenExpiresAt = credentials.expiresAt ? new Date(credentials.expiresAt) : null;
    return integration;
  }

  /**
   * The caller's connection (in the caller's mode) that `ref` names, when the caller may do `action`
   * with it: 404 when it does not exist here or is someone else's the caller may not view, 403 when the
   * caller may view it but not do this.
   */
  async find(em: EntityManager, caller: AccountCaller, ref: ConnectionRef, action: ConnectionAction = 'view'): Promise<Integration> {
    const integration = await em.findOne(
      Integration,
      'id' in ref ? { id: ref.id, accountId: caller.accountId, livemode: caller.livemode } : this.defaultShared(caller, ref.provider),
    );
    if (!integration) throw new NotFoundError('id' in ref ? 'Connection' : 'Integration');
    this.connections.authorize(caller, integration, action);
    return integration;
  }

  /** The account's default shared connection of a provider: what `/v1/integrations/{provider}` is. */
  private defaultShared(scope: { accountId: string; livemode: boolean }, provider: string) {
    return { accountId: scope.accountId, livemode: scope.livemode, provider, owner: 'account' as const, isDefault: true };
  }

  /**
   * Refuses a new connection the plan does not allow: its category (a provider already connected takes
   * no new place) and the connections one owner may have of one provider.
   */
  async assertPlanAllowsNew(caller: AccountCaller, provider: RegisteredProvider, owner: OwnerSpec): Promise<void> {
    const scope = { accountId: caller.accountId, livemode: caller.livemode, provider: provider.id, status: { $in: COUNTED } };
    const counted = (await this.em.count(Integration, scope)) > 0;
    await this.access.ensure(caller, 'connect', 'Integration', { category: provider.category, counted });
    const plan = this.plans.get(caller.plan);
    const limit = plan.connectionsPerOwner;
    if (limit !== null && (await this.em.count(Integration, { ...scope, ...owner })) >= limit) {
      throw new PlanLimitError(`The ${plan.name} plan allows ${limit} ${provider.name} connection${limit === 1 ? '' : 's'} per owner`, {
        plan: plan.key,
        feature: 'connections.per_owner',
        limit,
      });
    }
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

  private async save(caller: AccountCaller, integration: Integration, dto: UpdateConnectionDto): Promise<IntegrationDto> {
    if (dto.settings) {
      const after = { ...integration.settings, ...dto.settings };
      await this.guards.check(caller, { provider: integration.provider, owner: integration.owner, before: integration.settings, after });
    }
    if (dto.label !== undefined) integration.label = dto.label;
    if (dto.tags !== undefined) integration.tags = dto.tags;
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
    kept: Record<string, unknown> = {},
  ): void {
    integration.status = 'connected';
    integration.statusBeforeSuspension = null;
    integration.displayName = verified.displayName ?? integration.displayName ?? null;
    // A feed token is a secret: sealed beside the credentials, never stored or logged in the clear.
    const { feedToken, ...metadata } = verified.metadata ?? {};
    // What the host itself keeps (connection inputs, token-response values) wins over what verify reports.
    integration.metadata = { ...metadata, ...kept };
    this.vault.sealFeedToken(integration, typeof feedToken === 'string' ? feedToken : undefined);
    integration.settings = settings;
    integration.lastError = null;
    integration.refreshFailures = 0;
    integration.nextRefreshAt = null;
    integration.connectedAt = new Date();
    integration.disconnectedAt = null;
    if (integration.autoSync && !integration.nextSyncAt) integration.nextSyncAt = new Date();
  }

  /** A new connection's fields: the default of its provider and owner when it has none yet. */
  private async newConnection(
    em: EntityManager,
    scope: { accountId: string; livemode: boolean },
    provider: RegisteredProvider,
    owner: OwnerSpec,
    details: { label?: string; tags?: string[] },
  ) {
    const hasDefault =
      (await em.count(Integration, { accountId: scope.accountId, livemode: scope.livemode, provider: provider.id, ...owner, isDefault: true })) > 0;
    return {
      accountId: scope.accountId,
      livemode: scope.livemode,
      provider: provider.id,
      category: provider.category,
      status: 'disconnected' as const,
      ...owner,
      label: details.label ?? null,
      tags: details.tags ?? [],
      isDefault: !hasDefault,
    };
  }

  isCounted(integration: Integration | null): boolean {
    return !!integration && COUNTED.includes(integration.status);
  }

  /**
   * The connection inputs to keep: those given (validated by the provider's `connectionInputs`
   * schema), else the ones a connection already holds in its metadata; 422 when a provider that
   * declares none is given some, or when what it declares is missing or malformed.
   */
  connectionInputs(provider: RegisteredProvider, given: Record<string, unknown> | undefined, current?: Record<string, unknown>): Record<string, unknown> {
    const schema = provider.connectionInputs;
    if (!schema) {
      if (given && Object.keys(given).length > 0) {
        throw new ValidationFailedError(`${provider.name} takes no connection inputs`, [{ path: 'inputs', message: 'must be absent' }]);
      }
      return {};
    }
    const declared = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
    const inputs = given ?? Object.fromEntries(declared.filter((key) => current?.[key] !== undefined).map((key) => [key, current![key]]));
    this.assertValid(provider, 'inputs', inputs);
    return inputs;
  }

  assertValid(provider: RegisteredProvider, kind: 'credentials' | 'settings' | 'inputs', data: Record<string, unknown>): void {
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

  /**
   * Brings connections in line with a new plan: per mode and category the oldest providers the plan
   * allows, and per provider and owner the oldest connections it allows, stay (or come back); the rest
   * are suspended. Only plan suspensions are restored.
   */
  private async applyPlan(em: EntityManager, accountId: string, plan: Plan): Promise<void> {
    const integrations = await em.find(Integration, { accountId, status: { $in: [...COUNTED, 'suspended'] } }, { orderBy: { connectedAt: 'asc', id: 'asc' } });
    const keptProviders = new Map<string, Set<string>>();
    const perOwner = new Map<string, number>();
    for (const integration of integrations) {
      const categoryKey = `${integration.livemode}:${integration.category}`;
      const kept = keptProviders.get(categoryKey) ?? new Set<string>();
      keptProviders.set(categoryKey, kept);
      const limit = integrationLimit(plan, integration.category);
      const providerAllowed = kept.has(integration.provider) || limit === null || kept.size < limit;
      if (providerAllowed) kept.add(integration.provider);
      const ownerKey = [integration.livemode, integration.provider, integration.owner, integration.memberId ?? '', integration.endUserId ?? ''].join(':');
      const position = perOwner.get(ownerKey) ?? 0;
      const allowed = providerAllowed && (plan.connectionsPerOwner === null || position < plan.connectionsPerOwner);
      if (allowed) perOwner.set(ownerKey, position + 1);
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
