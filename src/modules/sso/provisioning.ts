import type { MembersService } from '../accounts/index.js';
import type { SettingsGuard } from '../integrations/index.js';

/** The role an SSO integration's settings give people on their first sign-in, when provisioning is on. */
export function provisioningRole(settings: Record<string, unknown> | undefined): string | undefined {
  const provisioning = settings?.provisioning as { enabled?: unknown; role?: unknown } | undefined;
  return provisioning?.enabled === true && typeof provisioning.role === 'string' ? provisioning.role : undefined;
}

/**
 * Provisioning hands a role to whoever the provider lets in, so it follows the rule for everything that
 * carries permissions: configuring it — or changing the credentials, settings or default of an account
 * integration that has it (which decides who gets in) — needs `members.manage` and every permission of
 * the role (the role it gives and the role it would give); owners only by owners.
 */
export function provisioningGuard(members: MembersService): SettingsGuard {
  return async (caller, { owner, before, after }) => {
    // The broker signs in with the account's own connection only.
    if (owner !== 'account') return;
    const given = provisioningRole(before);
    const wanted = provisioningRole(after);
    if (wanted) await members.assertMayProvision(caller, wanted);
    if (given && given !== wanted) await members.assertMayProvision(caller, given, false);
  };
}
