/**
 * SDK 1.1: the parts of a provider that are data — a request that verifies the credentials, actions
 * that are one HTTP request, paginated lists to sync, how the provider's errors read — declared
 * instead of written, and turned into the same functions a 1.0 plugin writes (`compileProvider`). The
 * host, the child runtime and the test harness all run the compiled provider, so a declaration
 * behaves the same everywhere. Code helpers (`readJson`, `paginate`, `idempotencyKey`) serve the
 * parts that stay code. No imports from the rest of src.
 */
import { createHash } from 'node:crypto';
import type {
  ActionDefinition,
  CodeProvider,
  DeclaredList,
  DeclaredRequest,
  ErrorMapping,
  PluginContext,
  ProviderDefinition,
  Selector,
  SyncResult,
  VerifyResult,
} from './contract.js';
import { ProviderRejectedError } from './contract.js';

/** The provider answered 429 (or a status declared as a rate limit): `Retry-After` seconds when it said. */
export class ProviderRateLimitedError extends Error {
  readonly code = 'provider_rate_limited';
  readonly retryAfterSeconds?: number;

  // No parameter properties: the SDK is erasable TypeScript, loaded as it is by the plugin runtime.
  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ProviderRateLimitedError';
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Reads a JSON pointer (RFC 6901); `''` is the whole value. */
export function pointer(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current = value;
  for (const raw of path.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const POINTER = /^(\/([^~/]|~[01])*)*$/;
const PLACEHOLDER = /\{([\w.-]+)\}/g;

function select<T>(body: unknown, selector: Selector<T> | undefined, response: Response): T | undefined {
  if (selector === undefined) return undefined;
  return typeof selector === 'function' ? selector(body, response) : (pointer(body, selector) as T);
}

/** Values a template may name: the input's fields, `settings.x` and `metadata.x`. */
function lookup(name: string, input: Record<string, unknown>, ctx: PluginContext): unknown {
  if (name.startsWith('settings.')) return ctx.settings[name.slice('settings.'.length)];
  if (name.startsWith('metadata.')) return ctx.integration.metadata[name.slice('metadata.'.length)];
  return input[name];
}

const scalar = (value: unknown): value is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof value);

/** Fills `{name}` placeholders; undefined when one has no value (the query parameter or field is left out). */
function fill(template: string, input: Record<string, unknown>, ctx: PluginContext, encode: (text: string) => string = (text) => text): string | undefined {
  let missing = false;
  const filled = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = lookup(name, input, ctx);
    if (!scalar(value)) missing = true;
    return scalar(value) ? encode(String(value)) : '';
  });
  return missing ? undefined : filled;
}

/** A body value: a lone `{name}` keeps the value's type (numbers, objects); other strings are templates. */
function bodyValue(value: unknown, input: Record<string, unknown>, ctx: PluginContext): unknown {
  if (typeof value !== 'string') return value;
  const lone = /^\{([\w.-]+)\}$/.exec(value);
  return lone ? lookup(lone[1], input, ctx) : fill(value, input, ctx);
}

