import { resolve } from 'node:path';
import { bool, duration, durations, EnvParser, EnvValueError, int, list, oneOf, origins, parseDuration, positiveDuration, str, url } from './env-parsers.js';

export type ProcessRole = 'api' | 'worker' | 'all';

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  role: ProcessRole;
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  /** The built web console (`npm run build` writes console/dist), served at /console and /connect. */
  consoleDir: string;
  logLevel: string;
  bodyLimit: string;
  /** Object keys and array items a JSON body (or event data, settings, input) may hold in all. */
  jsonMaxKeys: number;
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  database: { url?: string; migrateOnStart: boolean; poolSize: number; listCacheMb: number };
  redis: { url: string; queuePrefix: string };
  /**
   * `maxTtlMs`: how far ahead a member JWT's `exp` may lie; `cacheTtlMs`: how long a replica trusts a
   * verified token and a member's role and plan without re-checking them.
   */
  auth: { jwtSecret?: string; jwksUri?: string; issuer?: string; audience?: string; maxTtlMs: number; cacheTtlMs: number };
  encryptionKeys: string;
  apiKeyPrefix: string;
  /** `maxRollOverlapMs`: how long a rolled key may keep working beside its replacement. */
  apiKeys: { cacheTtlMs: number; lastUsedFlushMs: number; maxRollOverlapMs: number };
  rateLimitPerMinute: number;
  /** Per client IP: requests to public routes and requests that fail authentication. */
  publicRateLimitPerMinute: number;
  /** Browser origins allowed to call the API (CORS); none by default. */
  corsOrigins: string[];
  allowPrivateNetwork: boolean;
  allowInsecureWebhooks: boolean;
  allowedReturnOrigins: string[];
  providerOriginOverrides: Record<string, string>;
  /**
   * Operator OAuth clients by provider id, from PLUGBOARD_OAUTH_<PROVIDER_ID>_CLIENT_ID / _CLIENT_SECRET,
   * with the app's other secrets from PLUGBOARD_OAUTH_<PROVIDER_ID>_APP_<NAME> (`signingSecret` from _APP_SIGNING_SECRET).
   */
  oauthClients: Record<string, { clientId: string; clientSecret: string; secrets?: Record<string, string> }>;
  integrations: { healthCheckIntervalMs: number; refreshSweepIntervalMs: number; tombstoneDays: number };
  plansFile: string;
  /** The onboarding template: steps and requirement levels, integration feature flags, notice senders. */
  onboardingFile: string;
  eventTypesDir: string;
  webhooks: {
    retrySchedule: number[];
    timeoutMs: number;
    disableAfterMs: number;
    logRetentionMs: number;
    secretOverlapMs: number;
    concurrency: number;
    cleanupIntervalMs: number;
  };
  reconcileIntervalMs: number;
  /** How often an open MCP event stream looks for changes of its caller's tools (and that its key still works). */
  mcpStreamPollMs: number;
  shutdownTimeoutMs: number;
  plugins: PluginsConfig;
}

export type PluginIsolation = 'process' | 'none';
export type PluginSignaturePolicy = 'required' | 'warn' | 'off';

export interface PluginsConfig {
  /** The repository's first-party plugins (loaded first; exempt from the signature policy). */
  bundledDir: string;
  /** PLUGINS_DIR, in load order; marketplace installs go to the first. */
  dirs: string[];
  isolation: PluginIsolation;
  callTimeoutMs: number;
  verifyTimeoutMs: number;
  memoryMb: number;
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  /** A plugin host process with no call for this long is stopped; the next call starts it again. */
  idleMs: number;
  /** Host processes the plugins of one publisher are spread over. */
  hostsPerPublisher: number;
  signaturePolicy: PluginSignaturePolicy;
  trustedPublishersDir: string;
  marketplaceIndex: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /**
   * Whether the token-verification secret and the encryption keys must be set. Only commands that
   * neither verify tokens nor touch credentials (`plugboard migrate`) turn this off.
   */
  requireSecrets?: boolean;
}

/**
 * Reads and validates configuration from environment variables. Every problem is collected so one
 * start-up attempt reports all of them, each naming the variable and what it expects.
 */
