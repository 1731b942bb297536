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

/** Whether an event reaches an endpoint with these tags: any event when it has none, else one carrying one of them in `data.tags`. */
export function matchesEventTags(endpointTags: readonly string[], data: unknown): boolean {
  if (endpointTags.length === 0) return true;
  const tags = (data as { tags?: unknown } | null)?.tags;
  return Array.isArray(tags) && tags.some((tag) => typeof tag === 'string' && endpointTags.includes(tag));
}

/** matchesEventTags in SQL: `tags` a text[] expression, `data` a jsonb one. */
export function eventTagsMatchSql(tags: string, data: string): string {
  return `(cardinality(${tags}) = 0 or exists (
     select 1 from jsonb_array_elements(case when jsonb_typeof(${data}->'tags') = 'array' then ${data}->'tags' else '[]'::jsonb end) as t(tag)
      where jsonb_typeof(t.tag) = 'string' and t.tag #>> '{}' = any(${tags})
   ))`;
}
