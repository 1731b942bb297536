import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { CredentialKeyring } from '../../core/crypto/keyring.js';
import { SafeHttpClient } from '../../core/http/safe-http.js';
import { MetricsService } from '../../core/metrics/metrics.service.js';
import type { StoredEvent } from '../events/index.js';
import type { DeliveryStatus } from './entities/webhook-delivery.entity.js';
import { parseRetryAfter, RetryPolicy } from './retry-policy.js';
import type { AttemptRecord, ClaimedDelivery, DeliveryUpdate } from './webhook-delivery.repository.js';
import { signatureHeader } from './webhook-signature.js';

const BODY_EXCERPT_BYTES = 4096;
const USER_AGENT = 'Plugboard-Webhooks/1 (+https://www.standardwebhooks.com)';

/** One attempt and what it means for its delivery. */
export interface SendResult {
  attempt: AttemptRecord;
  update: DeliveryUpdate;
  succeeded: boolean;
  /** 410 Gone: the receiver asks never to be called again. */
  gone: boolean;
  /** When to try again; null when the delivery is finished. */
  retryInMs: number | null;
}

/**
 * Turns a claimed delivery into an outcome: signs the event with the endpoint's secrets (Standard
 * Webhooks), POSTs it through SafeHttp, keeps the first 4 KB of the answer, and decides the delivery's
 * next status and retry. It writes nothing: the dispatcher records outcomes in batches.
 */
@Injectable()
export class WebhookSender {
  private readonly retryPolicy: RetryPolicy;
  /** Decrypted secrets by ciphertext: a worker signs many deliveries per endpoint. */
  private readonly secrets = new Map<string, string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: SafeHttpClient,
    private readonly keyring: CredentialKeyring,
    private readonly metrics: MetricsService,
  ) {
    this.retryPolicy = new RetryPolicy(config.webhooks.retrySchedule);
  }

  /** A test send reaches even a disabled endpoint and is never retried. */
  async send(delivery: ClaimedDelivery, event: StoredEvent, test: boolean): Promise<SendResult> {
    const startedAt = new Date();
    const body = JSON.stringify({
      id: event.id,
      event: event.type,
      timestamp: event.createdAt.toISOString(),
      accountId: delivery.account_id,
      livemode: delivery.livemode,
      data: event.data,
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
        attempts: delivery.attempts + 1,
        round_attempts: roundAttempts,
        next_attempt_at: retryInMs === null ? null : new Date(finishedAt.getTime() + retryInMs).toISOString(),
        last_attempt_at: startedAt.toISOString(),
        response_status: status,
      },
      succeeded,
      gone,
      retryInMs,
    };
  }

  /** The endpoint's secret, plus the rotated-out one while its overlap lasts. */
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
