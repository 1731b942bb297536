import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { type AccountCaller, actorOf, type Caller } from '../../../core/auth/caller.js';
import { AppError, NotFoundError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { AccountsService } from '../../accounts/index.js';
import { AuditService } from '../../audit/index.js';
import { EventsService } from '../../events/index.js';
import { ConnectionDirectory, type IntegrationStatus } from '../../integrations/index.js';
import { AccessService } from '../../rbac/index.js';
import {
  OnboardingDto,
  type OnboardingProviderDto,
  type ProviderState,
  RequirementLevelsDto,
  SetRequirementLevelDto,
  SkipOnboardingDto,
} from '../dto/onboarding.dto.js';
import { OnboardingCompletion } from '../entities/onboarding-completion.entity.js';
import { OnboardingSkip } from '../entities/onboarding-skip.entity.js';
import { RequirementLevelOverride } from '../entities/requirement-level-override.entity.js';
import { retryAfterConcurrentInsert } from '../concurrent-insert.js';
import { REQUIRED_INTEGRATION } from '../onboarding-openapi.js';
import { OnboardingCatalog } from '../template/onboarding-catalog.js';
import { REQUIREMENT_LEVELS, type RequirementLevel } from '../template/onboarding-template.js';

type Scope = { accountId: string; livemode: boolean };

/**
 * An account's onboarding in one mode: the template's steps with each provider's level (the account's
 * own, else the template's) and state, what was skipped and by whom, and whether it may launch. Only
 * required providers block; "recommended" is information and nothing here ever nags about it.
 */
@Injectable()
export class OnboardingService {
  constructor(
    private readonly em: EntityManager,
    private readonly catalog: OnboardingCatalog,
    private readonly connections: ConnectionDirectory,
    private readonly accounts: AccountsService,
    private readonly events: EventsService,
    private readonly audit: AuditService,
    private readonly access: AccessService,
  ) {}

  state(caller: AccountCaller): Promise<OnboardingDto> {
    return this.read(this.em.fork(), caller);
  }

  /**
   * Records that providers (or a whole step's) will be set up later. A required provider cannot be
   * skipped: 409 `required_integration` naming them, and nothing is recorded. Skipping again keeps the
   * first record.
   */
  async skip(caller: AccountCaller, dto: SkipOnboardingDto): Promise<OnboardingDto> {
    const providers = this.providersToSkip(dto);
    return retryAfterConcurrentInsert(() => this.recordSkips(caller, providers, dto.step));
  }

  private recordSkips(caller: AccountCaller, providers: string[], step: string | undefined): Promise<OnboardingDto> {
    return this.em.fork().transactional(async (em) => {
      const levels = await this.levels(em, caller.accountId);
      const required = providers.filter((provider) => levels.get(provider) === 'required');
      if (required.length > 0) {
        throw new AppError(REQUIRED_INTEGRATION, 409, `Required integrations cannot be skipped: ${required.map((id) => this.catalog.name(id)).join(', ')}`, {
          providers: required,
        });
      }
      const skipped = await em.find(OnboardingSkip, { accountId: caller.accountId, livemode: caller.livemode, provider: { $in: providers } });
      const fresh = providers.filter((provider) => !skipped.some((row) => row.provider === provider));
      const actor = actorOf(caller);
      for (const provider of fresh) {
        em.create(OnboardingSkip, { accountId: caller.accountId, livemode: caller.livemode, provider, ...actor });
      }
      if (fresh.length > 0) {
        this.audit.record(em, caller, {
          action: 'onboarding.skipped',
          targetType: 'onboarding',
          details: { providers: fresh, ...(step ? { step } : {}) },
        });
      }
      await em.flush();
      return this.read(em, caller);
    });
  }

  /** Takes a skip back: the provider is pending again (or whatever its connection says). */
  async undoSkip(caller: AccountCaller, provider: string): Promise<OnboardingDto> {
    if (!this.catalog.provider(provider)) throw new NotFoundError('Onboarding provider');
    return this.em.fork().transactional(async (em) => {
      const skip = await em.findOne(OnboardingSkip, { accountId: caller.accountId, livemode: caller.livemode, provider });
      if (skip) {
        em.remove(skip);
        this.audit.record(em, caller, { action: 'onboarding.skip_undone', targetType: 'onboarding', details: { provider } });
        await em.flush();
      }
      return this.read(em, caller);
    });
  }

  /**
   * Finishes onboarding (the launch): 409 `required_integration` while a required provider is not
   * connected; once done, `onboarding.completed` is published and audited, and doing it again changes nothing.
   */
  async complete(caller: AccountCaller): Promise<OnboardingDto> {
    const em = this.em.fork();
    const before = await this.read(em, caller);
    if (before.completedAt) return before;
    if (!before.canLaunch) {
      throw new AppError(
        REQUIRED_INTEGRATION,
        409,
        `Connect the required integrations first: ${before.blocking.map((id) => this.catalog.name(id)).join(', ')}`,
        {
          providers: before.blocking,
        },
      );
    }
    const providers = before.steps.flatMap((step) => step.providers);
    try {
      await em.transactional(async (tx) => {
        const completion = tx.create(OnboardingCompletion, { accountId: caller.accountId, livemode: caller.livemode, ...actorOf(caller) });
        const data = {
          completedAt: completion.completedAt.toISOString(),
          completedBy: { type: completion.actorType, id: completion.actorId },
          connected: providers.filter((provider) => provider.state === 'connected').map((provider) => provider.provider),
          skipped: providers.filter((provider) => provider.state === 'skipped').map((provider) => provider.provider),
        };
        await this.events.publish(tx, { accountId: caller.accountId, livemode: caller.livemode, type: 'onboarding.completed', data });
        this.audit.record(tx, caller, {
          action: 'onboarding.completed',
          targetType: 'onboarding',
          details: { connected: data.connected, skipped: data.skipped },
        });
      });
    } catch (error) {
      // Completed at the same moment by someone else: theirs stands.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    return this.read(this.em.fork(), caller);
  }

  /** The account's owner sets a provider's level for the account (null: back to the template's). */
  async setLevel(caller: AccountCaller, provider: string, dto: SetRequirementLevelDto): Promise<OnboardingDto> {
    if (!this.catalog.provider(provider)) throw new NotFoundError('Onboarding provider');
    await this.access.ensure(caller, 'change', 'RequirementLevel');
    await this.writeLevel(caller, caller.accountId, provider, dto.level);
    return this.state(caller);
  }

  /** An instance administrator sets a provider's level for any account. */
  async setLevelForAccount(caller: Caller, accountId: string, provider: string, dto: SetRequirementLevelDto): Promise<RequirementLevelsDto> {
    if ((await this.accounts.planOf(accountId)) === undefined) throw new NotFoundError('Account');
    await this.writeLevel(caller, accountId, provider, dto.level);
    return this.levelsOf(accountId);
  }

  async levelsOf(accountId: string): Promise<RequirementLevelsDto> {
    if ((await this.accounts.planOf(accountId)) === undefined) throw new NotFoundError('Account');
    const overrides = await this.overrides(this.em.fork(), accountId);
    return {
      accountId,
      levels: this.catalog.providerIds().map((id) => {
        const templateLevel = this.catalog.provider(id)!.level;
        const own = overrides.get(id);
        return { provider: id, level: own ?? templateLevel, templateLevel, source: own ? 'account' : 'template' };
      }),
    };
  }

  private async writeLevel(caller: Caller, accountId: string, provider: string, level: RequirementLevel | null): Promise<void> {
    if (!this.catalog.provider(provider)) throw new NotFoundError('Onboarding provider');
    const write = () =>
      this.em.fork().transactional(async (em) => {
        const existing = await em.findOne(RequirementLevelOverride, { accountId, provider });
        const from = existing?.level ?? null;
        if (level === null) {
          if (existing) em.remove(existing);
        } else if (existing) {
          Object.assign(existing, { level, ...setter(caller) });
        } else {
          em.create(RequirementLevelOverride, { accountId, provider, level, ...setter(caller) });
        }
        if (from !== level) {
          this.audit.record(em, caller, { action: 'onboarding.level_changed', accountId, targetType: 'onboarding', details: { provider, from, to: level } });
        }
      });
    await retryAfterConcurrentInsert(write);
  }

  private providersToSkip(dto: SkipOnboardingDto): string[] {
    if ((dto.providers === undefined) === (dto.step === undefined)) {
      throw new ValidationFailedError('Give either providers or step', [
        { path: dto.providers ? 'step' : 'providers', message: 'give providers or step, not both' },
      ]);
    }
    if (dto.step !== undefined) {
      const step = this.catalog.step(dto.step);
      if (!step)
        throw new ValidationFailedError('Unknown step', [{ path: 'step', message: `must be one of ${this.catalog.steps.map((s) => s.key).join(', ')}` }]);
      return step.providers.map((provider) => provider.id);
    }
    const providers = [...new Set(dto.providers)];
    const unknown = providers.map((id, index) => ({ id, index })).filter(({ id }) => !this.catalog.provider(id));
    if (unknown.length > 0) {
      throw new ValidationFailedError(
        'These providers are not part of onboarding',
        unknown.map(({ id, index }) => ({ path: `providers.${index}`, message: `"${id}" is in no onboarding step` })),
      );
    }
    return providers;
  }

  /** The levels in force for an account: its own, else the template's. */
  private async levels(em: EntityManager, accountId: string): Promise<Map<string, RequirementLevel>> {
    const overrides = await this.overrides(em, accountId);
    return new Map(this.catalog.providerIds().map((id) => [id, overrides.get(id) ?? this.catalog.provider(id)!.level]));
  }

  private async overrides(em: EntityManager, accountId: string): Promise<Map<string, RequirementLevel>> {
    const rows = await em.find(RequirementLevelOverride, { accountId });
    return new Map(rows.filter((row) => this.catalog.provider(row.provider)).map((row) => [row.provider, row.level]));
  }

  private async read(em: EntityManager, scope: Scope): Promise<OnboardingDto> {
    const ids = this.catalog.providerIds();
    const [overrides, skips, completion, statuses] = await Promise.all([
      this.overrides(em, scope.accountId),
      em.find(OnboardingSkip, { accountId: scope.accountId, livemode: scope.livemode }),
      em.findOne(OnboardingCompletion, { accountId: scope.accountId, livemode: scope.livemode }),
      this.connections.accountStatuses(scope, ids),
    ]);
    const skipOf = new Map(skips.map((skip) => [skip.provider, skip]));
    const steps = this.catalog.steps.map((step) => {
      const providers: OnboardingProviderDto[] = step.providers.map((provider) => {
        const level = overrides.get(provider.id) ?? provider.level;
        const skip = skipOf.get(provider.id);
        return {
          provider: provider.id,
          name: this.catalog.name(provider.id),
          level,
          levelSource: overrides.has(provider.id) ? 'account' : 'template',
          state: stateOf(statuses.get(provider.id), level, skip !== undefined),
          available: this.catalog.available(provider.id),
          skipped: skip ? { at: skip.createdAt, by: { type: skip.actorType, id: skip.actorId } } : null,
        };
      });
      return {
        key: step.key,
        title: step.title,
        description: step.description ?? null,
        level: strictest(providers.map((provider) => provider.level)),
        done: providers.every((provider) => provider.state === 'connected' || provider.state === 'skipped'),
        providers,
      };
    });
    const blocking = steps.flatMap((step) => step.providers).filter((provider) => provider.level === 'required' && provider.state !== 'connected');
    return {
      steps,
      canLaunch: blocking.length === 0,
      blocking: blocking.map((provider) => provider.provider),
      completedAt: completion?.completedAt ?? null,
      livemode: scope.livemode,
    };
  }
}

/** A connection's trouble outranks a skip; a required provider is never shown as skipped. */
function stateOf(status: IntegrationStatus | undefined, level: RequirementLevel, skipped: boolean): ProviderState {
  if (status === 'connected') return 'connected';
  if (status === 'expired' || status === 'error') return 'needs_attention';
  return skipped && level !== 'required' ? 'skipped' : 'pending';
}

function strictest(levels: RequirementLevel[]): RequirementLevel {
  return REQUIREMENT_LEVELS.find((level) => levels.includes(level)) ?? 'optional';
}

function setter(caller: Caller): { setByType: 'member' | 'api_key'; setById: string } {
  const { actorType, actorId } = actorOf(caller);
  return { setByType: actorType, setById: actorId };
}
