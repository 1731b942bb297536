/** Parsers for environment values: each returns the typed value or throws a message saying what is expected. */
export type EnvParser<T> = (raw: string) => T;

export class EnvValueError extends Error {}

export const str: EnvParser<string> = (raw) => raw;

export const int =
  (min: number, max: number): EnvParser<number> =>
  (raw) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      throw new EnvValueError(`an integer from ${min} to ${max}`);
    }
    return value;
  };

export const bool: EnvParser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no', ''].includes(value)) return false;
  throw new EnvValueError('true or false');
};

export const oneOf =
  <T extends string>(...values: T[]): EnvParser<T> =>
  (raw) => {
    if (!values.includes(raw as T)) throw new EnvValueError(`one of ${values.join(', ')}`);
    return raw as T;
  };

export const url =
  (...protocols: string[]): EnvParser<string> =>
  (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new EnvValueError(`a URL (${protocols.join(' or ')})`);
    }
    if (!protocols.includes(parsed.protocol)) throw new EnvValueError(`a URL (${protocols.join(' or ')})`);
    return raw.replace(/\/+$/, '');
  };

export const list: EnvParser<string[]> = (raw) =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Comma-separated browser origins (`https://app.example.com`), each without path, query or wildcard. */
export const origins: EnvParser<string[]> = (raw) =>
  list(raw).map((item) => {
    const parsed = URL.parse(item);
    const bare = parsed && parsed.pathname === '/' && !parsed.search && !parsed.hash && !parsed.username && !parsed.password;
    if (!bare || !['http:', 'https:'].includes(parsed.protocol)) {
      throw new EnvValueError('comma-separated origins such as https://app.example.com (scheme, host and port only)');
    }
    return parsed.origin;
  });

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "5s", "5m", "2h", "5d" into milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(raw.trim());
  if (!match) throw new EnvValueError('a duration such as 500ms, 5s, 5m, 2h or 5d');
  return Number(match[1]) * UNITS[match[2]];
}

export const duration: EnvParser<number> = parseDuration;

export const durations: EnvParser<number[]> = (raw) => list(raw).map(parseDuration);

export const positiveDuration: EnvParser<number> = (raw) => {
  const ms = parseDuration(raw);
  if (ms === 0) throw new EnvValueError('a duration above zero, such as 1h or 24h');
  return ms;
};
