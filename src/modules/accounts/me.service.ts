import { packRules } from '@casl/ability/extra';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { NotFoundError } from '../../core/errors/app-errors.js';
import { AccessService, PERMISSIONS } from '../rbac/index.js';
import { AccountStandings } from './account-standings.js';
import { MeDto } from './dto/me.dto.js';

@Injectable()
export class MeService {
  constructor(
    private readonly standings: AccountStandings,
    private readonly access: AccessService,
  ) {}

  async describe(caller: AccountCaller): Promise<MeDto> {
    const [account, { ability, plan, usage }] = await Promise.all([this.standings.account(caller.accountId), this.access.context(caller, { withUsage: true })]);
    if (!account) throw new NotFoundError('Account');
    const limits: Record<string, number | null> = { webhooks: plan.webhooks ? null : 0 };
    for (const [category, limit] of Object.entries(plan.integrations)) limits[`integrations.${category}`] = limit;
    limits['api_keys.test'] = plan.apiKeys.test;
    limits['api_keys.live'] = plan.apiKeys.live;
    return {
      ...(caller.kind === 'member' ? { userId: caller.userId } : { apiKeyId: caller.apiKeyId }),
      account: { id: account.id, name: account.name },
      instanceAdmin: caller.instanceAdmin,
      livemode: caller.livemode,
      role: caller.role,
      permissions: PERMISSIONS.filter((permission) => caller.permissions.has(permission)),
      rules: packRules(ability.rules),
      plan: plan.key,
      limits,
      usage,
    };
  }
}
