import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError, ErrorCode, FieldError, UnavailableError, ValidationFailedError } from './app-errors.js';
import { isDatabaseUnavailable, isRejectedInput } from './database-errors.js';

/** What a client should wait before retrying while PostgreSQL is unreachable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  requestId?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  402: 'plan_limit',
  403: 'permission_denied',
  404: 'not_found',
  405: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'validation_failed',
  422: 'provider_rejected',
  429: 'rate_limited',
  502: 'provider_error',
  503: 'unavailable',
  504: 'provider_timeout',
};

/** Turns every error into RFC 9457 problem+json; unexpected errors are logged and answered without detail. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const requestId = request.id as string | undefined;
    const { problem, headers } = this.toProblem(exception, requestId);
    if (problem.status >= 500) {
      this.logger.error({ err: exception, requestId, code: problem.code }, 'request failed');
    }
    if (response.headersSent) return;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, requestId?: string): { problem: Problem; headers: Record<string, string> } {
    if (!(exception instanceof AppError) && isDatabaseUnavailable(exception)) {
      return this.toProblem(new UnavailableError('The database is unavailable; retry shortly', DATABASE_RETRY_AFTER_SECONDS), requestId);
    }
    if (!(exception instanceof AppError) && isRejectedInput(exception)) {
      return this.toProblem(
        new ValidationFailedError('The request holds a value that cannot be stored (for example a NUL character or an out-of-range number)'),
        requestId,
      );
    }
    if (exception instanceof AppError) {
      return {
        problem: this.build(exception.status, exception.code, exception.message, { ...exception.extra, requestId }),
        headers: exception.headers,
      };
    }
    const bodyParserStatus = bodyParserErrorStatus(exception);
    if (bodyParserStatus === 413) {
      return { problem: this.build(413, 'payload_too_large', 'The request body is larger than allowed', { requestId }), headers: {} };
    }
    if (bodyParserStatus === 400) {
      return { problem: this.build(400, 'validation_failed', 'The request body is not valid JSON', { errors: [], requestId }), headers: {} };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'validation_failed');
      const detail = status === 404 ? 'No such route or resource' : httpExceptionMessage(exception);
      const headers: Record<string, string> = status === 503 ? { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) } : {};
      return { problem: this.build(status, code, detail, { requestId }), headers };
    }
    return {
      problem: this.build(500, 'internal', 'An unexpected error occurred; quote the request id when reporting it', { requestId }),
      headers: {},
    };
  }

  private build(status: number, code: ErrorCode, detail: string, extra: Record<string, unknown>): Problem {
    const problem: Problem = {
      type: `https://plugboard.dev/problems/${code}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      code,
    };
    for (const [key, value] of Object.entries(extra)) if (value !== undefined) problem[key] = value;
    return problem;
  }
}

function bodyParserErrorStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null || !('type' in exception)) return undefined;
  const type = exception.type;
  if (type === 'entity.too.large') return 413;
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') return 400;
  return undefined;
}

function httpExceptionMessage(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
