import { packRules } from '@casl/ability/extra';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { AccessService, PERMISSIONS } from '../rbac/index.js';
import { MeDto } from './dto/me.dto.js';
import { Account } from './entities/account.entity.js';

@Injectable()
export class MeService {
  constructor(
    private readonly em: EntityManager,
    private readonly access: AccessService,
  ) {}

  async describe(caller: AccountCaller): Promise<MeDto> {
    const account = await this.em.findOneOrFail(Account, { id: caller.accountId });
    const { ability, plan, usage } = await this.access.context(caller);
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
