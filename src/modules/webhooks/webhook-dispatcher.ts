import { randomUUID } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { CredentialKeyring } from '../../core/crypto/keyring.js';
import { SafeHttpClient } from '../../core/http/safe-http.js';
import { MetricsService } from '../../core/metrics/metrics.service.js';
import { AuditService } from '../audit/audit.service.js';
import { EventsService } from '../events/events.service.js';
import type { DeliveryStatus } from './entities/webhook-delivery.entity.js';
import type { DisabledReason } from './entities/webhook-endpoint.entity.js';
import { WebhookQueue } from './webhook-queue.js';
import { parseRetryAfter, RetryPolicy } from './retry-policy.js';
import { signatureHeader } from './webhook-signature.js';

const BODY_EXCERPT_BYTES = 4096;
const USER_AGENT = 'Plugboard-Webhooks/1 (+https://www.standardwebhooks.com)';

/** A delivery taken by this worker, with what sending it needs (one query for the whole batch). */
interface ClaimedDelivery {
  id: string;
  attempts: number;
  round_attempts: number;
  endpoint_id: string;
  url: string;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  account_id: string;
  livemode: boolean;
  event_id: string;
  event_type: string;
  data: Record<string, unknown>;
  event_created_at: Date;
}

interface AttemptRecord {
  id: string;
  delivery_id: string;
  request_headers: Record<string, string>;
  response_status: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
  created_at: string;
}

interface DeliveryUpdate {
  id: string;
  status: DeliveryStatus;
  attempts: number;
  round_attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  response_status: number | null;
}

interface SendResult {
  attempt: AttemptRecord;
  update: DeliveryUpdate;
  endpointId: string;
  succeeded: boolean;
  /** Set when this answer disables the endpoint at once (410 Gone). */
  gone: boolean;
  retryInMs: number | null;
  previousFailingSince: Date | null;
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
 * Sends due deliveries: claims them in PostgreSQL (a lease, so two workers never send the same one at
 * once and a killed worker's deliveries come back when the lease ends), signs and POSTs them
 * concurrently, records attempts and outcomes as they complete (many per statement), and schedules
 * retries.
 */
@Injectable()
export class WebhookDispatcher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly retryPolicy: RetryPolicy;
  private readonly secrets = new Map<string, string>();
  private batch?: { ids: Set<string>; claimed: Promise<void> };
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private readonly completed: Sent[] = [];
  private flushTimer?: NodeJS.Timeout;
  private recording: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly http: SafeHttpClient,
    private readonly keyring: CredentialKeyring,
    private readonly queue: WebhookQueue,
    private readonly events: EventsService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {
    this.retryPolicy = new RetryPolicy(config.webhooks.retrySchedule);
  }

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
        for (const delivery of await this.claim([...ids])) this.start(delivery);
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
    const [delivery] = await this.claim([deliveryId]);
    if (!delivery) return undefined;
    const result = await this.send(delivery, true);
    await this.record([{ delivery, result }], true);
    return result.attempt.id;
  }

