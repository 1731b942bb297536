/**
 * `plugboard/sdk/testing`: unit-test a provider without a server. Build a context with credentials,
 * settings and an HTTP stub, call verify, an action, sync or the webhook handlers, and assert on the
 * requests the provider made (with its auth applied exactly as the host applies it).
 *
 *   const harness = createHarness(plugin, { credentials: { apiKey: 'k' }, http: { 'GET /me': { body: { name: 'Ada' } } } });
 *   expect(await harness.verify()).toEqual({ displayName: 'Ada' });
 *   expect(harness.requests[0].headers.authorization).toBe('Bearer k');
 */
import type {
  CodeProvider,
  InboundRequest,
  IntegrationInfo,
  PluginContext,
  PluginDefinition,
  PluginHttpInit,
  PluginLogger,
  SyncResult,
  VerifyResult,
  WebhookOutcome,
} from './index.js';
import { compileProvider } from './declarative.js';
import type { ExchangedToken } from './provider-auth.js';
import { applyCredentials, exchangeToken, isUnderBase, resolveBaseUrl, resolveRequestUrl } from './provider-auth.js';

export interface RecordedRequest {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  json(): unknown;
}

export interface StubResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export type StubHandler = (request: RecordedRequest) => StubResponse | Promise<StubResponse>;

export interface HarnessOptions {
  credentials?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  integration?: Partial<IntegrationInfo>;
  /**
   * Answers to requests: one handler for all, or routes keyed `"METHOD /path"` (path relative to the
   * provider's base URL, or a full URL). An unmatched request answers 404.
   */
  http?: StubHandler | Record<string, StubResponse | StubHandler>;
  /** Which provider of the plugin (default: the first). */
  provider?: string;
  /** Aborts ctx.signal after this long (default 30000). */
  timeoutMs?: number;
}

export interface LogLine {
  level: keyof PluginLogger;
  message: string;
  fields?: Record<string, unknown>;
}

export interface Harness {
  /** The provider as it runs: declarations compiled into functions. */
  provider: CodeProvider;
  /** Every request made through ctx.http, in order. */
  requests: RecordedRequest[];
  logs: LogLine[];
  /** What actions asked to keep in the connection's credentials (`ctx.storeCredentials`), merged in order. */
  storedCredentials: Record<string, unknown>;
  /** A fresh context, as the host builds for each call. */
  context(): PluginContext;
  verify(): Promise<VerifyResult>;
  healthCheck(): Promise<void>;
  action<T = unknown>(name: string, input?: unknown): Promise<T>;
  /** `input.highWaterMarks`: what the last sync returned, for incremental syncs. */
  sync(input?: { highWaterMarks?: Record<string, string> }): Promise<SyncResult>;
  webhookVerify(request: Partial<InboundRequest>): Promise<boolean>;
  /** The events a verified delivery publishes (`webhook.toEvents` without its audit entries). */
  webhookToEvents(request: Partial<InboundRequest>): Promise<Array<{ event: string; data: unknown }>>;
  /** The audit entries a verified delivery records (`webhook.toEvents`' `{ audit, details }` outcomes). */
  webhookAudits(request: Partial<InboundRequest>): Promise<Array<{ audit: string; details?: Record<string, unknown> }>>;
}

function inbound(request: Partial<InboundRequest>): InboundRequest {
  const rawBody = request.rawBody ?? (request.body === undefined ? '' : JSON.stringify(request.body));
  let body = request.body;
  if (body === undefined && rawBody) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
  }
  // Header names reach plugins lower-cased, as the host passes them.
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: request.method ?? 'POST', headers, query: request.query ?? {}, rawBody, ...(request.url ? { url: request.url } : {}), body };
}

function bodyText(body: PluginHttpInit['body'], headers: Headers): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  if (body instanceof URLSearchParams) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return body.toString();
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(body);
}

