import { createHash } from 'node:crypto';
import { apiKeyPattern, BASE62, checksum, generateApiKey, hashApiKey, parseApiKey, RANDOM_LENGTH } from './api-key-format.js';

/** The regular expression documented in the README for secret scanners. */
const DOCUMENTED = /^pb_(live|test)_[0-9A-Za-z]{38}$/;
const pattern = apiKeyPattern('pb');

describe('API key format', () => {
  it('looks like {prefix}_{mode}_ + 32 random + 6 checksum base62 characters', () => {
    for (const mode of ['live', 'test'] as const) {
      const { key, start, last4 } = generateApiKey('pb', mode);
      expect(key).toMatch(DOCUMENTED);
      expect(key.startsWith(`pb_${mode}_`)).toBe(true);
      expect(start).toBe(key.slice(0, `pb_${mode}_`.length + 4));
      expect(last4).toBe(key.slice(-4));
      expect(parseApiKey(pattern, key)).toEqual({ ok: true, mode });
    }
    expect(generateApiKey('acme', 'live').key).toMatch(/^acme_live_[0-9A-Za-z]{38}$/);
  });

  it('carries at least 128 bits of randomness, spread over the whole alphabet', () => {
    expect(RANDOM_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(128);
    const keys = Array.from({ length: 2000 }, () => generateApiKey('pb', 'test').key);
    expect(new Set(keys).size).toBe(keys.length);
    const seen = new Set(keys.flatMap((key) => [...key.slice(8, 8 + RANDOM_LENGTH)]));
    expect(seen.size).toBe(62);
  });

  it('checksums with CRC32 written as 6 base62 digits (CRC32("123456789") = 0xCBF43926)', () => {
    expect(checksum('123456789')).toBe('3jZRME');
    expect(checksum('')).toBe('000000');
    const { key } = generateApiKey('pb', 'live');
    expect(key.slice(-6)).toBe(checksum(key.slice(0, -6)));
  });

  it('rejects every single-character typo by checksum, without a lookup', () => {
    const { key } = generateApiKey('pb', 'live');
    for (let position = 8; position < key.length; position++) {
      const replacement = BASE62[(BASE62.indexOf(key[position]) + 1 + position) % 62];
      const typo = key.slice(0, position) + replacement + key.slice(position + 1);
      expect(parseApiKey(pattern, typo)).toEqual({ ok: false, reason: 'key_checksum_mismatch' });
    }
    const swappedMode = key.replace('pb_live_', 'pb_test_');
    expect(parseApiKey(pattern, swappedMode)).toEqual({ ok: false, reason: 'key_checksum_mismatch' });
  });

  it('calls anything of another shape malformed', () => {
    const { key } = generateApiKey('pb', 'test');
    for (const bad of [key.slice(0, -1), `${key}x`, key.replace('pb_', 'xx_'), key.replace('_test_', '_prod_'), `${key.slice(0, -7)}-${key.slice(-6)}`, '']) {
      expect(parseApiKey(pattern, bad)).toEqual({ ok: false, reason: 'key_malformed' });
    }
  });

  it('stores the SHA-256 of the whole key', () => {
    const { key, hash } = generateApiKey('pb', 'live');
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toBe(hash);
  });
});
