import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { MetricsService } from '../../../core/metrics/metrics.service.js';
import { REDIS } from '../../../core/queue/redis.js';
import type { RateLimit } from '../../../sdk/index.js';
import type { CallContext } from '../runtime/call.js';

/** Kept between sends counted in one window and the next, for the latency between sending and arriving. */
const MIN_MARGIN_MS = 25;
/** After the provider answers 429, its limits count this share of their requests for TIGHTEN_WINDOWS windows. */
const TIGHTENED = 0.8;
const TIGHTEN_WINDOWS = 10;
/** A place taken by a request whose answer never came (its replica died) is given up after this. */
const STALE_FLIGHT_MS = 120_000;

/**
 * Takes a place in the window for a request sent now (Redis server time, so replicas agree). A request
 * is counted from the moment it takes its place (`<key>:flight`, before it can have arrived) until a
 * window after its answer came (`<key>`, scored by the answer's time, after it arrived), so however
 * late a request travels, no window at the provider ever holds more than `limit`. When the window is
 * full this answers how long until its oldest send leaves it, {1, wait}, reserving nothing (a short
 * poll when that one is still in flight) — or {-1, wait} when that is longer than `maxWait`. After a
 * provider 429 the limit is tightened and nothing is sent before the block ends.
 */
const TAKE = `
local key, limit, window, margin, maxWait, member, poll = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local flight = key .. ':flight'
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if redis.call('EXISTS', key .. ':tight') == 1 then limit = math.max(1, math.floor(limit * ${TIGHTENED})) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window - margin)
redis.call('ZREMRANGEBYSCORE', flight, '-inf', now - ${STALE_FLIGHT_MS})
local answered = redis.call('ZCARD', key)
local count = answered + redis.call('ZCARD', flight)
local slot = now
if count >= limit then
  local oldest = count - limit
  if oldest < answered then
    slot = tonumber(redis.call('ZRANGE', key, oldest, oldest, 'WITHSCORES')[2]) + window + margin
  else
    slot = now + poll
  end
end
local block = tonumber(redis.call('GET', key .. ':block') or '0')
if block > slot then slot = block end
if slot - now > maxWait then return {-1, slot - now} end
if slot > now then return {1, slot - now} end
redis.call('ZADD', flight, now, member)
redis.call('PEXPIRE', flight, ${STALE_FLIGHT_MS})
return {0, 0}
`;

/** The request's answer came: it leaves the in-flight set and is dated now (it reached the provider by then). */
const ANSWERED = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREM', KEYS[1] .. ':flight', ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

/** Places taken in providers' windows by one request, to be dated by its answer. */
export type BudgetPlaces = Array<{ key: string; member: string; keepMs: number }>;

export interface BudgetTarget {
  id: string;
  baseUrl?: string;
  rateLimits?: RateLimit[];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}

/** The provider's budget cannot be had before the call's deadline: nothing was sent. */
export class BudgetExhaustedError extends Error {
  readonly code = 'provider_rate_limited';

  constructor(readonly retryAfterSeconds: number) {
    super('waiting for the provider rate limit would pass the call deadline');
  }
}

/**
 * Providers' declared rate limits, shared by every replica through Redis: `ctx.http` waits here for
 * budget before sending, so bursts never reach the provider's own 429.
 */
@Injectable()
export class ProviderBudgets {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Waits until every matching limit has room, then takes a place in each; throws BudgetExhaustedError
   * (sending nothing) as soon as the wait would pass `deadline`. Waiters poll rather than queue, so a
   * place is only ever taken for a request about to go.
   */
  async acquire(target: BudgetTarget, context: CallContext, method: string, path: string, deadline: number, signal: AbortSignal): Promise<BudgetPlaces> {
    const keys = this.keys(target, context, method, path);
    const places: BudgetPlaces = [];
    if (keys.length === 0) return places;
    const started = Date.now();
    for (const { key, limit } of keys) {
      const member = randomUUID();
      for (;;) {
        const [status, wait] = (await this.redis.eval(
          TAKE,
          1,
          key,
          limit.requests,
          limit.windowMs,
          Math.max(MIN_MARGIN_MS, Math.round(limit.windowMs * 0.02)),
          Math.max(0, deadline - Date.now()),
          member,
          Math.min(50, Math.ceil(limit.windowMs / limit.requests)),
        )) as [number, number];
        if (status === 0) break;
        if (status === -1) {
          this.metrics.providerThrottled(target.id, 'budget');
          throw new BudgetExhaustedError(Math.max(1, Math.ceil(wait / 1000)));
        }
        // A few ms of spread so waiters of one window do not all ask at the same instant.
        await sleep(wait + Math.random() * 5, signal);
      }
      places.push({ key, member, keepMs: limit.windowMs * 2 });
    }
    this.metrics.providerBudgetWait(target.id, (Date.now() - started) / 1000);
    return places;
  }

  /** The request's answer came, or it failed: its places are dated now (it reached the provider, if at all, by then). */
  async answered(places: BudgetPlaces): Promise<void> {
    if (places.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { key, member, keepMs } of places) pipeline.eval(ANSWERED, 1, key, member, keepMs);
    await pipeline.exec();
  }

  /** The provider answered 429 anyway: nothing more is sent before its Retry-After, and its limits tighten for a while. */
  async refused(target: BudgetTarget, context: CallContext, method: string, path: string, retryAfterMs: number): Promise<void> {
    this.metrics.providerThrottled(target.id, 'provider_429');
    const keys = this.keys(target, context, method, path);
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { key, limit } of keys) {
      const block = Math.max(retryAfterMs, limit.windowMs / limit.requests);
      pipeline.eval(
        "local t = redis.call('TIME'); redis.call('SET', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1]), 'PX', ARGV[1])",
        1,
        `${key}:block`,
        Math.ceil(block),
      );
      pipeline.set(`${key}:tight`, '1', 'PX', limit.windowMs * TIGHTEN_WINDOWS);
    }
    await pipeline.exec();
  }

  private keys(target: BudgetTarget, context: CallContext, method: string, path: string): Array<{ key: string; limit: RateLimit }> {
    const request = `${method.toUpperCase()} ${path}`;
    return (target.rateLimits ?? []).flatMap((limit, index) => {
      if (limit.match && !limit.match.some((pattern) => request.startsWith(pattern))) return [];
      const metadata = context.integration.metadata ?? {};
      const account = metadata[limit.accountKey ?? 'accountId'];
      const subject =
        limit.scope === 'app'
          ? `app:${context.oauthClientId ?? 'operator'}`
          : limit.scope === 'account' && (typeof account === 'string' || typeof account === 'number')
            ? `account:${String(account)}`
            : `connection:${context.integration.id}`;
      return [{ key: `${this.config.redis.queuePrefix}:provider-budget:${target.id}:${index}:${subject}`, limit }];
    });
  }
}
