import { ConfigError, loadConfig } from './config.js';

const base = { AUTH_JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEYS: `k:${Buffer.alloc(32).toString('base64')}` };

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3000,
      role: 'all',
      publicUrl: 'http://localhost:3000',
      apiKeyPrefix: 'pb',
      apiKeys: { cacheTtlMs: 30_000, lastUsedFlushMs: 10_000 },
      rateLimitPerMinute: 6000,
      redis: { url: 'redis://127.0.0.1:6379' },
      database: { url: undefined, migrateOnStart: true },
    });
    expect(config.webhooks.retrySchedule).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it('migrates on start by default only in embedded mode', () => {
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://db/plugboard' }).database.migrateOnStart).toBe(false);
  });

  it('names every bad variable and what it expects', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ ...base, PORT: 'eighty', PLUGBOARD_ROLE: 'boss', DATABASE_URL: 'mysql://x', WEBHOOK_RETRY_SCHEDULE: '5s,soon' });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'PORT must be an integer from 1 to 65535 (got "eighty")',
      'DATABASE_URL must be a URL (postgres: or postgresql:) (got "mysql://x")',
      'PLUGBOARD_ROLE must be one of api, worker, all (got "boss")',
      'WEBHOOK_RETRY_SCHEDULE must be a duration such as 500ms, 5s, 5m, 2h or 5d (got "5s,soon")',
    ]);
  });

  it('requires a way to verify member tokens and an encryption key', () => {
    expect(() => loadConfig({})).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URI must be set.*ENCRYPTION_KEYS must be set/);
    expect(() => loadConfig({ ...base, AUTH_JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});
