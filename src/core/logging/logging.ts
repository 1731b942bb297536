import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino, { Logger, LoggerOptions } from 'pino';
import type { AppConfig } from '../config/config.js';

/** Paths never written to logs: credentials in headers and any secret-looking field in logged objects. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.secrets',
  '*.clientSecret',
  '*.accessToken',
  '*.refreshToken',
  '*.credentials',
  '*.apiKey',
  '*.key',
  '*.token',
];

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'plugboard' } };
}

/** The process logger; CLI commands other than serve log to stderr so their output stays clean. */
export function createLogger(level: string, stream: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(loggerOptions(level), pino.destination(stream === 'stdout' ? 1 : 2));
}

/** nestjs-pino settings: JSON logs with the request id on every line; X-Request-Id echoed or generated. */
export function httpLoggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      ...loggerOptions(config.logLevel),
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        response.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
      autoLogging: { ignore: (request) => request.url?.startsWith('/health') ?? false },
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url }),
      },
    },
  };
}
