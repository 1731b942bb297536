import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export type ApiKeyMode = 'live' | 'test';

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 32 base62 characters carry 190 bits of randomness (the contract asks for at least 128). */
export const RANDOM_LENGTH = 32;
export const CHECKSUM_LENGTH = 6;
/** Characters of the random part shown in `start`, after `{prefix}_{mode}_`. */
const START_LENGTH = 4;

/**
 * The shape of a key for a prefix: `{prefix}_{live|test}_` + 32 random base62 characters + a 6-character
 * base62 CRC32 of everything before it. Secret scanners match on it; typos fail the checksum without
 * a database lookup.
 */
export function apiKeyPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}_(live|test)_([0-9A-Za-z]{${RANDOM_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);
}

/** CRC32 of `text` as 6 base62 digits, most significant first (62^6 > 2^32, so every value fits). */
export function checksum(text: string): string {
  let value = crc32(text);
  let digits = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    digits = BASE62[value % 62] + digits;
    value = Math.floor(value / 62);
  }
  return digits;
}

/** Uniform base62: bytes of 248 and above are dropped so `% 62` has no bias. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface GeneratedApiKey {
  key: string;
  hash: string;
  start: string;
  last4: string;
}

export function generateApiKey(prefix: string, mode: ApiKeyMode): GeneratedApiKey {
  const body = `${prefix}_${mode}_${randomBase62(RANDOM_LENGTH)}`;
  const key = body + checksum(body);
  return { key, hash: hashApiKey(key), start: key.slice(0, prefix.length + mode.length + 2 + START_LENGTH), last4: key.slice(-4) };
}

/** What is stored and looked up: the SHA-256 of the whole key string, hex. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export type ParsedApiKey = { ok: true; mode: ApiKeyMode } | { ok: false; reason: 'key_malformed' | 'key_checksum_mismatch' };

/** Checks shape and checksum only; whether the key exists is the database's answer. */
export function parseApiKey(pattern: RegExp, key: string): ParsedApiKey {
  const match = pattern.exec(key);
  if (!match) return { ok: false, reason: 'key_malformed' };
  const body = key.slice(0, key.length - CHECKSUM_LENGTH);
  if (checksum(body) !== match[3]) return { ok: false, reason: 'key_checksum_mismatch' };
  return { ok: true, mode: match[1] as ApiKeyMode };
}
