import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { bearerToken } from '../auth/bearer-token.js';
import { Public } from '../auth/public.decorator.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { UnauthenticatedError } from '../errors/app-errors.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus scrape endpoint; open unless METRICS_TOKEN is set. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rateLimit: RateLimitGuard,
  ) {}

  @Get()
  @Public({ ipRateLimit: false })
  async scrape(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (this.config.metricsToken && !sameSecret(bearerToken(request), this.config.metricsToken)) {
      this.rateLimit.chargeFailedAuthentication(request);
      throw new UnauthenticatedError('GET /metrics needs the metrics bearer token', 'metrics_token');
    }
    response.setHeader('Cache-Control', 'no-store');
    response.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
