import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import type { Caller } from '../auth/caller.js';
import { IP_RATE_LIMITED, IS_PUBLIC } from '../auth/public.decorator.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { RateLimitedError } from '../errors/app-errors.js';
import { IntervalTask } from '../queue/interval-task.js';
import { REDIS } from '../queue/redis.js';

const FLUSH_INTERVAL_MS = 250;

/**
 * Requests per minute across all replicas: per account for authenticated calls (RATE_LIMIT_PER_MINUTE),
 * per client IP for public routes and failed authentications (PUBLIC_RATE_LIMIT_PER_MINUTE). Each
 * replica counts locally and adds its counts to shared per-minute Redis counters every 250 ms, so a
 * request costs no Redis round trip; a limit can be overshot by at most what the replicas admit
 * between two flushes.
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleDestroy {
  private readonly logger = new Logger(RateLimitGuard.name);
  private readonly pending = new Map<string, number>();
  /** Counts on their way to Redis: still counted here until Redis answers with the shared totals. */
  private readonly flushing = new Map<string, number>();
  private readonly shared = new Map<string, number>();
  private readonly sharing = new IntervalTask('rate-limit.share', FLUSH_INTERVAL_MS, () => this.flush());

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly reflector: Reflector,
  ) {
    if (config.rateLimitPerMinute > 0 || config.publicRateLimitPerMinute > 0) this.sharing.start();
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const response = context.switchToHttp().getResponse<Response>();
    const accountId = request.caller?.accountId;
    if (accountId) return this.admit(`account:${accountId}`, this.config.rateLimitPerMinute, response);
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) && this.reflector.getAllAndOverride<boolean>(IP_RATE_LIMITED, targets)) {
      return this.admit(`ip:${clientOf(request)}`, this.config.publicRateLimitPerMinute, response);
    }
    return true;
  }

  /**
   * Counts a request that failed authentication against its client's per-IP budget; once that is
   * spent, throws 429 instead of letting the 401 through. Valid credentials are never refused here:
   * clients sharing an address (NAT, a proxy) with someone guessing keep working.
   */
  chargeFailedAuthentication(request: Request): void {
    this.admit(`ip:${clientOf(request)}`, this.config.publicRateLimitPerMinute);
  }

  private admit(subject: string, limit: number, response?: Response): true {
    if (limit === 0) return true;
    const now = Date.now();
    const key = `${this.config.redis.queuePrefix}:ratelimit:${subject}:${Math.floor(now / 60_000)}`;
    const used = (this.shared.get(key) ?? 0) + (this.flushing.get(key) ?? 0) + (this.pending.get(key) ?? 0);
    response?.setHeader('RateLimit-Limit', String(limit));
    response?.setHeader('RateLimit-Remaining', String(Math.max(0, limit - used - 1)));
    if (used >= limit) throw new RateLimitedError(Math.ceil((60_000 - (now % 60_000)) / 1000));
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    return true;
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    for (const [key, count] of batch) this.flushing.set(key, count);
    this.pending.clear();
    try {
      const pipeline = this.redis.pipeline();
      for (const [key, count] of batch) pipeline.incrby(key, count).expire(key, 120);
      const results = await pipeline.exec();
      batch.forEach(([key], index) => this.shared.set(key, Number(results?.[index * 2]?.[1] ?? 0)));
      const minute = Math.floor(Date.now() / 60_000);
      for (const key of this.shared.keys()) if (Number(key.slice(key.lastIndexOf(':') + 1)) < minute) this.shared.delete(key);
    } catch (error) {
      for (const [key, count] of batch) this.pending.set(key, (this.pending.get(key) ?? 0) + count);
      this.logger.warn(`rate-limit counters not shared: ${(error as Error).message}`);
    } finally {
      this.flushing.clear();
    }
  }

  onModuleDestroy(): void {
    this.sharing.stop();
  }
}

/**
 * The client a per-IP budget belongs to (`request.ip` honours `trust proxy`): an IPv4 address, or the
 * /64 of an IPv6 one, since a single host commonly holds a whole /64.
 */
export function clientOf(request: Request): string {
  if (!request.ip || !ipaddr.isValid(request.ip)) return 'unknown';
  const address = ipaddr.process(request.ip);
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toString()}/64`;
}
