import { subject } from '@casl/ability';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { NotFoundError } from '../../../core/errors/app-errors.js';
import { Page, pageArray } from '../../../core/http/pagination.js';
import { PluginRegistry, type RegisteredProvider } from '../../plugins/index.js';
import { AccessService, PLAN_REASON } from '../../rbac/index.js';
import { ListProvidersQuery, ProviderDto } from '../dto/provider.dto.js';

/** The catalog of providers from loaded plugins, each with whether the caller's plan allows it. */
@Injectable()
export class ProvidersService {
  constructor(
    private readonly registry: PluginRegistry,
    private readonly access: AccessService,
  ) {}

  async list(caller: AccountCaller, query: ListProvidersQuery): Promise<Page<ProviderDto>> {
    const providers = this.registry
      .providers()
      .filter((provider) => !query.category || provider.category === query.category)
      .sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name));
    const { ability } = await this.access.context(caller);
    return pageArray(
      providers.map((provider) => toDto(provider, ability)),
      query,
    );
  }

  async get(caller: AccountCaller, providerId: string): Promise<ProviderDto> {
    const provider = this.registry.provider(providerId);
    if (!provider) throw new NotFoundError('Provider');
    return toDto(provider, (await this.access.context(caller)).ability);
  }
}

function toDto(provider: RegisteredProvider, ability: Awaited<ReturnType<AccessService['context']>>['ability']): ProviderDto {
  // The plan's verdict alone (the caller's role is a separate matter): is a plan rule in the way?
  const rule = ability.relevantRuleFor('connect', subject('Integration', { category: provider.category, counted: false }));
  const reason = rule?.inverted && rule.reason?.startsWith(PLAN_REASON) ? rule.reason.slice(PLAN_REASON.length) : undefined;
  const allowed = reason === undefined;
  return {
    id: provider.id,
    name: provider.name,
    category: provider.category,
    description: provider.description,
    authType: provider.auth.type,
    credentialsSchema: 'credentialsSchema' in provider.auth ? provider.auth.credentialsSchema : null,
    settingsSchema: provider.settingsSchema ?? null,
    connectionInputs: provider.connectionInputs ?? null,
    actions: provider.actions.map(({ name, description, inputSchema, outputSchema }) => ({
      name,
      description,
      inputSchema,
      ...(outputSchema ? { outputSchema } : {}),
    })),
    sync: provider.sync !== null,
    webhooks: provider.webhook,
    plan: { allowed, ...(reason ? { reason: reason.charAt(0).toUpperCase() + reason.slice(1) } : {}) },
    plugin: provider.plugin,
  };
}
