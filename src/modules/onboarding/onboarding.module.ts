import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { OpenApiContributions } from '../../core/openapi/openapi.js';
import { AccountsModule } from '../accounts/index.js';
import { EventsModule } from '../events/index.js';
import { IntegrationsModule } from '../integrations/index.js';
import { PluginsModule } from '../plugins/index.js';
import { AclRegistry } from '../rbac/index.js';
import { FeatureFlagOverride } from './entities/feature-flag-override.entity.js';
import { NoticeDelivery } from './entities/notice-delivery.entity.js';
import { NoticePreference } from './entities/notice-preference.entity.js';
import { NoticeSettings } from './entities/notice-settings.entity.js';
import { NoticeSignal } from './entities/notice-signal.entity.js';
import { NoticeSyncStreak } from './entities/notice-sync-streak.entity.js';
import { Notice } from './entities/notice.entity.js';
import { OnboardingCompletion } from './entities/onboarding-completion.entity.js';
import { OnboardingSkip } from './entities/onboarding-skip.entity.js';
import { RequirementLevelOverride } from './entities/requirement-level-override.entity.js';
import { FeatureFlagsController } from './flags/feature-flags.controller.js';
import { FeatureFlagsService } from './flags/feature-flags.service.js';
import { NoticeDispatcher } from './notices/notice-dispatcher.js';
import { NoticeLedger } from './notices/notice-ledger.js';
import { NoticeWatch } from './notices/notice-watch.js';
import { NoticesController } from './notices/notices.controller.js';
import { NoticesService } from './notices/notices.service.js';
import { onboardingAcl } from './onboarding.acl.js';
import { contributeOnboardingOpenApi } from './onboarding-openapi.js';
import { OnboardingController } from './steps/onboarding.controller.js';
import { OnboardingService } from './steps/onboarding.service.js';
import { OnboardingCatalog } from './template/onboarding-catalog.js';

/**
 * Onboarding (the template's steps, requirement levels, skips, launch), integration feature flags
 * (which pause providers' automatic work through the integrations module's AutomationGate), and
 * notices when one of the account's connections needs attention.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([
      RequirementLevelOverride,
      OnboardingSkip,
      OnboardingCompletion,
      FeatureFlagOverride,
      Notice,
      NoticeSignal,
      NoticeDelivery,
      NoticeSettings,
      NoticePreference,
      NoticeSyncStreak,
    ]),
    AccountsModule,
    EventsModule,
    IntegrationsModule,
    PluginsModule,
  ],
  controllers: [OnboardingController, FeatureFlagsController, NoticesController],
  providers: [OnboardingCatalog, OnboardingService, FeatureFlagsService, NoticeLedger, NoticeWatch, NoticeDispatcher, NoticesService],
  exports: [FeatureFlagsService],
})
export class OnboardingModule {
  constructor(acls: AclRegistry, openApi: OpenApiContributions) {
    acls.register(onboardingAcl);
    openApi.register(contributeOnboardingOpenApi);
  }
}
