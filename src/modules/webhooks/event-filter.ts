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
