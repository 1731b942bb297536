import { parseRetryAfter, RetryPolicy } from './retry-policy.js';

describe('RetryPolicy', () => {
  it('follows the schedule with ±20 % jitter and stops when it is exhausted', () => {
    const low = new RetryPolicy([5000, 300_000], () => 0);
    const high = new RetryPolicy([5000, 300_000], () => 1);
    expect(low.nextDelay(1)).toBe(4000);
    expect(high.nextDelay(1)).toBe(6000);
    expect(low.nextDelay(2)).toBe(240_000);
    expect(high.nextDelay(2)).toBe(360_000);
    expect(low.nextDelay(3)).toBeNull();
  });

  it('uses Retry-After instead of the scheduled delay, but not past the schedule', () => {
    const policy = new RetryPolicy([5000]);
    expect(policy.nextDelay(1, 120_000)).toBe(120_000);
    expect(policy.nextDelay(2, 1000)).toBeNull();
  });

  it('parses Retry-After seconds and HTTP dates, capped at a day', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('999999', now)).toBe(86_400_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
