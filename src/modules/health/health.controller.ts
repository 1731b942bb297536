import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { MikroORM } from '@mikro-orm/postgresql';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { Public } from '../../core/auth/public.decorator.js';
import { REDIS } from '../../core/queue/redis.js';

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly orm: MikroORM,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The process is up and serving; says nothing about dependencies. */
  @Get('live')
  @Public()
  live() {
    return { status: 'ok' };
  }

  /** Ready to take traffic: PostgreSQL and Redis answer. */
  @Get('ready')
  @Public()
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.probe('database', async () => (await this.orm.em.getConnection().execute('select 1 as ok')).length === 1),
      () => this.probe('redis', async () => (await this.redis.ping()) === 'PONG'),
    ]);
  }

  /** Runs a real round trip (which also opens a pool that is not connected yet) within 2 seconds. */
  private async probe(name: string, roundTrip: () => Promise<boolean>) {
    const indicator = this.indicators.check(name);
    try {
      const ok = await Promise.race([
        roundTrip(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      return ok ? indicator.up() : indicator.down({ message: 'unexpected answer' });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
