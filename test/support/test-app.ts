import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import request from 'supertest';
import { loadConfig, type AppConfig } from '../../src/core/config/config.js';
import { applyMigrations } from '../../src/core/database/migrations.js';
import { createApp } from '../../src/app.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const TEST_ENCRYPTION_KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

let migrated: Promise<unknown> | undefined;

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: process.env.TEST_QUEUE_PREFIX ?? 'pbtest',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    LOG_LEVEL: 'silent',
    ALLOW_PRIVATE_NETWORK: 'true',
    RATE_LIMIT_PER_MINUTE: '0',
    PUBLIC_RATE_LIMIT_PER_MINUTE: '0',
    // Installs land in a directory of this app's own, never in the working copy's .plugboard/.
    PLUGINS_DIR: mkdtempSync(join(tmpdir(), 'plugboard-test-plugins-')),
    ...overrides,
  });
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  http: ReturnType<typeof request>;
  /** A member JWT; defaults to a one-hour expiry. */
  token(claims: { sub: string; account?: string; admin?: boolean; expiresIn?: string | number }): Promise<string>;
  close(): Promise<void>;
}

/** The real application on the run's database and Redis, listening on an ephemeral port. */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(overrides);
  migrated ??= applyMigrations(config, config.database.url!, pino({ level: 'silent' }));
  await migrated;
  const app = await createApp({ config, databaseUrl: config.database.url! }, { logs: false });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    token: ({ sub, account, admin, expiresIn = '1h' }) =>
      new SignJWT({ ...(account ? { account_id: account } : {}), ...(admin ? { instance_admin: true } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(new TextEncoder().encode(TEST_JWT_SECRET)),
    close: () => app.close(),
  };
}

/** The Authorization header of a member JWT or an API key. */
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Creates an account through the instance API and returns its id and an owner token. */
export async function createAccount(t: TestApp, plan = 'business'): Promise<{ accountId: string; ownerId: string; ownerToken: string }> {
  const admin = await t.token({ sub: 'operator', admin: true });
  const ownerId = uniqueId('owner');
  const response = await t.http
    .post('/v1/accounts')
    .set('Authorization', `Bearer ${admin}`)
    .send({ name: `Account ${ownerId}`, plan, ownerId });
  if (response.status !== 201) throw new Error(`account creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  const accountId = response.body.id as string;
  return { accountId, ownerId, ownerToken: await t.token({ sub: ownerId, account: accountId }) };
}

/** Adds a member with a role and returns their token. */
export async function addMember(t: TestApp, accountId: string, ownerToken: string, role: string): Promise<string> {
  const userId = uniqueId(role);
  const response = await t.http.post('/v1/members').set('Authorization', `Bearer ${ownerToken}`).send({ userId, role });
  if (response.status !== 201) throw new Error(`adding member failed: ${response.status} ${JSON.stringify(response.body)}`);
  return t.token({ sub: userId, account: accountId });
}
