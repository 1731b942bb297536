import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Caller } from '../../../core/auth/caller.js';
import { AuditService } from '../../audit/index.js';
import { EventsService } from '../../events/index.js';
import type { Integration } from '../entities/integration.entity.js';

export type LifecycleEvent =
  'integration.connected' | 'integration.disconnected' | 'integration.expired' | 'integration.error' | 'integration.sync.completed' | 'integration.sync.failed';

/**
 * Every integration status change is published as an event (webhooks deliver it) and audited, in the
 * same unit of work as the change itself.
 */
@Injectable()
export class IntegrationHistory {
  constructor(
    private readonly events: EventsService,
    private readonly auditLog: AuditService,
  ) {}

  async record(
    em: EntityManager,
    integration: Integration,
    type: LifecycleEvent,
    caller: Caller | 'system',
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const data = {
      integrationId: integration.id,
      connectionId: integration.id,
      provider: integration.provider,
      category: integration.category,
      status: integration.status,
      owner: integration.owner,
      ...(integration.memberId ? { memberId: integration.memberId } : {}),
      ...(integration.endUserId ? { endUserId: integration.endUserId } : {}),
      tags: integration.tags,
      label: integration.label ?? null,
      ...extra,
    };
    await this.events.publish(em, { accountId: integration.accountId, livemode: integration.livemode, type, data });
    this.audit(em, caller, integration, type, extra);
  }

  /** Audits a change that publishes no event (configuration, plan suspensions). */
  audit(em: EntityManager, caller: Caller | 'system', integration: Integration, action: string, details: Record<string, unknown> = {}): void {
    const record = {
      action,
      accountId: integration.accountId,
      targetType: 'integration',
      targetId: integration.id,
      details: { provider: integration.provider, ...details },
    };
    if (caller === 'system') this.auditLog.recordForAccount(em, integration.accountId, record);
    else this.auditLog.record(em, caller, record);
  }
}
