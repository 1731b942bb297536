import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';

const FORMAT = 'v1';

export class KeyringError extends Error {}

interface Key {
  id: string;
  secret: Buffer;
}

/** Parses ENCRYPTION_KEYS (`kid:base64-32-bytes,…`, primary first). */
export function parseKeyring(spec: string): Key[] {
  const keys = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const separator = entry.indexOf(':');
      const id = entry.slice(0, separator);
      const secret = Buffer.from(entry.slice(separator + 1), 'base64');
      if (separator < 1 || !/^[\w-]{1,32}$/.test(id)) throw new KeyringError('ENCRYPTION_KEYS entries must look like kid:base64key');
      if (secret.length !== 32) throw new KeyringError(`ENCRYPTION_KEYS key "${id}" must be 32 bytes, base64-encoded`);
      return { id, secret };
    });
  if (keys.length === 0) throw new KeyringError('ENCRYPTION_KEYS must hold at least one key');
  if (new Set(keys.map((key) => key.id)).size !== keys.length) throw new KeyringError('ENCRYPTION_KEYS key ids must be unique');
  return keys;
}

/**
 * AES-256-GCM with a keyring. Each ciphertext names the key that sealed it (`v1.kid.iv.tag.data`), so
 * old keys keep decrypting after rotation while new data uses the primary key. `context` is bound as
 * additional authenticated data: a ciphertext copied to another row does not decrypt.
 */
export class Keyring {
  private readonly keys: Map<string, Buffer>;
  readonly primaryId: string;

  constructor(spec: string) {
    const keys = parseKeyring(spec);
    this.keys = new Map(keys.map((key) => [key.id, key.secret]));
    this.primaryId = keys[0].id;
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.primaryId)!, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, this.primaryId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  decrypt(sealed: string, context: string): string {
    const [format, keyId, iv, tag, data] = sealed.split('.');
    if (format !== FORMAT || data === undefined) throw new KeyringError('Not a Plugboard ciphertext');
    const key = this.keys.get(keyId);
    if (!key) throw new KeyringError(`The key "${keyId}" is not in ENCRYPTION_KEYS`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new KeyringError('The ciphertext does not authenticate (wrong key or context, or tampered)');
    }
  }

  encryptJson(value: unknown, context: string): string {
    return this.encrypt(JSON.stringify(value), context);
  }

  decryptJson<T>(sealed: string, context: string): T {
    return JSON.parse(this.decrypt(sealed, context)) as T;
  }

  /**
   * Keys for another purpose (e.g. HMAC signing), derived with HKDF from every key in the ring, the
   * primary's first: sign with the first, accept any, so rotation does not break values in flight.
   */
  derivedKeys(purpose: string): Buffer[] {
    return [...this.keys.entries()]
      .sort(([id]) => (id === this.primaryId ? -1 : 0))
      .map(([, secret]) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `plugboard:${purpose}`, 32)));
  }

  /** True when the ciphertext was sealed with a key other than the primary one. */
  needsRotation(sealed: string): boolean {
    return sealed.split('.')[1] !== this.primaryId;
  }
}

/** The application's keyring from ENCRYPTION_KEYS. */
@Injectable()
export class CredentialKeyring extends Keyring {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super(config.encryptionKeys);
  }
}
