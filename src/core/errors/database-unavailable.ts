import { ConnectionException } from '@mikro-orm/core';

/** Socket-level codes Node and the pg driver report when PostgreSQL cannot be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * SQLSTATEs meaning "the server cannot serve you now" rather than "your query is wrong": class 08
 * (connection exception), 57P01–57P03 (shut down, crash shutdown, starting up) and 53300 (too many
 * connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;

const MAX_DEPTH = 5;

/**
 * True when an error says PostgreSQL is unreachable, going down or not yet up — recognised by the
 * ORM's exception class or the driver's `code`, never by message text. Such requests answer
 * 503 unavailable with Retry-After instead of 500.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  if (error instanceof ConnectionException) return true;
  const { code, cause, previous, errors } = error as { code?: unknown; cause?: unknown; previous?: unknown; errors?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1) || isDatabaseUnavailable(previous, depth + 1);
}
