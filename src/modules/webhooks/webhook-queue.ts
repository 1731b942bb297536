import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { QUEUES } from '../../core/queue/queues.js';

/** Payload of a `deliver` job: deliveries to look at now. PostgreSQL decides whether each is still due. */
export interface DeliverJob {
  deliveryIds: string[];
}

export function isDeliverJob(value: unknown): value is DeliverJob {
  const ids = (value as { deliveryIds?: unknown } | null)?.deliveryIds;
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id));
}

const JOB_SIZE = 100;
const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * Enqueues delivery work. Failing to reach Redis is logged, never thrown: the deliveries are already in
 * PostgreSQL, and the reconciler enqueues them when they are overdue.
 */
@Injectable()
export class WebhookQueue {
  private readonly logger = new Logger(WebhookQueue.name);

  constructor(@InjectQueue(QUEUES.webhookDeliveries) private readonly queue: Queue) {}

  /** Deliveries due now from publishes that completed in this turn of the event loop, enqueued together. */
  private gathering?: { deliveryIds: string[]; added: Promise<void> };

  /**
   * Enqueues deliveries to be sent after `delayMs`. Those due now are gathered until the end of the
   * current turn of the event loop, so a burst of publishes becomes a few jobs rather than one each:
   * a job costs Redis several round trips whether it carries one delivery or a hundred.
   */
  enqueue(deliveryIds: readonly string[], delayMs = 0): Promise<void> {
    if (deliveryIds.length === 0) return Promise.resolve();
    if (delayMs > 0) return this.add(deliveryIds, delayMs);
    let gathering = this.gathering;
    if (!gathering) {
      const gathered: string[] = [];
      const added = new Promise((resolve) => setImmediate(resolve)).then(() => {
        this.gathering = undefined;
        return this.add(gathered, 0);
      });
      gathering = this.gathering = { deliveryIds: gathered, added };
    }
    gathering.deliveryIds.push(...deliveryIds);
    return gathering.added;
  }

  private async add(deliveryIds: readonly string[], delayMs: number): Promise<void> {
    const jobs = [];
    for (let start = 0; start < deliveryIds.length; start += JOB_SIZE) {
      jobs.push({
        name: 'deliver',
        data: { deliveryIds: deliveryIds.slice(start, start + JOB_SIZE) } satisfies DeliverJob,
        opts: { delay: delayMs > 0 ? delayMs : undefined, removeOnComplete: true, removeOnFail: 1000, attempts: 1 },
      });
    }
    await this.withTimeout(this.queue.addBulk(jobs), 'deliver');
  }

  private async withTimeout(work: Promise<unknown>, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([work, timeout]);
    } catch (error) {
      work.catch(() => undefined);
      this.logger.warn({ err: error, job: what }, 'could not enqueue webhook work; the reconciler will pick it up');
    } finally {
      clearTimeout(timer);
    }
  }
}
