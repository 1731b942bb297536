import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch';
import type { HttpMethod, MediaType, PathsWithMethod } from 'openapi-typescript-helpers';
import type { components, operations, paths, webhooks } from './generated/openapi.js';
import { PlugboardError, readError } from './problems.js';

export type { components, operations, paths, webhooks };
export { PlugboardError, PlugboardProblem, type Problem, type ProblemCode } from './problems.js';
export { verifyWebhook, WebhookVerificationError, type WebhookEvent, type WebhookHeaders } from './webhooks.js';

export interface PlugboardClientOptions {
  /** Where Plugboard serves its API (its PUBLIC_URL), e.g. `https://plugboard.example.com`. */
  baseUrl: string;
  /**
   * An API key (`pb_live_…`, `pb_test_…`) or a member JWT, sent as `Authorization: Bearer`; a function
   * is asked before every request (short-lived JWTs).
   */
  token: string | (() => string | Promise<string>);
  /** `Plugboard-Mode`: members act in live mode unless they ask for `test`. An API key acts in its own mode. */
  mode?: 'live' | 'test';
  /** Waits on 429 and 503 answers: at most `retries` more attempts, each waiting `Retry-After` (at most `maxWaitSeconds`). */
  retry?: { retries?: number; maxWaitSeconds?: number };
  /** Makes the `Idempotency-Key` sent with every POST, PUT, PATCH and DELETE that has none (default: a random UUID). */
  idempotencyKey?: () => string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
  /** How to wait (tests pass their own clock). */
  sleep?: (milliseconds: number) => Promise<void>;
}

type AnyPaths = {};
type Init<P, Path extends keyof P, M extends HttpMethod> = M extends keyof P[Path] ? MaybeOptionalInit<P[Path], M> : never;
type Rest<I> = undefined extends I ? [init?: I & { [key: string]: unknown }] : [init: I & { [key: string]: unknown }];
type Method<P, Path extends keyof P, M extends HttpMethod> = M extends keyof P[Path]
  ? P[Path][M] extends Record<string | number, any>
    ? P[Path][M]
    : never
  : never;
/** What an operation answers on success: the body of its 2xx response. */
export type Success<P, Path extends keyof P, M extends HttpMethod, I> = NonNullable<
  Extract<FetchResponse<Method<P, Path, M>, I, MediaType>, { error?: never }>['data']
