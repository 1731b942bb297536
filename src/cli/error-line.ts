import { EmbeddedPostgresError } from '../core/database/embedded-postgres.js';
import { isDatabaseUnavailable } from '../core/errors/database-errors.js';
import { CliError } from './runtime.js';

/** SQLSTATEs of a missing table or column: the database was not migrated to this version. */
const SCHEMA_BEHIND = new Set(['42P01', '42703']);

/**
 * What the CLI prints after `plugboard: ` when a command fails: the error's own message on one line,
 * or, when it has none (a driver's AggregateError, a rejection without a reason), what kind of failure
 * it was and how to see more — never "undefined".
 */
export function errorLine(error: unknown): string {
  // Usage errors carry the usage text on purpose.
  if (error instanceof CliError || error instanceof EmbeddedPostgresError) return error.message;
  if (isDatabaseUnavailable(error)) {
    return `cannot reach PostgreSQL (${codeOf(error) ?? messageOf(error) ?? 'connection failed'}): check that DATABASE_URL names a running server, or unset it to use the embedded PostgreSQL`;
  }
  const message = messageOf(error)?.replace(/\s*\n\s*/g, ' ');
  if (message && SCHEMA_BEHIND.has(codeOf(error) ?? '')) return `${message}: the database schema is older than this Plugboard; run \`plugboard migrate\``;
  if (message) return message;
  const kind = error instanceof Error ? `${error.name}${codeOf(error) ? ` ${codeOf(error)}` : ''}` : `a thrown ${error === null ? 'null' : typeof error}`;
  return `failed with ${kind} and no message; run it again with LOG_LEVEL=debug to see where`;
}

function messageOf(error: unknown): string | undefined {
  if (error instanceof AggregateError && !error.message.trim()) return error.errors.map(messageOf).find(Boolean);
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
  return message?.trim() || undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof AggregateError ? error.errors.map(codeOf).find(Boolean) : undefined;
}
