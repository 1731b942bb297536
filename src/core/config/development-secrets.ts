import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface DevelopmentSecrets {
  AUTH_JWT_SECRET: string;
  ENCRYPTION_KEYS: string;
}

/**
 * Outside production, a fresh installation needs no secrets to start: a JWT secret and an encryption
 * key are generated once and kept (mode 0600) under DATA_DIR, so tokens and ciphertexts survive restarts.
 * Production must set them explicitly.
 */
export function applyDevelopmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === 'production') return;
  if ((env.AUTH_JWT_SECRET || env.AUTH_JWKS_URI) && env.ENCRYPTION_KEYS) return;
  const dataDir = resolve(env.DATA_DIR || './.plugboard');
  const file = join(dataDir, 'development-secrets.json');
  let secrets: DevelopmentSecrets;
  if (existsSync(file)) {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as DevelopmentSecrets;
  } else {
    secrets = {
      AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEYS: `dev1:${randomBytes(32).toString('base64')}`,
    };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URI) env.AUTH_JWT_SECRET = secrets.AUTH_JWT_SECRET;
  if (!env.ENCRYPTION_KEYS) env.ENCRYPTION_KEYS = secrets.ENCRYPTION_KEYS;
}
