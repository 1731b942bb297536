import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { type AccountCaller, actorOf } from '../../../core/auth/caller.js';
import { NotFoundError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { type Page, type PageQuery, pageArray } from '../../../core/http/pagination.js';
import { AuditService } from '../../audit/index.js';
import { AutomationGate, ConnectionDirectory, type IntegrationStatus } from '../../integrations/index.js';
import { FeatureFlagDto, type FlagSource, FlagValuesDto, SetFeatureFlagDto } from '../dto/feature-flag.dto.js';
import { retryAfterConcurrentInsert } from '../concurrent-insert.js';
import { FeatureFlagOverride } from '../entities/feature-flag-override.entity.js';
import { OnboardingCatalog } from '../template/onboarding-catalog.js';
import type { FlagDefinition } from '../template/onboarding-template.js';

type Scope = { accountId: string; livemode: boolean };

const MAX_KEYS = 100;

/** The value a flag has for an account, and why. */
export function evaluateFlag(
  flag: FlagDefinition,
  override: boolean | undefined,
  connection: IntegrationStatus | undefined,
): { value: boolean; source: FlagSource } {
  const value = override ?? flag.default;
  const source: FlagSource = override === undefined ? 'default' : 'override';
  if (value && flag.requiresConnection && connection !== 'connected') return { value: false, source: 'not_connected' };
  return { value, source };
}

/**
 * Integration feature flags from the template, per account and mode: the template's default, the
 * account's override, forced off while a required connection is not connected. A flag
 * `integrations.<provider>` that is off pauses that provider's reactions and scheduled syncs for the
 * account (through the integrations module's AutomationGate); turning it on resumes them.
 */
@Injectable()
export class FeatureFlagsService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly catalog: OnboardingCatalog,
    private readonly connections: ConnectionDirectory,
    private readonly gate: AutomationGate,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.gate.register((scope, provider) => this.allowsAutomation(scope, provider));
  }

  async list(caller: AccountCaller, query: PageQuery): Promise<Page<FeatureFlagDto>> {
    return pageArray(await this.describe(caller, this.catalog.flagDefinitions()), query);
  }

  async get(caller: AccountCaller, key: string): Promise<FeatureFlagDto> {
    const [flag] = await this.describe(caller, [this.definition(key)]);
    return flag;
  }

  /** Values of many flags in one call (every flag without `keys`): what the host platform asks on its hot path. */
  async evaluate(caller: AccountCaller, keys: string | undefined): Promise<FlagValuesDto> {
    const requested = keys ? [...new Set(keys.split(','))] : this.catalog.flagDefinitions().map((flag) => flag.key);
    if (requested.length > MAX_KEYS) throw new ValidationFailedError('Too many keys', [{ path: 'keys', message: `at most ${MAX_KEYS}` }]);
    const flags = requested.map((key) => this.catalog.flag(key)).filter((flag): flag is FlagDefinition => flag !== undefined);
    const described = await this.describe(caller, flags);
    return {
      values: Object.fromEntries(described.map((flag) => [flag.key, flag.value])),
      sources: Object.fromEntries(described.map((flag) => [flag.key, flag.source])),
      unknown: requested.filter((key) => !this.catalog.flag(key)),
    };
  }

  /** Sets (or, with null, removes) the account's value of a flag in the caller's mode; audited. */
  async set(caller: AccountCaller, key: string, dto: SetFeatureFlagDto): Promise<FeatureFlagDto> {
    const flag = this.definition(key);
    await retryAfterConcurrentInsert(() =>
      this.em.fork().transactional(async (em) => {
        const existing = await em.findOne(FeatureFlagOverride, { accountId: caller.accountId, livemode: caller.livemode, key });
        const from = existing?.value ?? null;
        const { actorType, actorId } = actorOf(caller);
        if (dto.value === null) {
          if (existing) em.remove(existing);
        } else if (existing) {
          Object.assign(existing, { value: dto.value, setByType: actorType, setById: actorId });
        } else {
          em.create(FeatureFlagOverride, {
            accountId: caller.accountId,
            livemode: caller.livemode,
            key,
            value: dto.value,
            setByType: actorType,
            setById: actorId,
          });
        }
        if (from !== dto.value) {
          this.audit.record(em, caller, { action: 'feature_flag.changed', targetType: 'feature_flag', targetId: key, details: { from, to: dto.value } });
        }
      }),
    );
    return this.get(caller, flag.key);
  }

  /** AutomationGate check: a provider's automatic work runs unless its `integrations.<provider>` flag is off. */
  private async allowsAutomation(scope: Scope, provider: string): Promise<boolean> {
    const flag = this.catalog.flag(`integrations.${provider}`);
    if (!flag) return true;
    const override = await this.em
      .fork()
      .findOne(FeatureFlagOverride, { accountId: scope.accountId, livemode: scope.livemode, key: flag.key }, { fields: ['value'] });
    return override?.value ?? flag.default;
  }

  private definition(key: string): FlagDefinition {
    const flag = this.catalog.flag(key);
    if (!flag) throw new NotFoundError('Feature flag');
    return flag;
  }

  private async describe(scope: Scope, flags: FlagDefinition[]): Promise<FeatureFlagDto[]> {
    if (flags.length === 0) return [];
    const providers = [...new Set(flags.map((flag) => flag.provider).filter((provider): provider is string => provider !== undefined))];
    const [overrides, statuses] = await Promise.all([
      this.em.fork().find(FeatureFlagOverride, { accountId: scope.accountId, livemode: scope.livemode, key: { $in: flags.map((flag) => flag.key) } }),
      this.connections.accountStatuses(scope, providers),
    ]);
    const overrideOf = new Map(overrides.map((row) => [row.key, row.value]));
    return flags.map((flag) => {
      const connection = flag.provider ? statuses.get(flag.provider) : undefined;
      const { value, source } = evaluateFlag(flag, overrideOf.get(flag.key), connection);
      return {
        key: flag.key,
        description: flag.description ?? null,
        value,
        default: flag.default,
        source,
        override: overrideOf.get(flag.key) ?? null,
        requiresConnection: flag.requiresConnection,
        provider: flag.provider ?? null,
        connection: connection ?? null,
      };
    });
  }
}
