import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { Public } from '../../core/auth/public.decorator.js';
import { UnavailableError } from '../../core/errors/app-errors.js';
import { REDIS } from '../../core/queue/redis.js';

const CHECK_TIMEOUT_MS = 2000;

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly em: EntityManager,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The process is up and serving; says nothing about dependencies. */
  @Get('live')
  @Public({ ipRateLimit: false })
  live() {
    return { status: 'ok' };
  }

  /** Ready to take traffic: PostgreSQL and Redis answer. */
  @Get('ready')
  @Public({ ipRateLimit: false })
  @HealthCheck()
  async ready() {
    try {
      return await this.health.check([
        () => this.probe('database', () => this.em.getConnection().execute('select 1')),
        () => this.probe('redis', () => this.redis.ping()),
      ]);
    } catch (error) {
      const result = error instanceof ServiceUnavailableException ? (error.getResponse() as { error?: object }) : {};
      throw new UnavailableError('Not ready: a dependency is down', 5, { dependencies: result.error ?? {} });
    }
  }

  private async probe(name: string, ping: () => Promise<unknown>) {
    const indicator = this.indicators.check(name);
    try {
      await Promise.race([
        ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
      ]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
