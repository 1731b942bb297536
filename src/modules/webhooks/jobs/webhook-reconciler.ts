import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { WebhookQueue } from '../webhook-queue.js';

/** Any number that no other advisory lock of Plugboard uses. */
const RECONCILER_LOCK = 0x5eb400c;
const BATCH = 5000;

/**
 * Every RECONCILE_INTERVAL_MS, in worker processes: finds deliveries that PostgreSQL says are due but
 * that nobody has taken for a whole interval (their job was lost with Redis, or their worker died and
 * its lease ran out) and enqueues them again. One process does it at a time (advisory lock). It is a
 * timer, not a Bull repeatable job, because it must keep running when Redis has lost every job.
 */
@Injectable()
export class WebhookReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookReconciler.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly queue: WebhookQueue,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.role === 'api') return;
    this.timer = setInterval(() => void this.tick(), this.config.reconcileIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const ids = await this.overdue();
      if (ids.length > 0) {
        this.logger.log({ deliveries: ids.length }, 're-enqueued overdue webhook deliveries');
        await this.queue.enqueue(ids);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'webhook reconciliation failed; retrying next interval');
    } finally {
      this.running = false;
    }
  }

  async overdue(): Promise<string[]> {
    return this.em.fork().transactional(async (em) => {
      const [{ locked }] = await em.execute<{ locked: boolean }[]>(`select pg_try_advisory_xact_lock(?) as locked`, [RECONCILER_LOCK]);
      if (!locked) return [];
      const rows = await em.execute<{ id: string }[]>(
        `select id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= now() - ? * interval '1 millisecond'
            and (locked_until is null or locked_until < now())
          order by next_attempt_at limit ?`,
        [this.config.reconcileIntervalMs, BATCH],
      );
      return rows.map((row) => row.id);
    });
  }
}
