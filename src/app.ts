import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import { AppModule, Runtime } from './app.module.js';
import { NotFoundError } from './core/errors/app-errors.js';
import { ProblemFilter } from './core/errors/problem.filter.js';
import { NestLogger } from './core/logging/nest-logger.js';
import { httpMetrics } from './core/metrics/http-metrics.js';
import { MetricsService } from './core/metrics/metrics.service.js';
import { mountQueueDashboard } from './core/queue/queue-dashboard.js';
import { applyCorsPolicy, securityHeaders } from './core/http/browser-policy.js';
import { createValidationPipe } from './core/http/validation.js';
import { jsonBodyLimits, jsonLimits } from './core/json/json-limits.js';
import { mountApiReference } from './core/openapi/api-reference.js';
import { mountConsole } from './modules/console/index.js';
import { buildOpenApiDocument } from './core/openapi/openapi.js';

export interface CreateAppOptions {
  /** Write Nest's own start-up lines through pino (off in tests to keep output short). */
  logs?: boolean;
}

/** Builds the HTTP application: the same for `serve`, tests and benchmarks. */
export async function createApp(runtime: Runtime, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(runtime), {
    bufferLogs: true,
    bodyParser: false,
    rawBody: true,
    abortOnError: false,
    logger: options.logs === false ? false : undefined,
  });
  if (options.logs !== false) app.useLogger(new NestLogger(await app.resolve(PinoLogger), app.get(PARAMS_PROVIDER_TOKEN)));
  app.set('x-powered-by', false);
  // API answers are no-store, so no client revalidates them: hashing every body for an ETag buys nothing.
  app.set('etag', false);
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(httpMetrics(app.get(MetricsService)));
  app.use(securityHeaders(runtime.config));
  applyCorsPolicy(app, runtime.config);
  // API answers belong to one caller and some carry secrets (new keys, webhook secrets): nothing may cache them.
  app.use('/v1', (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Cache-Control', 'no-store');
    next();
  });
  if (runtime.config.role === 'worker') app.use(operationalRoutesOnly());
  else mountQueueDashboard(app);
  app.useBodyParser('json', { limit: runtime.config.bodyLimit, type: ['application/json', 'application/*+json'] });
  app.use(jsonBodyLimits(jsonLimits(runtime.config.jsonMaxKeys)));
  app.useBodyParser('urlencoded', { limit: runtime.config.bodyLimit, extended: false });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    customSiteTitle: 'Plugboard API',
    swaggerOptions: {
      // No call to the public validator service: the document never leaves the installation.
      validatorUrl: null,
      // The token entered under Authorize survives reloads (kept in this browser's localStorage).
      persistAuthorization: true,
      displayOperationId: true,
      displayRequestDuration: true,
      filter: true,
      tagsSorter: 'none',
    },
  });
  if (runtime.config.role !== 'worker') {
    mountApiReference(app);
    mountConsole(app, runtime.config);
  }
  return app;
}

export async function listen(app: NestExpressApplication, host: string, port: number): Promise<Server> {
  await app.listen(port, host);
  const server = app.getHttpServer();
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

const OPERATIONAL_PATHS = /^\/(health|metrics)(\/|$)/;

/** Worker processes listen only so probes and Prometheus can reach them: everything else is 404. */
function operationalRoutesOnly() {
  const filter = new ProblemFilter();
  return (request: Request, response: Response, next: NextFunction) => {
    if (OPERATIONAL_PATHS.test(request.path)) return next();
    const { problem } = filter.toProblem(new NotFoundError('Route'), request.id as string | undefined);
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
}
