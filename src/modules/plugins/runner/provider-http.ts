import { Injectable, Optional } from '@nestjs/common';
import type { ProviderAuth, RateLimit } from '../../../sdk/index.js';
import { applyCredentials, isUnderBase, resolveBaseUrl, resolveRequestUrl } from '../../../sdk/provider-auth.js';
import { SafeHttpClient } from '../../../core/http/safe-http.js';
import type { CallContext } from '../runtime/call.js';
import type { WireHttpRequest, WireHttpResponse } from '../runtime/plugin-fetch.js';
import { ProviderBudgets } from './provider-budgets.js';
import { ProviderTokens } from './provider-tokens.js';

/** Largest response body handed to a plugin. */
const MAX_RESPONSE_BYTES = 25 * 1024 * 1024;
/** Longest Retry-After honoured; longer waits are the plugin's to decide. */
const MAX_RETRY_AFTER_MS = 60_000;

export interface ProviderHttpTarget {
  /** The provider id: with `rateLimits`, what its budgets are kept under. */
  id?: string;
  auth: ProviderAuth;
  baseUrl?: string;
  rateLimits?: RateLimit[];
}

export class ResponseTooLargeError extends Error {
  readonly code = 'response_too_large';
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  // Seconds, fractional ones too (Microsoft Graph sends 2.128), or an HTTP date.
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value.trim()) * 1000);
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
 * the wait fits, with the provider's auth applied only to URLs under its base URL. Requests under the
 * base URL first wait for the provider's declared rate-limit budget (ProviderBudgets), and a 429 there
 * tightens it.
 */
@Injectable()
export class ProviderHttp {
  private readonly tokens: ProviderTokens;

  constructor(
    private readonly http: SafeHttpClient,
    @Optional() private readonly budgets?: ProviderBudgets,
  ) {
    this.tokens = new ProviderTokens(http);
  }

  async perform(target: ProviderHttpTarget, context: CallContext, request: WireHttpRequest, deadline: number, signal: AbortSignal): Promise<WireHttpResponse> {
    const base = resolveBaseUrl(target.baseUrl, context.integration.metadata ?? {});
    const url = resolveRequestUrl(request.url, base);
    const headers = new Headers(request.headers);
    const underBase = isUnderBase(url, base);
    if (underBase) {
      const { auth } = target;
      const credentials = context.credentials ?? {};
      const exchange = auth.type === 'api_key' || auth.type === 'basic' ? auth.token : undefined;
      const accessToken = exchange
        ? await this.tokens.get(target.id ?? '', exchange, credentials, context.integration.metadata ?? {}, Math.max(1, deadline - Date.now()))
        : undefined;
      applyCredentials(auth, accessToken ? { ...credentials, accessToken } : credentials, url, headers);
    }
    // The path the provider's rate limits match (`POST /chat.postMessage`), relative to the base URL.
    const budget =
      underBase && target.id && target.rateLimits?.length && this.budgets ? { budgets: this.budgets, target: { ...target, id: target.id } } : undefined;
    const path = base ? `/${url.href.slice(base.length).replace(/^\//, '').split('?')[0]}` : url.pathname;
    let retriesLeft = request.retries ?? 2;
    for (;;) {
      const places = await budget?.budgets.acquire(budget.target, context, request.method, path, deadline, signal);
      const remaining = deadline - Date.now();
      let response: Response;
      try {
        response = await this.http.fetch(url, {
          method: request.method,
          headers: [...headers.entries()],
          body: request.body ?? undefined,
          signal,
          timeoutMs: Math.max(1, Math.min(request.timeoutMs ?? remaining, remaining)),
        });
      } finally {
        if (places) await budget?.budgets.answered(places);
      }
      const wait = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      if (response.status === 429) await budget?.budgets.refused(budget.target, context, request.method, path, wait ?? 1000);
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
