/**
 * How a provider's auth is applied to requests under its base URL: shared by the host (`ctx.http`)
 * and the SDK's test harness, so what authors test is what runs. No imports from the rest of src.
 */
import type { ProviderAuth } from './contract.js';

/** A credential as text: strings and numbers as they are, anything else as nothing. */
function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** `{field}` placeholders filled from `values`; undefined when one is missing. */
function fillTemplate(template: string, values: Record<string, unknown>): string | undefined {
  let missing = false;
  const filled = template.replace(/\{([\w.-]+)\}/g, (_match, key: string) => {
    const value = values[key];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      missing = true;
      return '';
    }
    return String(value);
  });
  return missing ? undefined : filled;
}

/** The provider's base URL with `{placeholders}` filled from the integration's metadata (URL-encoded). */
export function resolveBaseUrl(baseUrl: string | undefined, metadata: Record<string, unknown>): string | undefined {
  if (!baseUrl) return undefined;
  const encoded = Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, typeof value === 'string' ? encodeURIComponent(value) : value]));
  return fillTemplate(baseUrl, encoded)?.replace(/\/+$/, '');
}

/** A request URL: absolute as given, or relative to the base URL. */
export function resolveRequestUrl(url: string, base: string | undefined): URL {
  if (base && !/^[a-z][a-z0-9+.-]*:/i.test(url)) return new URL(`${base}/${url.replace(/^\/+/, '')}`);
  return new URL(url);
}

/** Whether credentials may be sent to this URL: only under the provider's own base URL. */
export function isUnderBase(url: URL, base: string | undefined): boolean {
  return base !== undefined && (url.href === base || url.href.startsWith(`${base}/`) || url.href.startsWith(`${base}?`));
}

/**
 * Applies credentials: OAuth 2.0 as `Authorization: Bearer <accessToken>`; `api_key` and `basic`
 * through `auth.apply` templates, else `Bearer {apiKey}` / HTTP Basic from username and password.
 * Headers and query parameters the plugin set itself are kept.
 */
export function applyCredentials(auth: ProviderAuth, credentials: Record<string, unknown>, url: URL, headers: Headers): void {
  if (auth.type === 'none') return;
  if (auth.type === 'oauth2') {
    const token = credentials.accessToken;
    if (typeof token !== 'string') return;
    const type = typeof credentials.tokenType === 'string' && credentials.tokenType.toLowerCase() !== 'bearer' ? credentials.tokenType : 'Bearer';
    if (!headers.has('authorization')) headers.set('authorization', `${type} ${token}`);
    return;
  }
  const apply = auth.apply;
  if (!apply && auth.type === 'basic') {
    if (!headers.has('authorization') && credentials.password !== undefined) {
      const pair = `${textOf(credentials.username)}:${textOf(credentials.password)}`;
      headers.set('authorization', `Basic ${Buffer.from(pair).toString('base64')}`);
    }
    return;
  }
  const rules = apply ?? { headers: { Authorization: 'Bearer {apiKey}' } };
  for (const [name, template] of Object.entries(rules.headers ?? {})) {
    const value = fillTemplate(template, credentials);
    if (value !== undefined && !headers.has(name)) headers.set(name, value);
  }
  for (const [name, template] of Object.entries(rules.query ?? {})) {
    const value = fillTemplate(template, credentials);
    if (value !== undefined && !url.searchParams.has(name)) url.searchParams.set(name, value);
  }
}
