import { type ModuleAcl, OWNER_ROLE } from '../rbac/index.js';

/**
 * Two subjects the route permissions do not settle alone:
 * - `RequirementLevel`: only the account's owners change a provider's level for their account
 *   (instance administrators do it through the instance routes);
 * - `NoticePreferences` with `{ userId }`: a member reads and changes only their own (API keys have none).
 * Nothing here is limited by plan.
 */
export const onboardingAcl: ModuleAcl = {
  subjects: ['RequirementLevel', 'NoticePreferences'],
  define({ can }, { caller }) {
    if (caller.kind === 'member' && caller.role === OWNER_ROLE) can('change', 'RequirementLevel');
    if (caller.kind === 'member' && caller.permissions.has('integrations.view')) can(['view', 'change'], 'NoticePreferences', { userId: caller.userId });
  },
  planFeature: () => ({ feature: 'onboarding', limit: null }),
};
