import { randomBytes } from 'node:crypto';
import { Keyring, KeyringError } from './keyring.js';

const key = () => randomBytes(32).toString('base64');

describe('Keyring', () => {
  it('round-trips and never contains the plaintext', () => {
    const keyring = new Keyring(`a:${key()}`);
    const sealed = keyring.encrypt('sk_live_secret', 'integration:1');
    expect(sealed).not.toContain('sk_live_secret');
    expect(sealed.startsWith('v1.a.')).toBe(true);
    expect(keyring.decrypt(sealed, 'integration:1')).toBe('sk_live_secret');
  });

  it('refuses another context and tampered data', () => {
    const keyring = new Keyring(`a:${key()}`);
    const sealed = keyring.encrypt('secret', 'integration:1');
    expect(() => keyring.decrypt(sealed, 'integration:2')).toThrow(KeyringError);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => keyring.decrypt(parts.join('.'), 'integration:1')).toThrow(KeyringError);
  });

  it('decrypts with old keys after rotation and reports what needs re-encryption', () => {
    const oldKey = key();
    const before = new Keyring(`old:${oldKey}`);
    const sealed = before.encrypt('secret', 'c');
    const after = new Keyring(`new:${key()},old:${oldKey}`);
    expect(after.decrypt(sealed, 'c')).toBe('secret');
    expect(after.needsRotation(sealed)).toBe(true);
    expect(after.needsRotation(after.encrypt('secret', 'c'))).toBe(false);
  });

  it('validates the key specification', () => {
    expect(() => new Keyring('nokey')).toThrow(KeyringError);
    expect(() => new Keyring(`a:${Buffer.alloc(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => new Keyring(`a:${key()},a:${key()}`)).toThrow(/unique/);
  });
});
