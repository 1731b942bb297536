/** The onboarding module's public surface: its Nest module (nothing else is used by other modules). */
export { OnboardingModule } from './onboarding.module.js';
