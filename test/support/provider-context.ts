import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export type Provider = Record<string, any>;

export interface ContextOptions {
  credentials?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  livemode?: boolean;
  /** PROVIDER_ORIGIN_OVERRIDES as the host applies them: real origin → fake origin. */
  origins?: Record<string, string>;
}

export interface LoggedLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface ProviderTestContext {
  /** What a plugin function receives as `ctx`. */
  ctx: Record<string, any>;
  logs: LoggedLine[];
  /** Every URL the plugin requested, as it named it (before origin overrides). */
  urls: string[];
}

/** Loads a first-party plugin from `plugins/<folder>` and returns its provider `id`. */
export async function loadProvider(folder: string, id: string): Promise<Provider> {
  const entry = pathToFileURL(resolve('plugins', folder, 'index.js')).href;
  const plugin = (await import(entry)).default as { providers: Provider[] };
  const provider = plugin.providers.find((candidate) => candidate.id === id);
  if (!provider) throw new Error(`plugins/${folder} has no provider ${id}`);
  return provider;
}

function fill(template: string, values: Record<string, unknown>): string | undefined {
  let missing = false;
  const filled = template.replace(/\{([\w.-]+)\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined || value === null || typeof value === 'object') missing = true;
    return missing ? '' : encodeURIComponent(String(value));
  });
  return missing ? undefined : filled.replace(/\/+$/, '');
}

/**
 * A `ctx` with the host's `ctx.http` semantics: relative URLs resolve against `baseUrl` (placeholders
 * filled from metadata), the provider's auth is applied only under that base URL, bodies are encoded
 * like the SDK does, and origin overrides point real provider origins at local fakes.
 */
export function providerContext(provider: Provider, options: ContextOptions = {}): ProviderTestContext {
  const credentials = options.credentials ?? {};
  const metadata = options.metadata ?? {};
  const base = provider.baseUrl ? fill(provider.baseUrl, metadata) : undefined;
  const urls: string[] = [];
  const logs: LoggedLine[] = [];
  const log = Object.fromEntries(
    ['debug', 'info', 'warn', 'error'].map((level) => [level, (message: string, fields?: Record<string, unknown>) => logs.push({ level, message, fields })]),
  );
  const http = async (input: string | URL, init: Record<string, any> = {}): Promise<Response> => {
    const raw = String(input);
    const url = base && !/^[a-z][a-z0-9+.-]*:/i.test(raw) ? new URL(`${base}/${raw.replace(/^\/+/, '')}`) : new URL(raw);
    urls.push(url.href);
    const headers = new Headers(init.headers);
    let body = init.body;
    if (body instanceof URLSearchParams) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
      body = body.toString();
    } else if (body !== undefined && body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) {
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      body = JSON.stringify(body);
    }
    if (base && (url.href === base || url.href.startsWith(`${base}/`) || url.href.startsWith(`${base}?`))) {
      const auth = provider.auth;
      if (auth.type === 'oauth2' && typeof credentials.accessToken === 'string' && !headers.has('authorization')) {
        headers.set('authorization', `Bearer ${credentials.accessToken}`);
      } else if (auth.type === 'api_key') {
        const rules = auth.apply ?? { headers: { Authorization: 'Bearer {apiKey}' } };
        for (const [name, template] of Object.entries<string>(rules.headers ?? {})) {
          const value = template.replace(/\{(\w+)\}/g, (_m, key: string) => String(credentials[key] ?? ''));
          if (!headers.has(name)) headers.set(name, value);
        }
      }
    }
    const override = options.origins?.[url.origin];
    const target = override ? new URL(`${new URL(override).origin}${url.pathname}${url.search}`) : url;
    return fetch(target, { method: init.method ?? 'GET', headers, body, redirect: 'manual', signal: init.signal });
  };
  return {
    ctx: {
      credentials,
      settings: options.settings ?? {},
      integration: { id: '8f0c6c52-1d2e-4f3a-9b4c-5d6e7f8a9b0c', accountId: 'acc_test', livemode: options.livemode ?? false, metadata },
      http,
      log,
      signal: new AbortController().signal,
    },
    logs,
    urls,
  };
}
