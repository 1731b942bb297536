import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Global, Module } from '@nestjs/common';
import { IdempotencyRecord } from './entities/idempotency-record.entity.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { SafeHttpClient } from './safe-http.js';

@Global()
@Module({
  imports: [MikroOrmModule.forFeature([IdempotencyRecord])],
  providers: [IdempotencyInterceptor, RateLimitGuard, SafeHttpClient],
  exports: [IdempotencyInterceptor, RateLimitGuard, SafeHttpClient],
})
export class HttpCoreModule {}