/** The provider's message from an error body: the declared pointers, else the usual places. */
function providerMessage(body: unknown, mapping: ErrorMapping | undefined): string | undefined {
  if (typeof mapping?.message === 'function') return mapping.message(body) || undefined;
  const pointers = [...[mapping?.message ?? []].flat(), '/error/message', '/error_description', '/message', '/errors/0/message', '/detail', '/error'];
  for (const path of pointers) {
    const value = pointer(body, path);
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

/** Replaces every credential value (of 4+ characters) the text echoes. */
function redact(text: string, credentials: Record<string, unknown>): string {
  let redacted = text;
  for (const value of Object.values(credentials)) {
    if (typeof value === 'string' && value.length >= 4) redacted = redacted.split(value).join('[redacted]');
  }
  return redacted;
}

/**
 * Reads a provider's JSON answer, or throws what it means (`mapping.classify` first, then the
 * status): a declared or 4xx refusal → ProviderRejectedError with the provider's own message
 * (credentials redacted); 429 or a declared rate limit → ProviderRateLimitedError; anything else (5xx,
 * unreadable) → a plain Error (502).
 */
export async function readJson<T = unknown>(response: Response, ctx: Pick<PluginContext, 'credentials'>, mapping?: ErrorMapping): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const status = response.status;
  const verdict = body === undefined ? undefined : mapping?.classify?.(body, status);
  if (verdict === 'ok' || (verdict === undefined && response.ok && body !== undefined)) return body as T;
  const message = () => redact(providerMessage(body, mapping) ?? `HTTP ${status}`, ctx.credentials);
  if (verdict === 'rejected') throw new ProviderRejectedError(message());
  if (verdict === 'outage') throw new Error(`the provider answered ${status}: ${message()}`);
  if (verdict === 'rate_limited' || (verdict === undefined && (mapping?.rateLimited ?? [429]).includes(status))) {
    const header = response.headers.get('retry-after');
    const retryAfter = header === null || header.trim() === '' ? Number.NaN : Number(header);
    throw new ProviderRateLimitedError(message(), Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined);
  }
  const rejected = mapping?.rejected ?? [];
  if (rejected.includes(status) || (mapping?.rejected === undefined && status >= 400 && status < 500 && status !== 408))
    throw new ProviderRejectedError(message());
  throw new Error(response.ok ? `the provider answered ${status} with a body that is not JSON` : `the provider answered ${status}: ${message()}`);
}

/** Sends a declared request with `input` filled in; answers the response and its JSON. */
export async function send(
  ctx: PluginContext,
  request: DeclaredRequest,
  input: Record<string, unknown>,
  mapping: ErrorMapping | undefined,
  extra: { query?: Record<string, string>; body?: Record<string, unknown>; url?: string } = {},
): Promise<{ body: unknown; response: Response }> {
  let url = extra.url;
  if (!url) {
    const path = fill(request.path, input, ctx, encodeURIComponent);
    if (path === undefined) throw new ProviderRejectedError(`the request path ${request.path} needs a value the input does not have`);
    const query = new URLSearchParams();
    for (const [name, template] of Object.entries(request.query ?? {})) {
      const value = fill(template, input, ctx);
      if (value !== undefined) query.set(name, value);
    }
    for (const [name, value] of Object.entries(extra.query ?? {})) query.set(name, value);
    url = query.size > 0 ? `${path}${path.includes('?') ? '&' : '?'}${query.toString()}` : path;
  }
  let body: Record<string, unknown> | undefined;
  if (request.body === 'input') body = { ...input };
  else if (request.body) {
    body = {};
    for (const [name, value] of Object.entries(request.body)) {
      const filled = bodyValue(value, input, ctx);
      if (filled !== undefined) body[name] = filled;
    }
  }
  if (extra.body) body = { ...body, ...extra.body };
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, template] of Object.entries(request.headers ?? {})) {
    const value = fill(template, input, ctx);
    if (value !== undefined) headers[name] = value;
  }
  const form = request.form && body ? new URLSearchParams(Object.entries(body).map(([key, value]): [string, string] => [key, String(value)])) : undefined;
  const response = await ctx.http(url, { method: request.method ?? (body ? 'POST' : 'GET'), headers, ...(body ? { body: form ?? body } : {}) });
  return { body: await readJson(response, ctx, mapping), response };
}