export function createHarness(plugin: PluginDefinition, options: HarnessOptions = {}): Harness {
  const declared = options.provider ? plugin.providers.find((candidate) => candidate.id === options.provider) : plugin.providers[0];
  if (!declared) throw new Error(`the plugin has no provider ${options.provider ?? ''}`.trim());
  // Declarations run exactly as the host runs them.
  const provider = compileProvider(declared);
  const integration: IntegrationInfo = {
    id: '00000000-0000-4000-8000-000000000000',
    accountId: 'acct_test',
    livemode: false,
    metadata: {},
    ...options.integration,
  };
  const credentials = options.credentials ?? {};
  const requests: RecordedRequest[] = [];
  const logs: LogLine[] = [];
  const storedCredentials: Record<string, unknown> = {};
  const base = resolveBaseUrl(provider.baseUrl, integration.metadata);
  let token: ExchangedToken | undefined;

  const answer = async (request: RecordedRequest, url: URL): Promise<StubResponse> => {
    const stub = options.http;
    if (typeof stub === 'function') return stub(request);
    const relative = base && isUnderBase(url, base) ? url.href.slice(base.length).split('?')[0] || '/' : undefined;
    const route = stub?.[`${request.method} ${relative}`] ?? stub?.[`${request.method} ${url.href.split('?')[0]}`];
    if (!route) return { status: 404, body: { error: `no stub for ${request.method} ${url.href}` } };
    return typeof route === 'function' ? route(request) : route;
  };

  const context = (): PluginContext => {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    const log = (level: keyof PluginLogger) => (message: string, fields?: Record<string, unknown>) =>
      void logs.push({ level, message, ...(fields ? { fields } : {}) });
    return {
      credentials,
      settings: options.settings ?? {},
      integration,
      signal,
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      http: async (target, init = {}) => {
        signal.throwIfAborted();
        const url = resolveRequestUrl(String(target), base);
        const headers = new Headers(init.headers);
        const body = bodyText(init.body, headers);
        if (isUnderBase(url, base)) {
          const exchange = provider.auth.type === 'api_key' || provider.auth.type === 'basic' ? provider.auth.token : undefined;
          // As the host does: a token obtained from the credentials (through the stub, and recorded), kept while it lasts.
          if (exchange && (!token || (token.expiresAt !== undefined && token.expiresAt - Date.now() < 60_000))) {
            token = await exchangeToken(exchange, credentials, integration.metadata, async (tokenUrl, tokenInit) => {
              const tokenRequest: RecordedRequest = {
                method: tokenInit.method,
                url: tokenUrl,
                headers: tokenInit.headers,
                body: tokenInit.body ?? '',
                json: () => JSON.parse(tokenInit.body ?? '') as unknown,
              };
              requests.push(tokenRequest);
              const stub = await answer(tokenRequest, new URL(tokenUrl));
              const text = stub.body === undefined ? null : typeof stub.body === 'string' ? stub.body : JSON.stringify(stub.body);
              return new Response(text, { status: stub.status ?? 200, headers: new Headers(stub.headers) });
            });
          }
          applyCredentials(provider.auth, token ? { ...credentials, accessToken: token.accessToken } : credentials, url, headers);
        }
        const request: RecordedRequest = {
          method: (init.method ?? 'GET').toUpperCase(),
          url: url.href,
          headers: Object.fromEntries(headers.entries()),
          body,
          json: () => JSON.parse(body) as unknown,
        };
        requests.push(request);
        const stub = await answer(request, url);
        const text = stub.body === undefined ? null : typeof stub.body === 'string' ? stub.body : JSON.stringify(stub.body);
        const responseHeaders = new Headers(stub.headers);
        if (text !== null && typeof stub.body !== 'string' && !responseHeaders.has('content-type')) responseHeaders.set('content-type', 'application/json');
        return new Response(text, { status: stub.status ?? 200, headers: responseHeaders });
      },
    };
  };

  const outcomes = async (request: Partial<InboundRequest>): Promise<WebhookOutcome[]> => {
    if (!provider.webhook) throw new Error(`provider ${provider.id} has no webhook`);
    return (await provider.webhook.toEvents(context(), inbound(request))) ?? [];
  };
  return {
    provider,
    requests,
    logs,
    storedCredentials,
    context,
    verify: async () => (provider.verify ? ((await provider.verify(context())) ?? {}) : {}),
    healthCheck: async () => {
      await provider.healthCheck?.(context());
    },
    action: async <T>(name: string, input: unknown = {}) => {
      const action = provider.actions?.[name];
      if (!action) throw new Error(`provider ${provider.id} has no action ${name}`);
      return (await action.run({ ...context(), storeCredentials: (values) => Object.assign(storedCredentials, values) }, input)) as T;
    },
    sync: async (input) => {
      if (!provider.sync) throw new Error(`provider ${provider.id} has no sync`);
      return (await provider.sync.run(context(), input)) ?? {};
    },
    webhookVerify: async (request) => {
      if (!provider.webhook) throw new Error(`provider ${provider.id} has no webhook`);
      return (await provider.webhook.verify(context(), inbound(request))) === true;
    },
    webhookToEvents: async (request) => (await outcomes(request)).filter((outcome) => 'event' in outcome),
    webhookAudits: async (request) => (await outcomes(request)).filter((outcome) => 'audit' in outcome),
  };
}
