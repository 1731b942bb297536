import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { AuthenticationGuard } from './core/auth/authentication.guard.js';
import { MemberJwtStrategy } from './core/auth/member-jwt.strategy.js';
import { ConfigModule } from './core/config/config.module.js';
import { CryptoModule } from './core/crypto/crypto.module.js';
import { DatabaseModule } from './core/database/database.module.js';
import type { AppConfig } from './core/config/config.js';
import { ormOptions } from './core/database/orm-options.js';
import { ProblemFilter } from './core/errors/problem.filter.js';
import { HttpCoreModule } from './core/http/http-core.module.js';
import { IdempotencyInterceptor } from './core/http/idempotency.interceptor.js';
import { RateLimitGuard } from './core/http/rate-limit.guard.js';
import { httpLoggerParams } from './core/logging/logging.js';
import { MetricsModule } from './core/metrics/metrics.module.js';
import { OpenApiModule } from './core/openapi/openapi.js';
import { QueueModule } from './core/queue/queue.module.js';
import { RedisModule } from './core/queue/redis.js';
import { AccountsModule } from './modules/accounts/index.js';
import { ApiKeysModule } from './modules/api-keys/index.js';
import { AuditModule } from './modules/audit/index.js';
import { ConsoleModule } from './modules/console/index.js';
import { EventsModule } from './modules/events/index.js';
import { HealthModule } from './modules/health/index.js';
import { IntegrationsModule } from './modules/integrations/index.js';
import { McpModule } from './modules/mcp/index.js';
import { OnboardingModule } from './modules/onboarding/index.js';
import { PlansModule } from './modules/plans/index.js';
import { PluginsModule } from './modules/plugins/index.js';
import { AuthorizationGuard, RbacModule } from './modules/rbac/index.js';
import { SsoModule } from './modules/sso/index.js';
import { WebhooksModule } from './modules/webhooks/index.js';

export interface Runtime {
  config: AppConfig;
  databaseUrl: string;
}

@Module({})
export class AppModule {
  static register({ config, databaseUrl }: Runtime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(httpLoggerParams(config)),
        MikroOrmModule.forRoot({ ...ormOptions(config, databaseUrl), autoLoadEntities: true, registerRequestContext: false }),
        DatabaseModule,
        CryptoModule,
        RedisModule,
        QueueModule,
        MetricsModule,
        OpenApiModule,
        ScheduleModule.forRoot(),
        PassportModule,
        HttpCoreModule,
        PlansModule,
        AuditModule,
        RbacModule,
        AccountsModule,
        ConsoleModule,
        ApiKeysModule,
        HealthModule,
        EventsModule,
        WebhooksModule,
        IntegrationsModule,
        SsoModule,
        OnboardingModule,
        McpModule,
        PluginsModule,
      ],
      providers: [
        MemberJwtStrategy,
        { provide: APP_FILTER, useClass: ProblemFilter },
        // Guards run in this order: who is calling, what they may do, how often.
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        { provide: APP_GUARD, useExisting: AuthorizationGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_INTERCEPTOR, useExisting: IdempotencyInterceptor },
      ],
    };
  }
}
