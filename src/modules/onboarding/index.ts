/** The onboarding module's public surface: its Nest module and feature flag values (the MCP switch). */
export { OnboardingModule } from './onboarding.module.js';
export { FeatureFlagsService } from './flags/feature-flags.service.js';