  /** Lets in-flight deliveries finish and be recorded before the process stops (bounded by their lease). */
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + this.config.webhooks.timeoutMs + 5000;
    while ((this.inFlight > 0 || this.batch) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private start(delivery: ClaimedDelivery): void {
    this.inFlight++;
    this.send(delivery, false).then(
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

  private async claim(ids: readonly string[]): Promise<ClaimedDelivery[]> {
    const leaseMs = this.config.webhooks.timeoutMs + 5000;
    return this.em.fork().execute<ClaimedDelivery[]>(
      `update webhook_deliveries d
          set locked_until = now() + ? * interval '1 millisecond'
         from webhook_endpoints e, events ev
        where d.id in (?) and d.status = 'pending'
          and d.next_attempt_at <= now() + interval '1 second'
          and (d.locked_until is null or d.locked_until < now())
          and e.id = d.endpoint_id and ev.id = d.event_id
        returning d.id, d.attempts, d.round_attempts, d.endpoint_id, e.url, e.enabled, e.secret, e.previous_secret,
                  e.previous_secret_expires_at, e.failing_since, d.account_id, d.livemode, d.event_id,
                  ev.type as event_type, ev.data, ev.created_at as event_created_at`,
      [leaseMs, ids],
    );
  }

  private async send(delivery: ClaimedDelivery, test: boolean): Promise<SendResult> {
    const startedAt = new Date();
    const body = JSON.stringify({
      id: delivery.event_id,
      event: delivery.event_type,
      timestamp: new Date(delivery.event_created_at).toISOString(),
      accountId: delivery.account_id,
      livemode: delivery.livemode,
      data: delivery.data,
    });
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': delivery.event_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(this.signingSecrets(delivery, startedAt), delivery.event_id, timestamp, body),
    };
    let status: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    let retryAfterMs: number | undefined;
    let timedOut = false;
    const disabled = !delivery.enabled && !test;
    if (disabled) {
      error = 'The endpoint is disabled';
    } else {
      try {
        const response = await this.http.request(delivery.url, { method: 'POST', headers, body, timeoutMs: this.config.webhooks.timeoutMs });
        status = response.statusCode;
        if (status === 429 || status === 503) retryAfterMs = parseRetryAfter(headerValue(response.headers['retry-after']));
        excerpt = await readExcerpt(response.body);
      } catch (caught) {
        timedOut = isTimeout(caught);
        error = describeFailure(caught, this.config.webhooks.timeoutMs);
      }
    }
    const finishedAt = new Date();
    const succeeded = status !== null && status >= 200 && status < 300;
    if (!disabled) this.metrics.webhookDelivery(succeeded ? 'succeeded' : timedOut ? 'timed_out' : 'failed');
    const gone = status === 410;
    const attempts = delivery.attempts + 1;
    const roundAttempts = delivery.round_attempts + 1;
    const retryInMs = succeeded || gone || disabled || test ? null : this.retryPolicy.nextDelay(roundAttempts, retryAfterMs);
    const nextStatus: DeliveryStatus = succeeded ? 'succeeded' : retryInMs === null ? 'failed' : 'pending';
    return {
      attempt: {
        id: randomUUID(),
        delivery_id: delivery.id,
        request_headers: headers,
        response_status: status,
        response_body: excerpt,
        duration_ms: finishedAt.getTime() - startedAt.getTime(),
        error,
        created_at: startedAt.toISOString(),
      },
      update: {
        id: delivery.id,
        status: nextStatus,
        attempts,
        round_attempts: roundAttempts,
        next_attempt_at: retryInMs === null ? null : new Date(finishedAt.getTime() + retryInMs).toISOString(),
        last_attempt_at: startedAt.toISOString(),
        response_status: status,
      },
      endpointId: delivery.endpoint_id,
      succeeded,
      gone,
      retryInMs,
      previousFailingSince: delivery.failing_since ? new Date(delivery.failing_since) : null,
    };
  }

  /** The endpoint's secret, plus the rotated-out one while its overlap lasts. Decrypted once per ciphertext. */
  private signingSecrets(delivery: ClaimedDelivery, now: Date): string[] {
    const context = `webhook-endpoint:${delivery.endpoint_id}`;
    const secrets = [this.reveal(delivery.secret, context)];
    if (delivery.previous_secret && delivery.previous_secret_expires_at && new Date(delivery.previous_secret_expires_at) > now) {
      secrets.push(this.reveal(delivery.previous_secret, context));
    }
    return secrets;
  }

  private reveal(sealed: string, context: string): string {
    let secret = this.secrets.get(sealed);
    if (secret === undefined) {
      if (this.secrets.size > 10_000) this.secrets.clear();
      secret = this.keyring.decrypt(sealed, context);
      this.secrets.set(sealed, secret);
    }
    return secret;
  }

  /**
   * Attempts, outcomes and endpoint health (failing since when, or recovered) in one statement, so one
   * round trip records a whole batch atomically. Endpoints that must be disabled are then disabled.
   */
  private async record(sent: Sent[], test: boolean): Promise<void> {
    const byEndpoint = new Map<string, { delivery: ClaimedDelivery; results: SendResult[] }>();
    for (const { delivery, result } of sent) {
      const entry = byEndpoint.get(delivery.endpoint_id) ?? { delivery, results: [] };
      entry.results.push(result);
      byEndpoint.set(delivery.endpoint_id, entry);
    }
    const results = sent.map(({ result }) => result);
    const recovered: string[] = [];
    const failing: { id: string; at: string }[] = [];
    const toDisable: [string, 'gone' | 'failing'][] = [];
    for (const [endpointId, { delivery, results: endpointResults }] of test ? [] : byEndpoint) {
      if (!delivery.enabled) continue;
      if (endpointResults.some((result) => result.succeeded)) {
        if (delivery.failing_since) recovered.push(endpointId);
        continue;
      }
      const failedAt = endpointResults[0].attempt.created_at;
      const failingSince = endpointResults[0].previousFailingSince;
      if (endpointResults.some((result) => result.gone)) toDisable.push([endpointId, 'gone']);
      else if (failingSince && Date.parse(failedAt) - failingSince.getTime() >= this.config.webhooks.disableAfterMs) toDisable.push([endpointId, 'failing']);
      else if (!failingSince) failing.push({ id: endpointId, at: failedAt });
    }
    await this.em.fork().execute(
      `with attempts as (
         insert into webhook_attempts (id, delivery_id, request_headers, response_status, response_body, duration_ms, error, created_at)
         select id, delivery_id, request_headers, response_status, response_body, duration_ms, error, created_at
           from jsonb_to_recordset(?::jsonb) as v(id uuid, delivery_id uuid, request_headers jsonb, response_status int,
                                                  response_body text, duration_ms int, error text, created_at timestamptz)
       ), outcomes as (
         update webhook_deliveries d
            set status = v.status, attempts = v.attempts, round_attempts = v.round_attempts, next_attempt_at = v.next_attempt_at,
                last_attempt_at = v.last_attempt_at, response_status = v.response_status, locked_until = null
           from jsonb_to_recordset(?::jsonb) as v(id uuid, status text, attempts int, round_attempts int,
                                                  next_attempt_at timestamptz, last_attempt_at timestamptz, response_status int)
          where d.id = v.id
       ), recovered as (
         update webhook_endpoints set failing_since = null
          where id in (select value::uuid from jsonb_array_elements_text(?::jsonb)) and failing_since is not null
       )
       update webhook_endpoints e set failing_since = v.at
         from jsonb_to_recordset(?::jsonb) as v(id uuid, at timestamptz)
        where e.id = v.id and e.failing_since is null`,
      [
        JSON.stringify(results.map((result) => result.attempt)),
        JSON.stringify(results.map((result) => result.update)),
        JSON.stringify(recovered),
        JSON.stringify(failing),
      ],
      'run',
    );
    for (const [endpointId, reason] of toDisable) {
      await this.em.fork().transactional((em) => this.disable(em, endpointId, reason));
    }
  }

  /**
   * Turns the endpoint off, fails what was still pending for it, and tells the account: an audit entry
   * and a `webhook.endpoint.disabled` event (delivered to the account's other endpoints).
   */
  private async disable(em: EntityManager, endpointId: string, reason: Extract<DisabledReason, 'failing' | 'gone'>): Promise<void> {
    const rows = await em.execute<{ account_id: string; livemode: boolean; url: string; failing_since: Date | null }[]>(
      `update webhook_endpoints set enabled = false, disabled_reason = ?, updated_at = now()
        where id = ? and enabled = true
        returning account_id, livemode, url, failing_since`,
      [reason, endpointId],
    );
    if (rows.length === 0) return;
    const { account_id: accountId, livemode, url, failing_since: failingSince } = rows[0];
    await em.execute(
      `update webhook_deliveries set status = 'failed', next_attempt_at = null, locked_until = null where endpoint_id = ? and status = 'pending'`,
      [endpointId],
    );
    const since = failingSince ? new Date(failingSince).toISOString() : null;
    this.logger.warn({ endpointId, reason }, 'webhook endpoint disabled');
    this.audit.recordForAccount(em, accountId, {
      action: 'webhook_endpoint.disabled',
      targetType: 'webhook_endpoint',
      targetId: endpointId,
      details: { reason, url, failingSince: since, livemode },
    });
    await this.events.publish(em, { accountId, livemode, type: 'webhook.endpoint.disabled', data: { endpointId, url, reason, failingSince: since } });
  }
}

/** The first 4 KB of the answer, as text; the rest is discarded. */
async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      if (size < BODY_EXCERPT_BYTES) chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch {
    // A body cut short still leaves the status and what arrived.
  }
  return Buffer.concat(chunks).subarray(0, BODY_EXCERPT_BYTES).toString('utf8').replaceAll('\u0000', '');
}

/** By name, not class: the abort reason is a DOMException, which may come from another realm. */
function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (isTimeout(error)) return `No answer within ${timeoutMs} ms`;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}
