import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../clients/typescript/src/generated/openapi.ts';

export type Schemas = components['schemas'];
/** A provider as the catalogue lists it. */
export type Provider = Schemas['ProviderSummaryDto'];
export type Connection = Schemas['IntegrationDto'];
export type Me = Schemas['MeDto'];

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { path?: string; message?: string }[];
}

/** A refusal from the API, carrying its RFC 9457 problem; `message` is what to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(describeProblem(status, problem));
  }
}

function describeProblem(status: number, problem: Problem): string {
  const base = problem.detail || problem.title || `Request failed (${status})`;
  const fields = (problem.errors ?? []).map((e) => [e.path, e.message].filter(Boolean).join(' ')).filter(Boolean);
  return fields.length && !fields.every((f) => base.includes(f)) ? `${base}: ${fields.join('; ')}` : base;
}

export const SESSION_ENDED = 'plugboard:session-ended';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The session's CSRF token, sent on every unsafe request; the cookie itself is HttpOnly. */
let csrfToken = '';
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Members act in live mode unless they ask for test mode. */
let mode: 'live' | 'test' = 'live';
export function setMode(next: 'live' | 'test'): void {
  mode = next;
}
export function currentMode(): 'live' | 'test' {
  return mode;
}

const sessionHeaders: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    if (mode === 'test' && request.url.includes('/v1/') && !request.headers.has('Authorization')) request.headers.set('Plugboard-Mode', 'test');
    return request;
  },
  onResponse({ response }) {
    // The session ended (expired, or signed out in another tab): the console shows the signed-out page.
    if (response.status === 401) window.dispatchEvent(new Event(SESSION_ENDED));
    return response;
  },
};

/** The typed client over this origin's API, with the session cookie. */
export const api = createClient<paths>({ baseUrl: location.origin, credentials: 'same-origin' });
api.use(sessionHeaders);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, or an ApiError with the problem. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, toProblem(error, response));
  return data as T;
}

function toProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === 'object') return error as Problem;
  return { status: response.status, detail: typeof error === 'string' && error ? error : response.statusText };
}

/** Every item of a cursor-paged list. */
export async function allPages<T>(page: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor?: string | null }>, max = 20): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < max; i++) {
    const result = await page(cursor);
    items.push(...result.data);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return items;
}

export interface ConsoleSession {
  csrfToken: string;
  expiresAt: string;
}

/** Console session routes (plain fetch: they sit outside the account API's contract). */
export async function sessionRequest(method: 'GET' | 'POST' | 'DELETE', body?: unknown): Promise<ConsoleSession | null> {
  const path = method === 'POST' ? '/v1/console/sessions' : '/v1/console/sessions/current';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, payload as Problem);
  return payload as ConsoleSession;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type ListAnswer<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer Body } } } } } ? Body : never;

/** The list routes that take no path parameter and page by cursor. */
export type ListPath = {
  [P in keyof paths]: paths[P] extends { get: { parameters: { path?: never; query?: { cursor?: string } } } }
    ? ListAnswer<P> extends { data: unknown[]; nextCursor?: string | null }
      ? P
      : never
    : never;
}[keyof paths];

export type ListItem<P extends ListPath> = ListAnswer<P> extends { data: (infer Item)[] } ? Item : never;

/** Every item a list route answers, a hundred a page. */
export function listAll<P extends ListPath>(path: P): Promise<ListItem<P>[]> {
  return allPages((cursor) =>
    unwrap<{ data: ListItem<P>[]; nextCursor?: string | null }>(api.GET(path as never, { params: { query: { limit: 100, cursor } } } as never)),
  );
}
