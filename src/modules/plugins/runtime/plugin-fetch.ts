/**
 * `ctx.http` as plugins see it: a fetch-style function whose requests are performed by the host
 * (SSRF checks, timeouts, Retry-After, auth). Requests and responses cross as plain data, so the same
 * code serves child processes (over IPC) and in-process plugins. Erasable TypeScript only.
 */
import type { PluginHttp, PluginHttpInit } from '../../../sdk/index.js';

export interface WireHttpRequest {
  url: string;
  method: string;
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  timeoutMs?: number;
  retries?: number;
}

export interface WireHttpResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  url: string;
}

export type HttpTransport = (request: WireHttpRequest, signal: AbortSignal) => Promise<WireHttpResponse>;

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function encodeBody(init: PluginHttpInit, headers: Headers): Uint8Array | null {
  const { body } = init;
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body instanceof URLSearchParams) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return new TextEncoder().encode(body.toString());
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return new TextEncoder().encode(JSON.stringify(body));
}

export function createPluginHttp(transport: HttpTransport, callSignal: AbortSignal): PluginHttp {
  return async (url, init = {}) => {
    const headers = new Headers(init.headers);
    const body = encodeBody(init, headers);
    const signal = init.signal ? AbortSignal.any([init.signal, callSignal]) : callSignal;
    signal.throwIfAborted();
    const response = await transport(
      {
        url: String(url),
        method: (init.method ?? 'GET').toUpperCase(),
        headers: [...headers.entries()],
        body,
        ...(init.timeoutMs === undefined ? {} : { timeoutMs: init.timeoutMs }),
        ...(init.retries === undefined ? {} : { retries: init.retries }),
      },
      signal,
    );
    const result = new Response(NULL_BODY_STATUSES.has(response.status) ? null : response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(result, 'url', { value: response.url });
    return result;
  };
}
