/**
 * How a provider's auth is applied to requests under its base URL: shared by the host (`ctx.http`)
 * and the SDK's test harness, so what authors test is what runs. No imports from the rest of src.
 */
import type { OAuth2Auth, ProviderAuth, TokenExchange } from './contract.js';

/** A credential as text: strings and numbers as they are, anything else as nothing. */
function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/**
 * `{field}` placeholders filled from `values`; undefined when one is missing. With `encode`, values
 * are URL-encoded except in `{+field}` placeholders (RFC 6570's reserved expansion).
 */
function fillTemplate(template: string, values: Record<string, unknown>, encode = false): string | undefined {
  let missing = false;
  const filled = template.replace(/\{(\+?)([\w.-]+)\}/g, (_match, raw: string, key: string) => {
    const value = values[key];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      missing = true;
      return '';
    }
    return encode && !raw ? encodeURIComponent(String(value)) : String(value);
  });
  return missing ? undefined : filled;
}

/**
 * A provider URL (its base URL, OAuth URLs, token URL) with `{placeholders}` filled from the
 * connection's metadata, URL-encoded (`{+name}` as it is); undefined when a value is missing.
 */
export function resolveBaseUrl(baseUrl: string | undefined, metadata: Record<string, unknown>): string | undefined {
  return resolveUrlTemplate(baseUrl, metadata)?.replace(/\/+$/, '');
}

/** A provider URL template filled as for `resolveBaseUrl`, keeping a trailing slash (TikTok's token URL ends in one). */
export function resolveUrlTemplate(template: string | undefined, metadata: Record<string, unknown>): string | undefined {
  if (!template) return undefined;
  // Host names are case-insensitive and parsed URLs carry them lower-cased: so must the base, or no
  // request would be under it (Marketo's https://{munchkinId}.mktorest.com with 123-ABC-456).
  return fillTemplate(template, metadata, true)?.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, (origin) => origin.toLowerCase());
}

/**
 * The token-response values a provider keeps (`auth.tokenMetadata`), by metadata key; throws a
 * `provider_rejected` error when one is missing or does not match its pattern.
 */
export function readTokenMetadata(spec: OAuth2Auth['tokenMetadata'], response: Record<string, unknown>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, rule] of Object.entries(spec ?? {})) {
    const { pointer, pattern } = typeof rule === 'string' ? { pointer: rule, pattern: undefined } : rule;
    const value = readPointer(response, pointer);
    if (typeof value !== 'string' || (pattern !== undefined && !new RegExp(pattern).test(value))) {
      throw Object.assign(new Error(`The provider's token response has no valid ${pointer.slice(1) || key}`), { code: 'provider_rejected' });
    }
    kept[key] = value;
  }
  return kept;
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
 * Applies credentials: OAuth 2.0 as `Authorization: Bearer <accessToken>` unless `auth.apply` says
 * otherwise (templates of `{accessToken}`); `api_key` and `basic` through `auth.apply` templates, else
 * `Bearer {apiKey}` / HTTP Basic from username and password.
 * Headers and query parameters the plugin set itself are kept.
 */
