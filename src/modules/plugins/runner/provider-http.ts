import { Injectable } from '@nestjs/common';
import type { ProviderAuth } from '../../../sdk/index.js';
import { applyCredentials, isUnderBase, resolveBaseUrl, resolveRequestUrl } from '../../../sdk/provider-auth.js';
import { SafeHttpClient } from '../../../core/http/safe-http.js';
import type { CallContext } from '../runtime/call.js';
import type { WireHttpRequest, WireHttpResponse } from '../runtime/plugin-fetch.js';

/** Largest response body handed to a plugin. */
const MAX_RESPONSE_BYTES = 25 * 1024 * 1024;
/** Longest Retry-After honoured; longer waits are the plugin's to decide. */
const MAX_RETRY_AFTER_MS = 60_000;

export interface ProviderHttpTarget {
  auth: ProviderAuth;
  baseUrl?: string;
}

export class ResponseTooLargeError extends Error {
  readonly code = 'response_too_large';
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function readCapped(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) throw new ResponseTooLargeError(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Performs the HTTP requests plugins make through `ctx.http`, in the API process: SSRF-safe (the
 * shared SafeHttp client), bounded by the call's deadline, retrying 429/503 after Retry-After when
 * the wait fits, with the provider's auth applied only to URLs under its base URL.
 */
@Injectable()
export class ProviderHttp {
  constructor(private readonly http: SafeHttpClient) {}

  async perform(target: ProviderHttpTarget, context: CallContext, request: WireHttpRequest, deadline: number, signal: AbortSignal): Promise<WireHttpResponse> {
    const base = resolveBaseUrl(target.baseUrl, context.integration.metadata ?? {});
    const url = resolveRequestUrl(request.url, base);
    const headers = new Headers(request.headers);
    if (isUnderBase(url, base)) applyCredentials(target.auth, context.credentials ?? {}, url, headers);
    let retriesLeft = request.retries ?? 2;
    for (;;) {
      const remaining = deadline - Date.now();
      const response = await this.http.fetch(url, {
        method: request.method,
        headers: [...headers.entries()],
        body: request.body ?? undefined,
        signal,
        timeoutMs: Math.max(1, Math.min(request.timeoutMs ?? remaining, remaining)),
      });
      const wait = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      if (wait !== undefined && retriesLeft > 0 && wait <= MAX_RETRY_AFTER_MS && Date.now() + wait < deadline) {
        retriesLeft -= 1;
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, wait));
        signal.throwIfAborted();
        continue;
      }
      return {
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers.entries()],
        body: await readCapped(response.body as ReadableStream<Uint8Array> | null),
        url: url.href,
      };
    }
  }
}