/** The `rel="next"` URL of a `Link` header. */
function nextLink(header: string | null): string | undefined {
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * Every item of a paginated list, page after page, by the declared strategy: a cursor or page token
 * from the body (or a header) passed back as a parameter, offset/limit, the `Link` header, or the last
 * item's id (`starting_after`). Stops at an empty page, a missing cursor, or `maxPages`.
 */
export async function* paginate(
  ctx: PluginContext,
  list: DeclaredList,
  input: Record<string, unknown> = {},
  mapping?: ErrorMapping,
): AsyncGenerator<Record<string, unknown>> {
  const pagination = list.pagination;
  let state: { query?: Record<string, string>; body?: Record<string, unknown>; url?: string } = {};
  if (pagination?.type === 'offset') state = { query: { [pagination.offsetParam]: '0', [pagination.limitParam]: String(pagination.limit) } };
  for (let page = 0; page < (list.maxPages ?? 1000); page += 1) {
    const { body, response } = await send(ctx, list.request, input, mapping, state);
    const items = pointer(body, list.items);
    if (!Array.isArray(items)) throw new Error(`the list at ${list.items} is not an array`);
    for (const item of items) yield item as Record<string, unknown>;
    if (!pagination || items.length === 0) return;
    switch (pagination.type) {
      case 'cursor': {
        if (pagination.hasMore !== undefined && pointer(body, pagination.hasMore) !== true) return;
        const cursor = typeof pagination.cursor === 'string' ? pointer(body, pagination.cursor) : response.headers.get(pagination.cursor.header);
        if (!scalar(cursor) || cursor === '') return;
        state = pagination.in === 'body' ? { body: { [pagination.param]: cursor } } : { query: { [pagination.param]: String(cursor) } };
        break;
      }
      case 'offset': {
        if (items.length < pagination.limit) return;
        state = { query: { [pagination.offsetParam]: String((page + 1) * pagination.limit), [pagination.limitParam]: String(pagination.limit) } };
        break;
      }
      case 'link': {
        const next = nextLink(response.headers.get('link'));
        if (!next) return;
        state = { url: next };
        break;
      }
      case 'startingAfter': {
        if (pointer(body, pagination.hasMore) !== true) return;
        const last = (items.at(-1) as Record<string, unknown>)[list.id ?? 'id'];
        state = { query: { [pagination.param]: String(last) } };
        break;
      }
    }
  }
}

/** A stable key for a write the provider de-duplicates (`Idempotency-Key`), from what identifies it. */
export function idempotencyKey(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Turns a provider's declarations into the functions of a 1.0 provider; code parts are kept as they are. */
export function compileProvider(provider: ProviderDefinition): CodeProvider {
  const errors = provider.errors;
  const { verify, healthCheck, sync } = provider;
  const actions: Record<string, ActionDefinition> = {};
  for (const [name, action] of Object.entries(provider.actions ?? {})) {
    actions[name] =
      'run' in action
        ? action
        : {
            description: action.description,
            inputSchema: action.inputSchema,
            ...(action.outputSchema === undefined ? {} : { outputSchema: action.outputSchema }),
            run: async (ctx: PluginContext, input: Record<string, unknown> | undefined) => {
              const { body, response } = await send(ctx, action.request, input ?? {}, errors);
              return action.result === undefined ? body : select(body, action.result, response);
            },
          };
  }
  return {
    ...provider,
    verify:
      verify === undefined || typeof verify === 'function'
        ? verify
        : async (ctx: PluginContext): Promise<VerifyResult> => {
            const { body, response } = await send(ctx, verify.request, {}, errors);
            const displayName = select<unknown>(body, verify.displayName, response);
            const metadata =
              typeof verify.metadata === 'function'
                ? verify.metadata(body, response)
                : Object.fromEntries(Object.entries(verify.metadata ?? {}).map(([key, path]) => [key, pointer(body, path)]));
            return { ...(typeof displayName === 'string' ? { displayName } : {}), metadata };
          },
    healthCheck:
      healthCheck === undefined || typeof healthCheck === 'function'
        ? healthCheck
        : async (ctx: PluginContext) => {
            await send(ctx, healthCheck.request, {}, errors);
          },
    actions,
    sync:
      sync === undefined || 'run' in sync
        ? sync
        : {
            ...(sync.defaultFrequency ? { defaultFrequency: sync.defaultFrequency } : {}),
            run: async (ctx: PluginContext, input?: { highWaterMarks?: Record<string, string> }): Promise<SyncResult> => {
              const records: NonNullable<SyncResult['records']> = {};
              const highWaterMarks: Record<string, string> = {};
              for (const [model, list] of Object.entries(sync.models)) {
                const since = input?.highWaterMarks?.[model];
                const request =
                  list.incremental && since ? { ...list.request, query: { ...list.request.query, [list.incremental.param]: since } } : list.request;
                const items: Array<{ id: string; [field: string]: unknown }> = [];
                for await (const item of paginate(ctx, { ...list, request }, {}, errors)) {
                  items.push({ ...item, id: String(item[list.id ?? 'id']) });
                  const mark = list.incremental ? item[list.incremental.field] : undefined;
                  if (scalar(mark) && (highWaterMarks[model] === undefined || String(mark) > highWaterMarks[model])) highWaterMarks[model] = String(mark);
                }
                records[model] = items;
              }
              return Object.keys(highWaterMarks).length > 0 ? { records, highWaterMarks } : { records };
            },
          },
  };
}

/**
 * What is wrong with a provider's declarations: templates naming input fields the input schema does not
 * have, JSON pointers that are not pointers, unknown pagination. Empty when there is nothing to say.
 */
export function checkDeclarations(provider: ProviderDefinition): string[] {
  const problems: string[] = [];
  const checkPointer = (at: string, value: unknown) => {
    if (typeof value === 'string' && !POINTER.test(value)) problems.push(`${at} is not a JSON pointer (like /data/0/id): ${value}`);
  };
  const checkRequest = (at: string, request: unknown, fields: Set<string> | undefined) => {
    if (!isObject(request) || typeof request.path !== 'string') {
      problems.push(`${at}.path must be a string`);
      return;
    }
    const templates = [
      request.path,
      ...Object.values(isObject(request.query) ? request.query : {}),
      ...Object.values(isObject(request.headers) ? request.headers : {}),
      ...Object.values(isObject(request.body) ? request.body : {}),
    ];
    for (const template of templates) {
      if (typeof template !== 'string') continue;
      for (const [, name] of template.matchAll(PLACEHOLDER)) {
        if (name.startsWith('settings.') || name.startsWith('metadata.')) continue;
        if (!fields?.has(name)) problems.push(`${at} refers to {${name}}, which ${fields ? 'the input schema does not declare' : 'has no input here'}`);
      }
    }
  };
  const id = `providers.${provider.id}`;
  for (const part of ['verify', 'healthCheck'] as const) {
    const declared = provider[part];
    if (declared === undefined || typeof declared === 'function') continue;
    checkRequest(`${id}.${part}.request`, declared.request, undefined);
    if ('displayName' in declared) checkPointer(`${id}.verify.displayName`, declared.displayName);
    if ('metadata' in declared && isObject(declared.metadata))
      for (const [key, path] of Object.entries(declared.metadata)) checkPointer(`${id}.verify.metadata.${key}`, path);
  }
  for (const [name, action] of Object.entries(provider.actions ?? {})) {
    if ('run' in action) continue;
    const properties = isObject(action.inputSchema) && isObject(action.inputSchema.properties) ? Object.keys(action.inputSchema.properties) : [];
    checkRequest(`${id}.actions.${name}.request`, action.request, new Set(properties));
    checkPointer(`${id}.actions.${name}.result`, action.result);
  }
  if (provider.sync && !('run' in provider.sync)) {
    for (const [model, list] of Object.entries(provider.sync.models ?? {})) {
      const at = `${id}.sync.models.${model}`;
      checkRequest(`${at}.request`, list.request, undefined);
      checkPointer(`${at}.items`, list.items);
      const pagination = list.pagination as { type?: string; cursor?: unknown; hasMore?: unknown } | undefined;
      if (pagination && !['cursor', 'offset', 'link', 'startingAfter'].includes(pagination.type ?? ''))
        problems.push(`${at}.pagination.type must be cursor, offset, link or startingAfter`);
      checkPointer(`${at}.pagination.cursor`, pagination?.cursor);
      checkPointer(`${at}.pagination.hasMore`, pagination?.hasMore);
    }
  }
  const message = provider.errors?.message;
  if (typeof message !== 'function') for (const path of [message ?? []].flat()) checkPointer(`${id}.errors.message`, path);
  return problems;
}
