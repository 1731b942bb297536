import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Caller } from '../auth/caller.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { RateLimitedError } from '../errors/app-errors.js';
import { REDIS } from '../queue/redis.js';

const FLUSH_INTERVAL_MS = 250;

/**
 * Per-account requests per minute across all replicas. Each replica counts locally and adds its counts
 * to a shared per-minute Redis counter every 250 ms, so a request costs no Redis round trip; the limit
 * can be overshot by at most what the replicas admit between two flushes.
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleDestroy {
  private readonly logger = new Logger(RateLimitGuard.name);
  private readonly pending = new Map<string, number>();
  private readonly shared = new Map<string, number>();
  private readonly timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    if (config.rateLimitPerMinute > 0) {
      this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const limit = this.config.rateLimitPerMinute;
    const request = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const accountId = request.caller?.accountId;
    if (limit === 0 || !accountId) return true;
    const now = Date.now();
    const key = `${this.config.redis.queuePrefix}:ratelimit:${accountId}:${Math.floor(now / 60_000)}`;
    const used = (this.shared.get(key) ?? 0) + (this.pending.get(key) ?? 0);
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('RateLimit-Limit', String(limit));
    response.setHeader('RateLimit-Remaining', String(Math.max(0, limit - used - 1)));
    if (used >= limit) throw new RateLimitedError(Math.ceil((60_000 - (now % 60_000)) / 1000));
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    return true;
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
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
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
