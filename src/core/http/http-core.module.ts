import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { IdempotencyRecord } from './entities/idempotency-record.entity.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { RateLimitGuard } from './rate-limit.guard.js';

@Module({
  imports: [MikroOrmModule.forFeature([IdempotencyRecord])],
  providers: [IdempotencyInterceptor, RateLimitGuard],
  exports: [IdempotencyInterceptor, RateLimitGuard],
})
export class HttpCoreModule {}