>;
/** The items of a cursor page (`{ data: T[], nextCursor }`). */
export type PageItem<Page> = Page extends { data: (infer Item)[] } ? Item : never;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A typed Plugboard client: `api` is an openapi-fetch client over the generated `paths` (every
 * operation, typed), and the methods below call it and answer the body or throw: `PlugboardProblem`
 * for Plugboard's problem+json answers (with their `code`), `PlugboardError` for any other failure
 * (a provider's own 4xx through the proxy). Every request carries the token, and unsafe ones an
 * Idempotency-Key kept across retries; 429 and 503 answers are retried after their Retry-After.
 *
 * `P` defaults to the types of this repository's openapi.json; pass the `paths` generated from your
 * installation's own /openapi.json to get the providers installed there typed as well.
 */
export class PlugboardClient<P extends AnyPaths = paths> {
  readonly api: Client<P>;

  constructor(private readonly options: PlugboardClientOptions) {
    this.api = createClient<P>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: (request) => this.send(request) });
  }

  /** GET an operation; answers its body. */
  get<Path extends PathsWithMethod<P, 'get'>, I extends Init<P, Path, 'get'>>(path: Path, ...init: Rest<I>): Promise<Success<P, Path, 'get', I>> {
    return this.call('GET', path, init[0]);
  }

  post<Path extends PathsWithMethod<P, 'post'>, I extends Init<P, Path, 'post'>>(path: Path, ...init: Rest<I>): Promise<Success<P, Path, 'post', I>> {
    return this.call('POST', path, init[0]);
  }

  put<Path extends PathsWithMethod<P, 'put'>, I extends Init<P, Path, 'put'>>(path: Path, ...init: Rest<I>): Promise<Success<P, Path, 'put', I>> {
    return this.call('PUT', path, init[0]);
  }

  patch<Path extends PathsWithMethod<P, 'patch'>, I extends Init<P, Path, 'patch'>>(path: Path, ...init: Rest<I>): Promise<Success<P, Path, 'patch', I>> {
    return this.call('PATCH', path, init[0]);
  }

  delete<Path extends PathsWithMethod<P, 'delete'>, I extends Init<P, Path, 'delete'>>(path: Path, ...init: Rest<I>): Promise<Success<P, Path, 'delete', I>> {
    return this.call('DELETE', path, init[0]);
  }

  /**
   * Every item of a list operation, page after page (`?cursor=` from each `nextCursor`), fetching the
   * next page only when the items of the last one are used up.
   */
  async *paginate<Path extends PathsWithMethod<P, 'get'>, I extends Init<P, Path, 'get'>>(
    path: Path,
    ...init: Rest<I>
  ): AsyncGenerator<PageItem<Success<P, Path, 'get', I>>, void, undefined> {
    const first = (init[0] ?? {}) as { params?: { query?: Record<string, unknown> } } & Record<string, unknown>;
    let cursor: string | null | undefined = first.params?.query?.cursor as string | undefined;
    do {
      const page = (await this.call('GET', path, {
        ...first,
        params: { ...first.params, query: { ...first.params?.query, ...(cursor ? { cursor } : {}) } },
      })) as { data: PageItem<Success<P, Path, 'get', I>>[]; nextCursor: string | null };
      yield* page.data;
      cursor = page.nextCursor;
    } while (cursor);
  }

  private async call<T>(method: HttpMethod | Uppercase<HttpMethod>, path: unknown, init: unknown): Promise<T> {
    const request = this.api.request as unknown as (
      method: string,
      path: unknown,
      init: unknown,
    ) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
    const result = await request(method.toLowerCase(), path, init ?? {});
    if (!result.response.ok) throw new PlugboardError(result.response.status, result.error ?? null, result.response.headers.get('x-request-id') ?? undefined);
    return result.data as T;
  }

  /** The transport under openapi-fetch: credentials, Idempotency-Key, Retry-After waits, problems as errors. */
  private async send(original: Request): Promise<Response> {
    const { retry = {}, headers = {} } = this.options;
    const retries = retry.retries ?? 2;
    const maxWaitSeconds = retry.maxWaitSeconds ?? 60;
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    const request = new Request(original);
    for (const [name, value] of Object.entries(headers)) if (!request.headers.has(name)) request.headers.set(name, value);
    request.headers.set('Authorization', `Bearer ${token}`);
    if (this.options.mode) request.headers.set('Plugboard-Mode', this.options.mode);
    if (UNSAFE.has(request.method) && !request.headers.has('Idempotency-Key')) {
      request.headers.set('Idempotency-Key', this.options.idempotencyKey?.() ?? crypto.randomUUID());
    }
    const fetcher = this.options.fetch ?? ((next: Request) => fetch(next));
    const sleep = this.options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
    for (let attempt = 0; ; attempt++) {
      const response = await fetcher(request.clone());
      if (response.ok) return response;
      const wait = retryAfterSeconds(response.headers.get('retry-after'));
      if ((response.status === 429 || response.status === 503) && attempt < retries && wait !== undefined && wait <= maxWaitSeconds) {
        await response.body?.cancel();
        await sleep(wait * 1000);
        continue;
      }
      const problem = await readError(response);
      if (problem) throw problem;
      return response;
    }
  }
}

/** Retry-After in seconds: a number of seconds or an HTTP date. */
function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** A typed client over the document's `paths` (or your installation's own, as `P`). */
export function createPlugboardClient<P extends AnyPaths = paths>(options: PlugboardClientOptions): PlugboardClient<P> {
  return new PlugboardClient<P>(options);
}

/** The document's named schemas: `Schemas['IntegrationDto']`, `Schemas['ProviderStripeActionCreateRefundInput']`, … */
export type Schemas = components['schemas'];