export function loadConfig(env: Env = process.env, { requireSecrets = true }: LoadConfigOptions = {}): AppConfig {
  const problems: string[] = [];
  function read<T>(name: string, parse: EnvParser<T>, fallback: T): T;
  function read<T>(name: string, parse: EnvParser<T>): T | undefined;
  function read<T>(name: string, parse: EnvParser<T>, fallback?: T): T | undefined {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      return parse(raw);
    } catch (error) {
      if (!(error instanceof EnvValueError)) throw error;
      problems.push(`${name} must be ${error.message} (got "${raw}")`);
      return fallback;
    }
  }

  const nodeEnv = read('NODE_ENV', oneOf('development', 'production', 'test'), 'development');
  const port = read('PORT', int(1, 65535), 3000);
  const databaseUrl = read('DATABASE_URL', url('postgres:', 'postgresql:'));
  const auth = {
    jwtSecret: read('AUTH_JWT_SECRET', str),
    jwksUri: read('AUTH_JWKS_URI', url('https:', 'http:')),
    issuer: read('AUTH_JWT_ISSUER', str),
    audience: read('AUTH_JWT_AUDIENCE', str),
    maxTtlMs: read('AUTH_JWT_MAX_TTL', positiveDuration, 86_400_000),
    cacheTtlMs: read('MEMBER_CACHE_TTL_MS', int(0, 3_600_000), 30_000),
  };
  if (!auth.jwtSecret && !auth.jwksUri) {
    if (requireSecrets) problems.push('AUTH_JWT_SECRET or AUTH_JWKS_URI must be set (the secret or key set that signs member tokens)');
  } else if (auth.jwtSecret && auth.jwtSecret.length < 32) {
    problems.push('AUTH_JWT_SECRET must be at least 32 characters');
  }
  const encryptionKeys = read('ENCRYPTION_KEYS', str);
  if (!encryptionKeys && requireSecrets) {
    problems.push('ENCRYPTION_KEYS must be set (kid:base64-32-byte-key, comma-separated, primary first)');
  }

  const dataDir = resolve(read('DATA_DIR', str, './.plugboard'));
  const config: AppConfig = {
    env: nodeEnv,
    role: read('PLUGBOARD_ROLE', oneOf('api', 'worker', 'all'), 'all'),
    host: read('HOST', str, '0.0.0.0'),
    port,
    publicUrl: read('PUBLIC_URL', url('http:', 'https:'), `http://localhost:${port}`),
    dataDir,
    consoleDir: resolve(read('CONSOLE_DIR', str, 'console/dist')),
    logLevel: read('LOG_LEVEL', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'info'),
    bodyLimit: read('BODY_LIMIT', bodySize, '1mb'),
    jsonMaxKeys: read('JSON_MAX_KEYS', int(1, 10_000_000), 10_000),
    metricsToken: read('METRICS_TOKEN', str),
    database: {
      url: databaseUrl,
      migrateOnStart: read('MIGRATE_ON_START', bool, !databaseUrl),
      poolSize: read('DATABASE_POOL_SIZE', int(1, 200), 10),
      listCacheMb: read('LIST_CACHE_MB', int(0, 4096), 32),
    },
    redis: {
      url: read('REDIS_URL', url('redis:', 'rediss:'), 'redis://127.0.0.1:6379'),
      queuePrefix: read('QUEUE_PREFIX', str, 'plugboard'),
    },
    auth,
    encryptionKeys: encryptionKeys ?? '',
    apiKeyPrefix: read('API_KEY_PREFIX', apiKeyPrefix, 'pb'),
    apiKeys: {
      cacheTtlMs: read('API_KEY_CACHE_TTL_MS', int(0, 3_600_000), 30_000),
      lastUsedFlushMs: read('API_KEY_LAST_USED_FLUSH_MS', int(50, 3_600_000), 10_000),
      maxRollOverlapMs: read('API_KEY_MAX_OVERLAP', durationUpTo(7 * 86_400_000, '7d'), 3_600_000),
    },
    rateLimitPerMinute: read('RATE_LIMIT_PER_MINUTE', int(0, 10_000_000), 6000),
    publicRateLimitPerMinute: read('PUBLIC_RATE_LIMIT_PER_MINUTE', int(0, 10_000_000), 120),
    corsOrigins: read('CORS_ORIGINS', origins, []),
    allowPrivateNetwork: read('ALLOW_PRIVATE_NETWORK', bool, false),
    allowInsecureWebhooks: read('ALLOW_INSECURE_WEBHOOKS', bool, false),
    allowedReturnOrigins: read('ALLOWED_RETURN_ORIGINS', list, []),
    providerOriginOverrides: read('PROVIDER_ORIGIN_OVERRIDES', originMap, {}),
    oauthClients: oauthClients(env, problems),
    integrations: {
      healthCheckIntervalMs: read('HEALTH_CHECK_INTERVAL', duration, 3_600_000),
      refreshSweepIntervalMs: read('TOKEN_REFRESH_SWEEP_INTERVAL', duration, 600_000),
      tombstoneDays: read('SYNC_TOMBSTONE_DAYS', int(1, 3650), 30),
    },
    plansFile: resolve(read('PLANS_FILE', str, 'config/plans.yaml')),
    onboardingFile: resolve(read('ONBOARDING_FILE', str, 'config/onboarding.yaml')),
    eventTypesDir: resolve(read('EVENT_TYPES_DIR', str, 'config/event-types')),
    webhooks: {
      retrySchedule: read('WEBHOOK_RETRY_SCHEDULE', durations, [5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]),
      timeoutMs: read('WEBHOOK_TIMEOUT_MS', int(100, 120_000), 15_000),
      disableAfterMs: read('WEBHOOK_DISABLE_AFTER', duration, 5 * 86_400_000),
      logRetentionMs: read('WEBHOOK_LOG_RETENTION', duration, 30 * 86_400_000),
      secretOverlapMs: read('WEBHOOK_SECRET_OVERLAP', duration, 86_400_000),
      concurrency: read('WEBHOOK_CONCURRENCY', int(1, 1000), 32),
      cleanupIntervalMs: read('WEBHOOK_CLEANUP_INTERVAL', duration, 3_600_000),
    },
    reconcileIntervalMs: read('RECONCILE_INTERVAL_MS', int(100, 3_600_000), 10_000),
    mcpStreamPollMs: read('MCP_STREAM_POLL_MS', int(100, 600_000), 5_000),
    shutdownTimeoutMs: read('SHUTDOWN_TIMEOUT_MS', int(0, 600_000), 25_000),
    plugins: {
      bundledDir: resolve(read('BUNDLED_PLUGINS_DIR', str, 'plugins')),
      dirs: read('PLUGINS_DIR', pathList, [resolve(dataDir, 'plugins')]),
      isolation: read('PLUGIN_ISOLATION', oneOf('process', 'none'), 'process'),
      callTimeoutMs: read('PLUGIN_CALL_TIMEOUT_MS', int(10, 3_600_000), 30_000),
      verifyTimeoutMs: read('PLUGIN_VERIFY_TIMEOUT_MS', int(10, 3_600_000), 10_000),
      memoryMb: read('PLUGIN_MEMORY_MB', int(32, 65_536), 256),
      restartBackoffMs: read('PLUGIN_RESTART_BACKOFF_MS', int(0, 600_000), 1000),
      restartBackoffMaxMs: read('PLUGIN_RESTART_BACKOFF_MAX_MS', int(0, 3_600_000), 60_000),
      idleMs: read('PLUGIN_IDLE_MS', int(100, 86_400_000), 600_000),
      hostsPerPublisher: read('PLUGIN_HOSTS_PER_PUBLISHER', int(1, 64), 1),
      signaturePolicy: read('PLUGIN_SIGNATURE_POLICY', oneOf('required', 'warn', 'off'), nodeEnv === 'production' ? 'required' : 'warn'),
      trustedPublishersDir: resolve(read('TRUSTED_PUBLISHERS_DIR', str, 'config/trusted-publishers')),
      marketplaceIndex: read('MARKETPLACE_INDEX', marketplaceIndex, resolve('config/marketplace.json')),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function oauthClients(env: Env, problems: string[]): AppConfig['oauthClients'] {
  const clients: AppConfig['oauthClients'] = {};
  for (const [name, clientId] of Object.entries(env)) {
    const match = /^PLUGBOARD_OAUTH_([A-Z0-9_]+)_CLIENT_ID$/.exec(name);
    if (!match || !clientId) continue;
    const clientSecret = env[`PLUGBOARD_OAUTH_${match[1]}_CLIENT_SECRET`];
    if (!clientSecret) {
      problems.push(`PLUGBOARD_OAUTH_${match[1]}_CLIENT_SECRET must be set with ${name}`);
      continue;
    }
    const prefix = `PLUGBOARD_OAUTH_${match[1]}_APP_`;
    const secrets = Object.fromEntries(
      Object.entries(env)
        .filter(([key, value]) => key.startsWith(prefix) && value)
        .map(([key, value]) => [
          key
            .slice(prefix.length)
            .toLowerCase()
            .replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase()),
          value!,
        ]),
    );
    clients[match[1].toLowerCase()] = { clientId, clientSecret, ...(Object.keys(secrets).length > 0 ? { secrets } : {}) };
  }
  return clients;
}

/** `https://api.stripe.com=http://127.0.0.1:4010,…` → { 'https://api.stripe.com': 'http://127.0.0.1:4010' } */
function originMap(raw: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of list(raw)) {
    const [from, to] = pair.split('=');
    try {
      map[new URL(from).origin] = new URL(to).toString();
    } catch {
      throw new EnvValueError('comma-separated origin=replacement pairs, e.g. https://api.stripe.com=http://127.0.0.1:4010');
    }
  }
  return map;
}

/** Colon-separated directories, resolved against the working directory. */
function pathList(raw: string): string[] {
  return raw
    .split(':')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => resolve(item));
}

/** A URL (http:, https:, file:) or a file path, resolved against the working directory. */
function marketplaceIndex(raw: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    return url('http:', 'https:', 'file:')(raw);
  }
  return resolve(raw);
}

function durationUpTo(maxMs: number, max: string): EnvParser<number> {
  return (raw) => {
    const ms = parseDuration(raw);
    if (ms > maxMs) throw new EnvValueError(`a duration of at most ${max}`);
    return ms;
  };
}

function bodySize(raw: string): string {
  if (!/^\d+(b|kb|mb)$/i.test(raw)) throw new EnvValueError('a size such as 512kb or 1mb');
  return raw.toLowerCase();
}

function apiKeyPrefix(raw: string): string {
  if (!/^[a-z][a-z0-9]{1,9}$/.test(raw)) throw new EnvValueError('2 to 10 lower-case letters or digits');
  return raw;
}
