import { Inject, Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { AppError, ProviderError, ProviderRateLimitedError, ProviderTimeoutError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { resolveBaseUrl } from '../../../sdk/provider-auth.js';
import { BudgetExhaustedError, ProviderHttp } from '../../plugins/index.js';
import { IntegrationOperationsService } from '../connections/integration-operations.service.js';
import { type ConnectionRef, IntegrationsService } from '../connections/integrations.service.js';
import { ProviderCalls } from './provider-calls.js';

export interface ProxyRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Request headers a client may pass through to the provider; everything else (auth, cookies) stays here. */
const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'if-match', 'if-none-match', 'idempotency-key'];
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'etag', 'last-modified', 'retry-after', 'link'];

/**
 * Forwards a request to the provider's API under its base URL, with the integration's credentials
 * applied by the same client plugins use. A path that would leave the base URL is refused.
 */
@Injectable()
export class ProxyService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly integrations: IntegrationsService,
    private readonly operations: IntegrationOperationsService,
    private readonly calls: ProviderCalls,
    private readonly http: ProviderHttp,
  ) {}

  async forward(caller: AccountCaller, ref: ConnectionRef, request: ProxyRequest): Promise<ProxyResponse> {
    const integration = await this.operations.usable(caller, ref);
    const provider = this.integrations.requireProvider(integration.provider);
    const base = resolveBaseUrl(provider.baseUrl, integration.metadata);
    if (!base) throw new ValidationFailedError(`${provider.name} has no API to proxy to`, [{ path: 'provider', message: 'declares no baseUrl' }]);
    const target = proxyTarget(base, request.path, request.search);
    const context = await this.calls.context(integration);
    const deadline = Date.now() + this.config.plugins.callTimeoutMs;
    const headers = FORWARDED_REQUEST_HEADERS.flatMap((name) => {
      const value = request.headers[name];
      return value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value] as [string, string]];
    });
    // Proxied requests take their place in the provider's rate-limit budgets like plugins' own.
    const response = await this.perform(
      { id: provider.id, auth: provider.auth, baseUrl: provider.baseUrl, rateLimits: provider.rateLimits },
      context,
      { url: target.href, method: request.method, headers, body: request.body && request.body.length > 0 ? new Uint8Array(request.body) : null },
      deadline,
      AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    );
    if (response.status >= 500) throw new ProviderError(`The provider answered ${response.status}`);
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers.filter(([name]) => FORWARDED_RESPONSE_HEADERS.includes(name.toLowerCase()))),
      body: Buffer.from(response.body),
    };
  }

  private async perform(...args: Parameters<ProviderHttp['perform']>) {
    try {
      return await this.http.perform(...args);
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof BudgetExhaustedError) throw new ProviderRateLimitedError(error.retryAfterSeconds);
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new ProviderTimeoutError();
      throw new ProviderError(`The provider could not be reached: ${(error as Error).message}`);
    }
  }
}

/**
 * The URL a proxied path reaches: always on the base URL's origin and under its path. Dot segments
 * are resolved first, so `..` cannot climb out of a base such as `https://us6.api.mailchimp.com/3.0`.
 */
export function proxyTarget(base: string, path: string, search: string): URL {
  const baseUrl = new URL(base);
  const target = new URL(`${baseUrl.origin}${baseUrl.pathname.replace(/\/$/, '')}/${path.replace(/^\/+/, '')}${search}`);
  const basePath = `${baseUrl.pathname.replace(/\/$/, '')}/`;
  if (target.origin !== baseUrl.origin || !`${target.pathname}/`.startsWith(basePath)) {
    throw new ValidationFailedError('The path leaves the provider API', [{ path: 'path', message: 'must stay under the provider base URL' }]);
  }
  return target;
}
