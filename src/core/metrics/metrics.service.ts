import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One attempt to deliver a webhook: answered 2xx, failed (non-2xx, network error), or no answer in time. */
export type WebhookDeliveryOutcome = 'succeeded' | 'failed' | 'timed_out';
/** One OAuth token refresh: new tokens, a failure worth retrying, or the grant is gone (re-connect needed). */
export type TokenRefreshOutcome = 'succeeded' | 'failed' | 'revoked';
/**
 * One call into a plugin (verify, action, sync, webhook verification): it returned, the provider refused
 * the input (422), it failed (502) or passed its deadline (504).
 */
export type PluginCallOutcome = 'succeeded' | 'rejected' | 'failed' | 'timed_out';
export type JobOutcome = 'completed' | 'failed';

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 900];

/**
 * The application's Prometheus metrics, in a registry of this application instance (several apps in one
 * process — tests — never share counters). Modules call the methods below; the names and labels are
 * listed in the README's "Metrics" section.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'plugboard_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  private readonly jobDuration = new Histogram({
    name: 'plugboard_queue_job_duration_seconds',
    help: 'Time a job spent processing, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'plugboard_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly tokenRefreshes = new Counter({
    name: 'plugboard_token_refreshes_total',
    help: 'OAuth token refreshes by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly pluginCalls = new Counter({
    name: 'plugboard_plugin_calls_total',
    help: 'Calls into plugins by plugin and outcome',
    labelNames: ['plugin', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly pluginCallDuration = new Histogram({
    name: 'plugboard_plugin_call_duration_seconds',
    help: 'Duration of calls into plugins by plugin and outcome',
    labelNames: ['plugin', 'outcome'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  private readonly providerBudgetWaits = new Histogram({
    name: 'plugboard_provider_rate_limit_wait_seconds',
    help: "Time provider requests waited for the provider's declared rate limit, by provider",
    labelNames: ['provider'] as const,
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  private readonly providerThrottles = new Counter({
    name: 'plugboard_provider_throttled_total',
    help: "Provider calls refused because waiting for the provider's rate limit would pass their deadline, or answered 429 by the provider",
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly listCacheReads = new Counter({
    name: 'plugboard_list_cache_reads_total',
    help: "Pages of connections answered from the replica's cache (hit), read and kept (miss), or read while the cache could not be trusted or was off (bypass)",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'plugboard_' });
  }

  /** Counts one webhook delivery attempt (call once per HTTP attempt, retries included). */
  webhookDelivery(outcome: WebhookDeliveryOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /** Counts one OAuth token refresh for a provider id (e.g. "google-calendar"). */
  tokenRefresh(provider: string, outcome: TokenRefreshOutcome): void {
    this.tokenRefreshes.inc({ provider, outcome });
  }

  /** Counts one call into a plugin (its package name) and, when known, how long it took. */
  pluginCall(plugin: string, outcome: PluginCallOutcome, durationSeconds?: number): void {
    this.pluginCalls.inc({ plugin, outcome });
    if (durationSeconds !== undefined) this.pluginCallDuration.observe({ plugin, outcome }, durationSeconds);
  }

  /** How long a provider request waited for its rate-limit budget. */
  providerBudgetWait(provider: string, seconds: number): void {
    this.providerBudgetWaits.observe({ provider }, seconds);
  }

  /** A provider request not sent (`budget`: the wait would pass the deadline) or refused by the provider (`provider_429`). */
  providerThrottled(provider: string, reason: 'budget' | 'provider_429'): void {
    this.providerThrottles.inc({ provider, reason });
  }

  listCacheRead(outcome: 'hit' | 'miss' | 'bypass'): void {
    this.listCacheReads.inc({ outcome });
  }

  httpRequest(method: string, route: string, status: number, durationSeconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, durationSeconds);
  }

  job(queue: string, outcome: JobOutcome, durationSeconds: number): void {
    this.jobDuration.observe({ queue, outcome }, durationSeconds);
  }

  /** Registers a gauge whose value is read at scrape time (queue depths). */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], collect: (gauge: Gauge<L>) => Promise<void>): Gauge<L> {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        await collect(this);
      },
    });
  }
}