export function applyCredentials(auth: ProviderAuth, credentials: Record<string, unknown>, url: URL, headers: Headers): void {
  if (auth.type === 'none') return;
  if (auth.type === 'oauth2') {
    const token = credentials.accessToken;
    if (typeof token !== 'string') return;
    if (!auth.apply) {
      // Slack names its tokens' kind (`bot`, `user`) in token_type; they are bearer tokens all the same.
      const type =
        typeof credentials.tokenType === 'string' && !['bearer', 'bot', 'user'].includes(credentials.tokenType.toLowerCase())
          ? credentials.tokenType
          : 'Bearer';
      if (!headers.has('authorization')) headers.set('authorization', `${type} ${token}`);
      return;
    }
  }
  const apply = auth.apply;
  if (!apply && auth.type === 'basic') {
    if (!headers.has('authorization') && credentials.password !== undefined) {
      const pair = `${textOf(credentials.username)}:${textOf(credentials.password)}`;
      headers.set('authorization', `Basic ${Buffer.from(pair).toString('base64')}`);
    }
    return;
  }
  if (apply?.basic && !headers.has('authorization')) {
    const [username, password] = [fillTemplate(apply.basic.username, credentials), fillTemplate(apply.basic.password, credentials)];
    if (username !== undefined && password !== undefined) headers.set('authorization', `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
  }
  // (An OAuth 2.0 provider reaching here has its own `apply`.)
  const rules = apply ?? { headers: { Authorization: auth.type !== 'oauth2' && auth.token ? 'Bearer {accessToken}' : 'Bearer {apiKey}' } };
  for (const [name, template] of Object.entries(rules.headers ?? {})) {
    const value = fillTemplate(template, credentials);
    if (value !== undefined && !headers.has(name)) headers.set(name, value);
  }
  for (const [name, template] of Object.entries(rules.query ?? {})) {
    const value = fillTemplate(template, credentials);
    if (value !== undefined && !url.searchParams.has(name)) url.searchParams.set(name, value);
  }
}

/** A token obtained by a TokenExchange, and until when it may be used. */
export interface ExchangedToken {
  accessToken: string;
  /** Epoch ms; undefined when the answer named no lifetime. */
  expiresAt?: number;
}

function readPointer(value: unknown, path: string): unknown {
  let current = value;
  for (const raw of path.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Obtains a token from entered credentials as `exchange` describes, through `fetch` (the host's
 * SSRF-checked client, or the test harness's stub). A refusal (4xx) throws an error with code
 * `provider_rejected`; anything else unexpected, a plain error.
 */
export async function exchangeToken(
  exchange: TokenExchange,
  credentials: Record<string, unknown>,
  metadata: Record<string, unknown>,
  fetch: (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<Response>,
): Promise<ExchangedToken> {
  const url = resolveUrlTemplate(exchange.url, metadata);
  if (!url) throw new Error('the token URL needs metadata the connection does not have');
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (exchange.grant === 'client_credentials') {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (exchange.scopes?.length) form.set('scope', exchange.scopes.join(' '));
    const [id, secret] = [textOf(credentials.clientId), textOf(credentials.clientSecret)];
    if (exchange.clientAuth === 'body') {
      form.set('client_id', id);
      form.set('client_secret', secret);
    } else headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = form.toString();
  } else if (exchange.body) {
    const fields = Object.fromEntries(Object.entries(exchange.body).map(([name, template]) => [name, fillTemplate(template, credentials) ?? '']));
    headers['content-type'] = exchange.form ? 'application/x-www-form-urlencoded' : 'application/json';
    body = exchange.form ? new URLSearchParams(fields).toString() : JSON.stringify(fields);
  }
  for (const [name, template] of Object.entries(exchange.headers ?? {})) {
    const value = fillTemplate(template, credentials);
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const response = await fetch(url, { method: exchange.method ?? 'POST', headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    const message =
      readPointer(answer, '/error_description') ?? readPointer(answer, '/error/message') ?? readPointer(answer, '/message') ?? readPointer(answer, '/error');
    throw Object.assign(new Error(`The provider refused the credentials${typeof message === 'string' ? `: ${message}` : ''}`), { code: 'provider_rejected' });
  }
  const accessToken = readPointer(answer, exchange.accessToken ?? '/access_token');
  if (!response.ok || typeof accessToken !== 'string' || accessToken === '') throw new Error(`the token endpoint answered ${response.status} without a token`);
  const named = Number(readPointer(answer, exchange.expiresIn ?? '/expires_in'));
  const expiresIn = Number.isFinite(named) && named > 0 ? named : (exchange.assumedLifetimeSeconds ?? Number.NaN);
  return { accessToken, ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresAt: Date.now() + expiresIn * 1000 } : {}) };
}

/** What a code exchange answered: the token, any refresh token, and the rest of the answer. */
export interface ExchangedCode {
  accessToken: string;
  refreshToken?: string;
  params: Record<string, unknown>;
}

/**
 * The code exchange of a provider with its own token request (`auth.tokenRequest`): a JSON POST of
 * `request.body` filled from the client and the code; the token answer read at `request.result`.
 * A refusal, including an HTTP 200 envelope without a token (TikTok's `code: 40001`), throws an error
 * with code `provider_rejected` and the provider's message.
 */
export async function exchangeCodeOwnWay(
  request: NonNullable<OAuth2Auth['tokenRequest']>,
  values: { clientId: string; clientSecret: string; code: string; redirectUri: string },
  tokenUrl: string,
  fetch: (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<Response>,
): Promise<ExchangedCode> {
  const body = Object.fromEntries(Object.entries(request.body).map(([name, template]) => [name, fillTemplate(template, values) ?? '']));
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  const result = readPointer(answer, request.result ?? '');
  const tokens = result !== null && typeof result === 'object' ? (result as Record<string, unknown>) : {};
  if (typeof tokens.access_token === 'string' && tokens.access_token !== '' && response.ok) {
    const { access_token: accessToken, refresh_token: refreshToken, ...params } = tokens;
    return { accessToken, ...(typeof refreshToken === 'string' ? { refreshToken } : {}), params };
  }
  if (response.status >= 500 || response.status === 429 || response.status === 408) throw new Error(`the token endpoint answered ${response.status}`);
  const message = readPointer(answer, '/message') ?? readPointer(answer, '/error_description') ?? readPointer(answer, '/error');
  throw Object.assign(new Error(`The provider refused the code${typeof message === 'string' ? `: ${message}` : ''}`), { code: 'provider_rejected' });
}
