import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Redis } from 'ioredis';
import type { AppConfig } from '../../src/core/config/config.js';
import { RateLimitGuard } from '../../src/core/http/rate-limit.guard.js';

describe('per-IP rate limit shared through Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });
  afterAll(() => redis.quit());

  it('keeps counting what is on its way to Redis: no request slips through while the counts are shared', async () => {
    const config = { rateLimitPerMinute: 0, publicRateLimitPerMinute: 2, redis: { queuePrefix: `${process.env.TEST_QUEUE_PREFIX}ratelimit` } } as AppConfig;
    const guard = new RateLimitGuard(config, redis, new Reflector());
    const request = { ip: '127.0.0.9' } as Request;
    try {
      guard.chargeFailedAuthentication(request);
      guard.chargeFailedAuthentication(request);
      // The share with Redis is under way while the next failure arrives.
      const sharing = (guard as unknown as { flush(): Promise<void> }).flush();
      expect(() => guard.chargeFailedAuthentication(request)).toThrow(expect.objectContaining({ code: 'rate_limited' }));
      await sharing;
      expect(() => guard.chargeFailedAuthentication(request)).toThrow(expect.objectContaining({ code: 'rate_limited' }));
    } finally {
      guard.onModuleDestroy();
    }
  });
});
