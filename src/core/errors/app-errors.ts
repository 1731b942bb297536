/**
 * Domain errors carry a machine-readable code and an HTTP status; the problem filter turns them into
 * RFC 9457 responses. Code paths branch on `code`, never on message text.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'plan_limit'
  | 'permission_denied'
  | 'not_found'
  | 'conflict'
  | 'required_integration'
  | 'mcp_disabled'
  | 'payload_too_large'
  | 'provider_rejected'
  | 'plugin_rejected'
  | 'invalid_state'
  | 'invalid_request'
  | 'rate_limited'
  | 'provider_rate_limited'
  | 'internal'
  | 'provider_error'
  | 'unavailable'
  | 'provider_timeout';

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends AppError {
  constructor(message: string, errors: FieldError[] = []) {
    super('validation_failed', 400, message, { errors });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Missing or invalid credentials', reason?: string) {
    super('unauthenticated', 401, message, reason ? { reason } : {});
  }
}

export class PlanLimitError extends AppError {
  constructor(message: string, detail: { plan: string; feature: string; limit: number | null }) {
    super('plan_limit', 402, message, detail);
  }
}

export class PermissionDeniedError extends AppError {
  constructor(permission: string, message = `This action requires the "${permission}" permission`) {
    super('permission_denied', 403, message, { permission });
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super('not_found', 404, `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

/** A provider refused what a plugin asked of it (the SDK's ProviderRejectedError, answered as 422). */
export class ProviderRefusalError extends AppError {
  constructor(message: string) {
    super('provider_rejected', 422, message);
  }
}

export class PluginRejectedError extends AppError {
  constructor(message: string) {
    super('plugin_rejected', 422, message);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 429, 'Too many requests', {}, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** The provider's rate limit: it answered 429, or waiting for its budget would pass the call's deadline. */
export class ProviderRateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, message = 'The provider is rate limiting these requests; retry later') {
    super('provider_rate_limited', 429, message, {}, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

export class ProviderError extends AppError {
  constructor(message = 'The provider failed or answered with something unexpected') {
    super('provider_error', 502, message);
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, retryAfterSeconds = 5, extra: Record<string, unknown> = {}) {
    super('unavailable', 503, message, extra, { 'Retry-After': String(retryAfterSeconds) });
  }
}

export class ProviderTimeoutError extends AppError {
  constructor(message = 'The provider did not answer in time') {
    super('provider_timeout', 504, message);
  }
}
