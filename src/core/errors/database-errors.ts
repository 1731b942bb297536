import { ConnectionException } from '@mikro-orm/core';
import { connectionFailures } from '../database/connection-failures.js';

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
 * SQLSTATEs meaning "the server cannot serve you now" rather than "your query is wrong": connection
 * exceptions (class 08, but not 08P01 protocol_violation), 57P01–57P03 (shut down, crash shutdown,
 * starting up) and 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '08007', '57P01', '57P02', '57P03', '53300']);

const MAX_DEPTH = 5;

/** How long after a connection broke an uncoded driver error is still taken for the same outage. */
const OUTAGE_WINDOW_MS = 10_000;

const codeOf = (error: object): unknown => (error as { code?: unknown }).code;

/**
 * True when an error says PostgreSQL is unreachable, going down or not yet up — recognised by the
 * ORM's exception class or the driver's `code`, never by message text. Such requests answer
 * 503 unavailable with Retry-After instead of 500. Socket codes count only on the error itself (or the
 * attempts of an AggregateError), as the pg driver reports them: an outbound HTTP failure carries
 * them in its `cause`, and is not a database outage. A driver error with no code at all counts while
 * a pooled connection broke in the last 10 seconds (see connection-failures.ts).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  if (error instanceof ConnectionException) return true;
  const code = codeOf(error);
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code))) return true;
  const { errors, previous } = error as { errors?: unknown; previous?: unknown };
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  if (depth === 0 && code === undefined && connectionFailures.recent(OUTAGE_WINDOW_MS) && isPlainDriverError(error)) return true;
  return isDatabaseUnavailable(previous, depth + 1);
}

/**
 * An error as the pg driver raises its own connection-level failures (a plain Error, or the ORM's
 * DriverException around one) — not an HTTP, validation or domain error.
 */
function isPlainDriverError(error: object): boolean {
  const name = (error as { name?: unknown }).name;
  return name === 'Error' || name === 'DriverException';
}

/**
 * True when PostgreSQL refused a value the request carried: a data exception (SQLSTATE class 22 —
 * a NUL character, an out-of-range number, a malformed uuid or timestamp, a too-long string) or a
 * protocol violation caused by such bytes. The request is at fault: 400, not 500.
 */
export function isRejectedInput(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = codeOf(error);
  return typeof code === 'string' && (/^22[0-9A-Z]{3}$/.test(code) || code === '08P01');
}
