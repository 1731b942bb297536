import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { CredentialKeyring } from '../../core/crypto/keyring.js';
import { UnavailableError } from '../../core/errors/app-errors.js';
import { REDIS } from '../../core/queue/redis.js';

/** What the store keeps: a sign-in in progress (`state`) or a verified sign-in waiting for its exchange (`code`). */
export type SsoTokenKind = 'state' | 'code';

export type Taken<T> = { outcome: 'ok'; value: T } | { outcome: 'used' } | { outcome: 'unknown' };

/** 32 random bytes, base64url: what every state and code looks like. */
export const SSO_TOKEN = /^[A-Za-z0-9_-]{43}$/;

const USED = 'used';

/**
 * Uses a value once: returns it and leaves `used` in its place for the rest of its lifetime (so a
 * replay is told apart from a made-up token); nil when there is no such key.
 */
const TAKE = `
local value = redis.call('GET', KEYS[1])
if not value then return false end
if value == '${USED}' then return value end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[1], '${USED}', 'PX', ttl) else redis.call('DEL', KEYS[1]) end
return value
`;

/**
 * Single-use, short-lived sign-in tokens in Redis, shared by every replica. Only the SHA-256 of a
 * token is a key, and what it holds is sealed with ENCRYPTION_KEYS (AES-256-GCM, bound to that key),
 * so neither a Redis dump nor its keys let anyone finish a sign-in or read who signed in.
 */
@Injectable()
export class SsoStore {
  private readonly logger = new Logger(SsoStore.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keyring: CredentialKeyring,
  ) {}

  /** Keeps `value` for `ttlMs` under a new random token, and returns the token. */
  async put(kind: SsoTokenKind, value: object, ttlMs: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const { key, context } = this.address(kind, token);
    await this.guard(() => this.redis.set(key, this.keyring.encryptJson(value, context), 'PX', ttlMs));
    return token;
  }

  /** The value without using it up. */
  async peek<T>(kind: SsoTokenKind, token: string): Promise<Taken<T>> {
    if (!SSO_TOKEN.test(token)) return { outcome: 'unknown' };
    const { key, context } = this.address(kind, token);
    return this.open<T>(await this.guard(() => this.redis.get(key)), context);
  }

  /** The value, used up: a second take of the same token answers `used` until it would have expired. */
  async take<T>(kind: SsoTokenKind, token: string): Promise<Taken<T>> {
    if (!SSO_TOKEN.test(token)) return { outcome: 'unknown' };
    const { key, context } = this.address(kind, token);
    return this.open<T>((await this.guard(() => this.redis.eval(TAKE, 1, key))) as string | null, context);
  }

  private open<T>(stored: string | null, context: string): Taken<T> {
    if (stored === null) return { outcome: 'unknown' };
    if (stored === USED) return { outcome: 'used' };
    try {
      return { outcome: 'ok', value: this.keyring.decryptJson<T>(stored, context) };
    } catch {
      // Sealed with a key no longer in ENCRYPTION_KEYS, or not ours: as good as unknown.
      return { outcome: 'unknown' };
    }
  }

  private address(kind: SsoTokenKind, token: string): { key: string; context: string } {
    const hash = createHash('sha256').update(token).digest('hex');
    return { key: `${this.config.redis.queuePrefix}:sso:${kind}:${hash}`, context: `sso-${kind}:${hash}` };
  }

  /** Redis being unreachable is a 503 to retry, never a 500. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.logger.warn({ err: error }, 'SSO store unavailable');
      throw new UnavailableError('Sign-in is unavailable for a moment: its store (Redis) cannot be reached');
    }
  }
}
