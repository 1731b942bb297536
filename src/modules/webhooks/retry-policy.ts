/** When a failed delivery is tried next: the schedule's delay with ±20 % jitter, or the receiver's Retry-After. */
export class RetryPolicy {
  constructor(
    /** Delays after the immediate first attempt (WEBHOOK_RETRY_SCHEDULE). */
    private readonly schedule: readonly number[],
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The delay before the next attempt after `attemptsInRound` failed attempts, or null when the
   * schedule is exhausted. `retryAfterMs` (from a 429/503) replaces the scheduled delay.
   */
  nextDelay(attemptsInRound: number, retryAfterMs?: number): number | null {
    const scheduled = this.schedule[attemptsInRound - 1];
    if (scheduled === undefined) return null;
    if (retryAfterMs !== undefined) return retryAfterMs;
    return Math.round(scheduled * (0.8 + 0.4 * this.random()));
  }
}

/** Longest Retry-After honoured; a receiver cannot park a delivery for longer than a day. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from `now`; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
