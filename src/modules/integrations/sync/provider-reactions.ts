import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Sql } from '../../../core/database/entity-rows.js';
import { AppError } from '../../../core/errors/app-errors.js';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { EventsService, type StoredEvent } from '../../events/index.js';
import { PluginRegistry } from '../../plugins/index.js';
import { Integration } from '../entities/integration.entity.js';
import { ProviderEventTask } from '../entities/provider-event-task.entity.js';
import { ProviderCalls } from '../calls/provider-calls.js';
import { AutomationGate } from './automation-gate.js';

const MAX_ATTEMPTS = 5;
const BATCH = 50;
/** Provider ids and event types are identifiers (as plugin descriptions require), so they need no escaping in an array literal. */
const IDENTIFIER = /^[a-z0-9_.]+$/;

/** Tasks for the connections whose plugin handles the event: `?` is the handled pairs, as "provider type". */
const FAN_OUT_STATEMENT = `insert into provider_event_tasks (id, integration_id, event_id, event_type, status, attempts, next_attempt_at, created_at)
  select gen_random_uuid(), i.id, p.id, p.type, 'pending', 0, p.created_at, p.created_at
    from published p join integrations i on i.account_id = p.account_id and i.livemode = p.livemode and i.auto_sync and i.status = 'connected'
   where i.provider || ' ' || p.type = any(?::text[])
  returning id`;

/**
 * Lets plugins react to Plugboard events (`onEvent`) for integrations with autoSync on. A task row is
 * written with the event, atomically; a once-per-cluster task runs due tasks with backoff, and skips
 * those whose provider the AutomationGate pauses for the account when they come due.
 */
@Injectable()
export class ProviderReactions implements OnModuleInit {
  private readonly logger = new Logger(ProviderReactions.name);
  private handled?: { pairs: Array<[string, string]>; literal: string };

  constructor(
    private readonly em: EntityManager,
    private readonly events: EventsService,
    private readonly registry: PluginRegistry,
    private readonly calls: ProviderCalls,
    private readonly maintenance: MaintenanceScheduler,
    private readonly gate: AutomationGate,
  ) {}

  onModuleInit(): void {
    this.registry.onChange(() => (this.handled = undefined));
    const fanOutStatement = () => this.fanOutStatement();
    this.events.registerFanOut({
      inUnitOfWork: (em, event) => this.fanOut(em, event),
      // Read at every publish: the handlers follow plugin installs.
      get statement() {
        return fanOutStatement();
      },
      afterCommit: () => Promise.resolve(),
    });
    this.maintenance.register({ name: 'integrations.provider-events', everyMs: 2000, run: () => this.runDue() });
  }

  /** (provider, event type) pairs some loaded plugin handles, as they are now (rebuilt when plugins change). */
  private handlers(): Array<[string, string]> {
    return this.handledPairs().pairs;
  }

  /** The pairs are a parameter ("provider type" strings, as an array literal made once): the text stays the same whatever plugins are loaded. */
  private fanOutStatement(): Sql {
    return { text: FAN_OUT_STATEMENT, params: [this.handledPairs().literal] };
  }

  private handledPairs(): { pairs: Array<[string, string]>; literal: string } {
    if (!this.handled) {
      const pairs = this.registry
        .providers()
        .flatMap((provider) => provider.events.map((type) => [provider.id, type] as [string, string]))
        .filter(([provider, type]) => IDENTIFIER.test(provider) && IDENTIFIER.test(type));
      this.handled = { pairs, literal: `{${pairs.map(([provider, type]) => `"${provider} ${type}"`).join(',')}}` };
    }
    return this.handled;
  }

  private async fanOut(em: EntityManager, event: StoredEvent): Promise<void> {
    const providers = this.handlers()
      .filter(([, type]) => type === event.type)
      .map(([provider]) => provider);
    if (providers.length === 0) return;
    const integrations = await em.find(
      Integration,
      { accountId: event.accountId, livemode: event.livemode, autoSync: true, status: 'connected', provider: { $in: providers } },
      { fields: ['id'] },
    );
    for (const integration of integrations) {
      em.persist(em.create(ProviderEventTask, { integrationId: integration.id, eventId: event.id, eventType: event.type }));
    }
  }

  async runDue(): Promise<number> {
    const em = this.em.fork();
    const tasks = await em.find(ProviderEventTask, { status: 'pending', nextAttemptAt: { $lte: new Date() } }, { orderBy: { createdAt: 'asc' }, limit: BATCH });
    for (const task of tasks) {
      task.attempts += 1;
      try {
        const integration = await em.findOne(Integration, { id: task.integrationId });
        const event = await this.events.find(task.eventId);
        if (!integration || integration.status !== 'connected' || !event) {
          task.status = 'failed';
          task.lastError = event ? 'the integration is no longer connected' : 'the event was deleted by log retention before it ran';
        } else if (!(await this.gate.allows(integration, integration.provider))) {
          task.status = 'skipped';
          task.lastError = `the account has paused ${integration.provider}'s automatic work`;
        } else {
          const input = {
            id: event.id,
            event: event.type,
            timestamp: event.createdAt.toISOString(),
            accountId: event.accountId,
            livemode: event.livemode,
            data: event.data,
          };
          await this.calls.invoke(integration, { kind: 'onEvent', name: task.eventType, input });
          task.status = 'done';
          task.lastError = null;
        }
      } catch (error) {
        task.lastError = error instanceof AppError ? error.message : 'unexpected failure';
        task.status = task.attempts >= MAX_ATTEMPTS ? 'failed' : 'pending';
        task.nextAttemptAt = new Date(Date.now() + 5000 * 2 ** task.attempts);
        if (!(error instanceof AppError)) this.logger.error({ err: error, taskId: task.id }, 'onEvent failed');
      }
      await em.flush();
    }
    return tasks.length;
  }
}
