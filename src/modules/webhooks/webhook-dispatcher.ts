import { EntityManager } from '@mikro-orm/postgresql';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { AuditService } from '../audit/index.js';
import { EventsService, type StoredEvent } from '../events/index.js';
import { EndpointAnswers, judgeEndpointHealth } from './endpoint-health.js';
import { ClaimedDelivery, WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import { WebhookQueue } from './webhook-queue.js';
import { SendResult, WebhookSender } from './webhook-sender.js';

/** A claimed delivery with the event it carries. */
interface Outgoing {
  delivery: ClaimedDelivery;
  event: StoredEvent;
}

interface Sent {
  delivery: ClaimedDelivery;
  result: SendResult;
}

/** How long a dispatch waits for others to join its claim, and how large a claim may grow. */
const BATCH_WINDOW_MS = 5;
const MAX_BATCH = 500;
/** How long finished attempts wait for others to share their write. */
const RECORD_WINDOW_MS = 10;
const MAX_IN_FLIGHT = 1000;

/**
 * Sends due deliveries with back-pressure: claims them in batches (a lease in PostgreSQL, so two workers
 * never send the same one at once and a killed worker's come back when the lease ends), hands them to
 * the sender concurrently, records the outcomes as they complete (many per statement), disables
 * endpoints whose health says so, and schedules retries.
 */
@Injectable()
export class WebhookDispatcher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private batch?: { ids: Set<string>; claimed: Promise<void> };
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private readonly completed: Sent[] = [];
  private flushTimer?: NodeJS.Timeout;
  private recording: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly sender: WebhookSender,
    private readonly queue: WebhookQueue,
    private readonly events: EventsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Takes those of `deliveryIds` that are due and not held by another worker, and starts sending them.
   * Calls arriving within BATCH_WINDOW_MS share one claim query; outcomes are written as they complete,
   * gathered over RECORD_WINDOW_MS into one statement. Resolves once the deliveries are claimed, so a
   * slow endpoint holds neither the queue nor other endpoints' deliveries; at most MAX_IN_FLIGHT are
   * sent or recorded at once (the queue waits beyond that).
   */
  async dispatch(deliveryIds: readonly string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    while (this.inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => this.waiters.push(resolve));
    let batch = this.batch;
    if (!batch || batch.ids.size >= MAX_BATCH) {
      const ids = new Set<string>();
      const claimed = new Promise((resolve) => setTimeout(resolve, BATCH_WINDOW_MS)).then(async () => {
        if (this.batch?.ids === ids) this.batch = undefined;
        for (const outgoing of await this.claim([...ids])) this.start(outgoing);
      });
      batch = this.batch = { ids, claimed };
    }
    for (const id of deliveryIds) batch.ids.add(id);
    await batch.claimed;
  }

  /**
   * A test send: one attempt now, even to a disabled endpoint, no retries, no effect on the endpoint's
   * health. Returns the attempt's id (undefined if the delivery was not due).
   */
  async sendTest(deliveryId: string): Promise<string | undefined> {
    const [outgoing] = await this.claim([deliveryId]);
    if (!outgoing) return undefined;
    const { delivery, event } = outgoing;
    const result = await this.sender.send(delivery, event, true);
    await this.record([{ delivery, result }], true);
    return result.attempt.id;
  }

  /** Lets in-flight deliveries finish and be recorded before the process stops (bounded by their lease). */
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + this.config.webhooks.timeoutMs + 5000;
    while ((this.inFlight > 0 || this.batch) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private start({ delivery, event }: Outgoing): void {
    this.inFlight++;
    this.sender.send(delivery, event, false).then(
      (result) => {
        this.completed.push({ delivery, result });
        this.flushTimer ??= setTimeout(() => {
          this.flushTimer = undefined;
          this.recording = this.recording.then(() => this.flush());
        }, RECORD_WINDOW_MS);
      },
      (error: unknown) => {
        // Left claimed: the lease runs out and the reconciler sends it again.
        this.logger.error({ err: error, deliveryId: delivery.id }, 'webhook delivery could not be sent');
        this.release(1);
      },
    );
  }

  private async flush(): Promise<void> {
    const group = this.completed.splice(0);
    if (group.length === 0) return;
    try {
      await this.record(group, false);
      const retries = new Map<number, string[]>();
      for (const { result } of group) {
        if (result.retryInMs === null) continue;
        retries.set(result.retryInMs, [...(retries.get(result.retryInMs) ?? []), result.update.id]);
      }
      for (const [delayMs, ids] of retries) await this.queue.enqueue(ids, delayMs);
    } catch (error) {
      // Not recorded: the leases run out and the reconciler sends these again (at least once).
      this.logger.error({ err: error, deliveries: group.length }, 'webhook outcomes could not be recorded');
    } finally {
      this.release(group.length);
    }
  }

  private release(count: number): void {
    this.inFlight -= count;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Claims the due deliveries among `ids` and reads their events (two queries for the whole batch). */
  private async claim(ids: readonly string[]): Promise<Outgoing[]> {
    const claimed = await this.deliveries.claim(ids, this.config.webhooks.timeoutMs + 5000);
    const events = await this.events.byIds(claimed.map((delivery) => delivery.event_id));
    // An event is deleted only with its deliveries (log retention), so a missing one means the delivery is gone too.
    return claimed.flatMap((delivery) => {
      const event = events.get(delivery.event_id);
      return event ? [{ delivery, event }] : [];
    });
  }

  /** Records a batch whole (a test send leaves the endpoint's health alone), then disables what must be. */
  private async record(sent: Sent[], test: boolean): Promise<void> {
    const health = judgeEndpointHealth(test ? [] : byEndpoint(sent), this.config.webhooks.disableAfterMs);
    await this.deliveries.recordOutcomes({
      attempts: sent.map(({ result }) => result.attempt),
      updates: sent.map(({ result }) => result.update),
      recoveredEndpointIds: health.recovered,
      failingEndpoints: health.failing,
    });
    for (const { id, reason } of health.disable) await this.em.fork().transactional((em) => this.disable(em, id, reason));
  }

  /**
   * Turns the endpoint off, fails what was still pending for it, and tells the account: an audit entry
   * and a `webhook.endpoint.disabled` event (delivered to the account's other endpoints).
   */
  private async disable(em: EntityManager, endpointId: string, reason: 'failing' | 'gone'): Promise<void> {
    const disabled = await this.deliveries.disableEndpoint(em, endpointId, reason);
    if (!disabled) return;
    const { accountId, livemode, url } = disabled;
    const failingSince = disabled.failingSince?.toISOString() ?? null;
    this.logger.warn({ endpointId, reason }, 'webhook endpoint disabled');
    this.audit.recordForAccount(em, accountId, {
      action: 'webhook_endpoint.disabled',
      targetType: 'webhook_endpoint',
      targetId: endpointId,
      details: { reason, url, failingSince, livemode },
    });
    await this.events.publish(em, { accountId, livemode, type: 'webhook.endpoint.disabled', data: { endpointId, url, reason, failingSince } });
  }
}

/** The batch's answers grouped by endpoint, with each endpoint's state as claimed. */
function byEndpoint(sent: Sent[]): EndpointAnswers[] {
  const endpoints = new Map<string, EndpointAnswers>();
  for (const { delivery, result } of sent) {
    let endpoint = endpoints.get(delivery.endpoint_id);
    if (!endpoint) {
      endpoint = {
        endpointId: delivery.endpoint_id,
        enabled: delivery.enabled,
        failingSince: delivery.failing_since ? new Date(delivery.failing_since) : null,
        attempts: [],
      };
      endpoints.set(delivery.endpoint_id, endpoint);
    }
    endpoint.attempts.push({ succeeded: result.succeeded, gone: result.gone, at: new Date(result.attempt.created_at) });
  }
  return [...endpoints.values()];
}
