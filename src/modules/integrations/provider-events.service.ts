import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppError } from '../../core/errors/app-errors.js';
import { MaintenanceScheduler } from '../../core/queue/maintenance.js';
import type { Event } from '../events/entities/event.entity.js';
import { EventsService } from '../events/events.service.js';
import { PluginRegistry } from '../plugins/plugin-registry.js';
import { Integration } from './entities/integration.entity.js';
import { ProviderEventTask } from './entities/provider-event-task.entity.js';
import { ProviderCalls } from './provider-calls.js';

const MAX_ATTEMPTS = 5;
const BATCH = 50;

/**
 * Lets plugins react to Plugboard events (`onEvent`) for integrations with autoSync on. A task row is
 * written in the event's own transaction; a once-per-cluster task runs due tasks with backoff.
 */
@Injectable()
export class ProviderEventsService implements OnModuleInit {
  private readonly logger = new Logger(ProviderEventsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly events: EventsService,
    private readonly registry: PluginRegistry,
    private readonly calls: ProviderCalls,
    private readonly maintenance: MaintenanceScheduler,
  ) {}

  onModuleInit(): void {
    this.events.registerFanOut((em, event) => this.fanOut(em, event));
    this.maintenance.register({ name: 'integrations.provider-events', everyMs: 2000, run: () => this.runDue() });
  }

  private async fanOut(em: EntityManager, event: Event): Promise<void> {
    const providers = this.registry.providers().filter((provider) => provider.events.includes(event.type)).map((provider) => provider.id);
    if (providers.length === 0) return;
    const integrations = await em.find(
      Integration,
      { accountId: event.accountId, livemode: event.livemode, autoSync: true, status: 'connected', provider: { $in: providers } },
      { fields: ['id'] },
    );
    for (const integration of integrations) {
      em.persist(
        em.create(ProviderEventTask, {
          integrationId: integration.id,
          eventId: event.id,
          eventType: event.type,
          payload: { id: event.id, event: event.type, timestamp: event.createdAt.toISOString(), accountId: event.accountId, livemode: event.livemode, data: event.data },
        }),
      );
    }
  }

  async runDue(): Promise<number> {
    const em = this.em.fork();
    const tasks = await em.find(ProviderEventTask, { status: 'pending', nextAttemptAt: { $lte: new Date() } }, { orderBy: { createdAt: 'asc' }, limit: BATCH });
    for (const task of tasks) {
      const integration = await em.findOne(Integration, { id: task.integrationId });
      task.attempts += 1;
      try {
        if (!integration || integration.status !== 'connected') {
          task.status = 'failed';
          task.lastError = 'the integration is no longer connected';
        } else {
          await this.calls.invoke(integration, { kind: 'onEvent', name: task.eventType, input: task.payload });
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
