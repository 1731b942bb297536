/** How one endpoint answered in a batch of attempts. */
export interface EndpointAnswers {
  endpointId: string;
  enabled: boolean;
  /** When its current run of failures began, as recorded before this batch; null when it was healthy. */
  failingSince: Date | null;
  /** Each attempt of the batch, in the order they were made. */
  attempts: { succeeded: boolean; gone: boolean; at: Date }[];
}

export interface HealthChanges {
  /** Endpoints that answered again after failing. */
  recovered: string[];
  /** Endpoints whose failures start with this batch. */
  failing: { id: string; at: string }[];
  /** Endpoints to turn off: at once after 410 Gone, or after failing for `disableAfterMs`. */
  disable: { id: string; reason: 'gone' | 'failing' }[];
}

/**
 * Endpoint health after a batch of answers. One success is enough to recover; a 410 disables at once;
 * otherwise an endpoint is disabled once its failures have lasted `disableAfterMs`. Disabled endpoints
 * (answers of test sends) change nothing.
 */
export function judgeEndpointHealth(endpoints: readonly EndpointAnswers[], disableAfterMs: number): HealthChanges {
  const changes: HealthChanges = { recovered: [], failing: [], disable: [] };
  for (const { endpointId, enabled, failingSince, attempts } of endpoints) {
    if (!enabled || attempts.length === 0) continue;
    if (attempts.some((attempt) => attempt.succeeded)) {
      if (failingSince) changes.recovered.push(endpointId);
      continue;
    }
    const failedAt = attempts[0].at;
    if (attempts.some((attempt) => attempt.gone)) changes.disable.push({ id: endpointId, reason: 'gone' });
    else if (failingSince && failedAt.getTime() - failingSince.getTime() >= disableAfterMs) changes.disable.push({ id: endpointId, reason: 'failing' });
    else if (!failingSince) changes.failing.push({ id: endpointId, at: failedAt.toISOString() });
  }
  return changes;
}
