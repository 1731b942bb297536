import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
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

/** Query parameters that carry secrets: OAuth codes and states, tokens, keys, signatures. */
const SECRET_QUERY_PARAMETER = /token|code|state|secret|key|signature|password/i;
/** Paths whose tail is a secret: a subscription feed's URL is its credential. */
const SECRET_PATH = /^(\/v1\/feeds\/[^/?]+\/)[^/?]+?(\.ics)?$/;

/** A request URL as it may be logged: secrets in the path and the query replaced by [redacted]. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const redactedPath = path.replace(SECRET_PATH, (_match, prefix: string, extension = '') => `${prefix}[redacted]${extension}`);
  if (queryStart === -1) return redactedPath;
  const query = url.slice(queryStart + 1);
  // Most queries (a page's limit and cursor) name nothing secret, even once decoded.
  if (!query.includes('%') && !SECRET_QUERY_PARAMETER.test(query)) return `${redactedPath}?${query}`;
  const redactedQuery = query
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=');
      const name = separator === -1 ? pair : pair.slice(0, separator);
      return separator !== -1 && SECRET_QUERY_PARAMETER.test(decodeURIComponentSafely(name)) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${redactedPath}?${redactedQuery}`;
}

function decodeURIComponentSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'plugboard' } };
}

export interface LogTarget {
  /** CLI commands other than serve log to stderr so their output stays clean. */
  stream: 'stdout' | 'stderr';
  production: boolean;
}

/**
 * JSON lines in production and whenever the stream is not a terminal (files, pipes, log collectors);
 * one readable line per entry for a person at a terminal. Synchronous, so the application's and
 * Nest's lines keep their order.
 */
function logDestination({ stream, production }: LogTarget): DestinationStream {
  const fd = stream === 'stdout' ? 1 : 2;
  if (production || !process[stream].isTTY) return pino.destination({ dest: fd, sync: true });
  return pretty({
    destination: fd,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}

/** The process logger. */
export function createLogger(level: string, target: LogTarget): Logger {
  return pino(loggerOptions(level), logDestination(target));
}

/** nestjs-pino settings: JSON logs with the request id on every line; X-Request-Id echoed or generated. */
export function httpLoggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      logger: createLogger(config.logLevel, { stream: 'stdout', production: config.env === 'production' }),
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        response.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : 'info'),
      autoLogging: { ignore: (request) => request.url?.startsWith('/health') ?? false },
      // The request is described straight from Express's: pino-http's standard serializer would first
      // copy its headers and parse its query on every request, for fields no log line shows.
      wrapSerializers: false,
      serializers: {
        req: (request: { id: string; method: string; url: string; originalUrl?: string }) => ({
          id: request.id,
          method: request.method,
          url: redactUrl(request.originalUrl ?? request.url),
        }),
        res: pino.stdSerializers.res,
        err: pino.stdSerializers.err,
      },
    },
  };
}
