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
      publicRateLimitPerMinute: 120,
      corsOrigins: [],
      auth: { maxTtlMs: 86_400_000 },
      redis: { url: 'redis://127.0.0.1:6379' },
      database: { url: undefined, migrateOnStart: true },
    });
    expect(config.webhooks.retrySchedule).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it('migrates on start by default only in embedded mode', () => {
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://db/plugboard' }).database.migrateOnStart).toBe(false);
  });

  it('reads operator OAuth clients with their app secrets by camel-cased name', () => {
    const config = loadConfig({
      ...base,
      PLUGBOARD_OAUTH_SLACK_CLIENT_ID: 'slack-client',
      PLUGBOARD_OAUTH_SLACK_CLIENT_SECRET: 'slack-secret',
      PLUGBOARD_OAUTH_SLACK_APP_SIGNING_SECRET: 'signing-secret-value',
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_ID: 'google-client',
      PLUGBOARD_OAUTH_GOOGLE_CALENDAR_CLIENT_SECRET: 'google-secret',
    });
    expect(config.oauthClients).toEqual({
      slack: { clientId: 'slack-client', clientSecret: 'slack-secret', secrets: { signingSecret: 'signing-secret-value' } },
      google_calendar: { clientId: 'google-client', clientSecret: 'google-secret' },
    });
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

  it('reads CORS origins as bare origins and refuses paths, wildcards and other schemes', () => {
    expect(loadConfig({ ...base, CORS_ORIGINS: 'https://App.Example.com, http://localhost:5173/,https://x.example:443' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'https://x.example',
    ]);
    for (const bad of ['*', 'https://app.example.com/path', 'app.example.com', 'ftp://files.example.com', 'https://a.example?x=1', 'https://user@a.example']) {
      expect(() => loadConfig({ ...base, CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must be comma-separated origins/);
    }
  });

  it('refuses a zero AUTH_JWT_MAX_TTL and a negative PUBLIC_RATE_LIMIT_PER_MINUTE', () => {
    expect(loadConfig({ ...base, AUTH_JWT_MAX_TTL: '15m', PUBLIC_RATE_LIMIT_PER_MINUTE: '0' })).toMatchObject({
      auth: { maxTtlMs: 900_000 },
      publicRateLimitPerMinute: 0,
    });
    expect(() => loadConfig({ ...base, AUTH_JWT_MAX_TTL: '0h' })).toThrow(/AUTH_JWT_MAX_TTL must be a duration above zero/);
    expect(() => loadConfig({ ...base, PUBLIC_RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/PUBLIC_RATE_LIMIT_PER_MINUTE must be an integer from 0/);
  });

  it('requires a way to verify member tokens and an encryption key', () => {
    expect(() => loadConfig({})).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URI must be set.*ENCRYPTION_KEYS must be set/);
    expect(() => loadConfig({ ...base, AUTH_JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});
