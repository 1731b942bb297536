/**
 * An endpoint's event filter: exact types (`session.started`), prefixes (`integration.*` matches
 * `integration.connected` and `integration.sync.failed`) or `*` for everything.
 */
export const EVENT_FILTER_PATTERN = /^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;

export function matchesEventFilter(filters: readonly string[], type: string): boolean {
  return filters.some((filter) => {
    if (filter === '*') return true;
    if (filter.endsWith('.*')) return type.startsWith(filter.slice(0, -1));
    return filter === type;
  });
}

/**
 * matchesEventFilter in SQL, for statements that fan many events out at once: true when the jsonb array
 * of filters in `filters` matches the event type in `type` (both SQL expressions).
 */
export function eventFilterMatchesSql(filters: string, type: string): string {
  return `exists (
     select 1 from jsonb_array_elements_text(${filters}) as f(filter)
      where f.filter = '*' or f.filter = ${type} or (right(f.filter, 2) = '.*' and starts_with(${type}, left(f.filter, -1)))
   )`;
}
