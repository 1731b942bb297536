import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { PluginRegistry } from '../../plugins/index.js';
import { type FlagDefinition, loadOnboardingTemplate, type OnboardingTemplate, type TemplateProvider, type TemplateStep } from './onboarding-template.js';

/**
 * The instance's onboarding template (ONBOARDING_FILE), read and validated once at start-up, with what
 * the loaded plugins say about its providers: a provider no plugin provides is unavailable, never an error.
 */
@Injectable()
export class OnboardingCatalog {
  readonly template: OnboardingTemplate;
  private readonly providers = new Map<string, { provider: TemplateProvider; step: TemplateStep }>();
  private readonly flags = new Map<string, FlagDefinition>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly registry: PluginRegistry,
  ) {
    this.template = loadOnboardingTemplate(config.onboardingFile);
    for (const step of this.template.steps) for (const provider of step.providers) this.providers.set(provider.id, { provider, step });
    for (const flag of this.template.flags) this.flags.set(flag.key, flag);
  }

  get steps(): TemplateStep[] {
    return this.template.steps;
  }

  /** Every provider of the steps, in step order. */
  providerIds(): string[] {
    return [...this.providers.keys()];
  }

  provider(id: string): TemplateProvider | undefined {
    return this.providers.get(id)?.provider;
  }

  step(key: string): TemplateStep | undefined {
    return this.template.steps.find((step) => step.key === key);
  }

  flagDefinitions(): FlagDefinition[] {
    return this.template.flags;
  }

  flag(key: string): FlagDefinition | undefined {
    return this.flags.get(key);
  }

  /** Whether a loaded plugin provides the id now (plugins can be installed and disabled while running). */
  available(id: string): boolean {
    return this.registry.provider(id) !== undefined;
  }

  /** The provider's name: its plugin's, else the template's, else its id. */
  name(id: string): string {
    return this.registry.provider(id)?.name ?? this.providers.get(id)?.provider.name ?? id;
  }
}
