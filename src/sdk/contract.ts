/**
 * The contract between a provider plugin and the host (`plugboard/sdk` re-exports it): see PLUGINS.md.
 * This file imports nothing (not even the rest of Plugboard) and uses only erasable TypeScript, so the
 * plugin host can load it in a sandboxed child process as it is.
 */

/** The SDK version plugins declare compatibility with in `package.json` → `plugboard.apiVersion`. */
export const SDK_VERSION = '1.1.0';

/** A JSON Schema (draft 2020-12 or draft-07 keywords); fields with `"secret": true` are masked. */
export type JSONSchema = { [keyword: string]: unknown };

export type ProviderCategory =
  | 'email'
  | 'payment'
  | 'cloud_storage'
  | 'authentication'
  | 'crm'
  | 'calendar'
  | 'sms'
  | 'live_streaming'
  | 'marketing'
  | 'analytics'
  | 'communication'
  | 'reviews'
  | 'video'
  | 'productivity'
  | 'surveys'
  | 'monitoring'
  | 'commerce'
  | 'voice_ai'
  | 'maps'
  | 'search'
  | 'identity'
  | 'other';

export const PROVIDER_CATEGORIES: readonly ProviderCategory[] = [
  'email',
  'payment',
  'cloud_storage',
  'authentication',
  'crm',
  'calendar',
  'sms',
  'live_streaming',
  'marketing',
  'analytics',
  'communication',
  'reviews',
  'video',
  'productivity',
  'surveys',
  'monitoring',
  'commerce',
  'voice_ai',
  'maps',
  'search',
  'identity',
  'other',
];

/**
 * How `ctx.http` applies credentials to requests under `baseUrl`. Values are templates whose
 * `{field}` placeholders are filled from the credentials.
 */
export interface AuthApplication {
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** HTTP Basic from credential fields of other names: `{ username: '{accountSid}', password: '{authToken}' }`. */
  basic?: { username: string; password: string };
}

export interface OAuth2Auth {
  type: 'oauth2';
  authorizationUrl: string;
  tokenUrl: string;
  scopes: string[];
  scopeSeparator?: string;
  pkce?: boolean;
  authorizationParams?: Record<string, string>;
  /** Whether the provider issues refresh tokens (default true). */
  refresh?: boolean;
  /**
   * Secrets of the OAuth app itself that calls need (Slack's signing secret, to check its requests):
   * the operator's app takes them from `PLUGBOARD_OAUTH_<PROVIDER>_APP_<NAME>` (`signingSecret` from
   * `…_APP_SIGNING_SECRET`), an account's own app from `oauthApp.secrets`. Calls see them, and only
   * those named here, as `ctx.credentials.app`.
   */
  appSecrets?: string[];
  /**
   * How long a token is taken to last when the token response names no `expires_in` (Salesforce's
   * follow the org's session timeout): the host refreshes it before then.
   */
  assumedLifetimeSeconds?: number;
  /**
   * Values of the token response kept in the connection's metadata (and so usable in `baseUrl`):
   * metadata key → JSON pointer, e.g. `{ instanceUrl: '/instance_url' }`; with `pattern`, a value that
   * does not match it fails the connection. Refreshed tokens update them.
   */
  tokenMetadata?: Record<string, string | { pointer: string; pattern: string }>;
  /**
   * How the access token is sent, where it is not `Authorization: Bearer` (Shopify's
   * `X-Shopify-Access-Token`, TikTok's `Access-Token`): templates of `{accessToken}`.
   */
  apply?: AuthApplication;
  /** The authorization URL's name for the client id, where it is not `client_id` (TikTok for Business: `app_id`). */
  clientIdParameter?: string;
  /** The callback's name for the authorization code, where it is not `code` (TikTok for Business: `auth_code`). */
  codeParameter?: string;
  /**
   * A code exchange of the provider's own design instead of RFC 6749's form post (TikTok for
   * Business): `body` is sent as JSON, its values templates of `{clientId}`, `{clientSecret}`,
   * `{code}` and `{redirectUri}`; `result` points at the object holding `access_token` (and the rest
   * of the token answer) when the provider wraps it (`/data`). An answer without a token there is a
   * refusal, its `message` kept. Such providers declare `refresh: false`.
   */
  tokenRequest?: { body: Record<string, string>; result?: string };
  /**
   * The callback's parameter holding the provider's signature of the callback (Shopify's `hmac`):
   * HMAC-SHA256, hex, keyed with the client secret, of the other parameters sorted by name and joined
   * as `name=value` pairs by `&`. A callback whose signature is missing or wrong is refused.
   */
  callbackHmac?: string;
}

export interface CredentialsAuth {
  type: 'api_key' | 'basic';
  credentialsSchema: JSONSchema;
  /**
   * Defaults: `api_key` sends `Authorization: Bearer {apiKey}`; `basic` sends HTTP Basic built from
   * `username` and `password`.
   */
  apply?: AuthApplication;
  /**
   * A token the host obtains from the entered credentials and sends instead of them (cached, and
   * obtained again before it expires): `apply` templates may then name `{accessToken}`, which by
   * default goes as `Authorization: Bearer {accessToken}`.
   */
  token?: TokenExchange;
}

/**
 * How a token is obtained. `grant: 'client_credentials'` is OAuth 2.0's client credentials grant
 * (RFC 6749 §4.4: `clientId` and `clientSecret` from the credentials, sent as HTTP Basic or, with
 * `clientAuth: 'body'`, in the form; `scopes` joined by spaces). Without `grant`, a request of the
 * provider's own: `body` (JSON, or a form with `form: true`) and `headers` are templates of
 * credential fields (`{apiKey}`). `url` may hold `{metadata}` placeholders like `baseUrl`.
 */
export interface TokenExchange {
  url: string;
  grant?: 'client_credentials';
  clientAuth?: 'basic' | 'body';
  scopes?: string[];
  method?: string;
  headers?: Record<string, string>;
  body?: Record<string, string>;
  form?: boolean;
  /** JSON pointers into the answer (defaults `/access_token` and `/expires_in`, in seconds). */
  accessToken?: string;
  expiresIn?: string;
  /** How long a token is taken to last when the answer names no lifetime (Yotpo's last 14 days). */
  assumedLifetimeSeconds?: number;
}

export interface NoAuth {
  type: 'none';
}

export type ProviderAuth = OAuth2Auth | CredentialsAuth | NoAuth;

/** Credentials of an OAuth 2.0 connection. */
export interface OAuthCredentials {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: string;
  tokenType?: string;
  scope?: string;
  raw?: Record<string, unknown>;
}

export interface IntegrationInfo {
  id: string;
  accountId: string;
  livemode: boolean;
  metadata: Record<string, unknown>;
  /** The host platform's end user the connection belongs to, for end-user connections (a payee's bank link). */
  endUserId?: string;
}

export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface PluginHttpInit {
  method?: string;
  headers?: Record<string, string> | Array<[string, string]> | Headers;
  /** A string, bytes, or a plain object/array (sent as JSON). */
  body?: string | Uint8Array | ArrayBuffer | URLSearchParams | Record<string, unknown> | unknown[] | null;
  /** Per-request timeout; never beyond the call's deadline. */
  timeoutMs?: number;
  /** Retries after a 429/503 with Retry-After that fits before the deadline (default 2). */
  retries?: number;
  signal?: AbortSignal;
}

/**
 * A fetch-style client: SSRF-protected, with timeouts and Retry-After handling, and the provider's
 * auth applied to requests under `baseUrl`. A relative URL is resolved against `baseUrl`.
 */
export type PluginHttp = (url: string | URL, init?: PluginHttpInit) => Promise<Response>;

export interface PluginContext<Credentials = Record<string, unknown>, Settings = Record<string, unknown>> {
  /** Decrypted for this call only; never keep them. */
  credentials: Credentials;
  settings: Settings;
  integration: IntegrationInfo;
  http: PluginHttp;
  log: PluginLogger;
  /** Aborted when the call's deadline passes. */
  signal: AbortSignal;
  /**
   * In actions: keeps values in this connection's encrypted credentials once the action succeeds (a
   * token the provider issued during the action, such as Plaid's access token for an end user's bank),
   * so they need never be returned. Only fields the credentials schema declares with `secret: true`;
   * the merged credentials must still match the schema.
   */
  storeCredentials?(values: Record<string, unknown>): void;
}

/** An inbound webhook request as the host received it. */
export interface InboundRequest {
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** The exact bytes received, as UTF-8 text (verify signatures over this). */
  rawBody: string;
  /** The URL the request was received at (`PUBLIC_URL`, path and query): what schemes that sign the URL cover. */
  url?: string;
  /** The body parsed as JSON when it is JSON, else undefined. */
  body?: unknown;
}

export interface VerifyResult {
  displayName?: string;
  metadata?: Record<string, unknown>;
}

export interface ActionDefinition<Input = any, Output = unknown> {
  description: string;
  inputSchema: JSONSchema;
  /** The JSON Schema of what `run` returns: published to typed clients and agents (MCP tools). */
  outputSchema?: JSONSchema;
  run(ctx: PluginContext<any, any>, input: Input): Promise<Output>;
}

export interface SyncResult {
  records?: { [model: string]: Array<{ id: string; [field: string]: unknown }> };
  /** Per model, the highest value of its incremental field seen: the next sync's starting point. */
  highWaterMarks?: { [model: string]: string };
  /** Per model, ids the provider itself reports deleted (a tombstone or `deleted` flag in an incremental list). */
  deleted?: { [model: string]: string[] };
}

export interface SyncDefinition {
  /** A duration such as `15m`, `1h`, `1d`. */
  defaultFrequency?: string;
  /** `input.highWaterMarks`: what the last successful sync returned, when the host keeps it. */
  run(ctx: PluginContext<any, any>, input?: { highWaterMarks?: Record<string, string> }): Promise<SyncResult>;
}

export interface PlugboardEvent {
  id: string;
  event: string;
  timestamp: string;
  accountId: string;
  livemode: boolean;
  data: unknown;
}

/** What a provider's webhook is answered with instead of `{ received }` (a handshake such as Slack's challenge). */
export interface WebhookReply {
  /** 200 to 299 (default 200). */
  status?: number;
  /** Default `text/plain`. */
  contentType?: string;
  /** At most 10,000 characters. */
  body: string;
}

/**
 * What a verified webhook delivery becomes: an event to publish, or an entry in the account's audit log
 * (`audit`: `[a-z0-9_.]`, recorded as `integration.webhook.<audit>` on the connection, with `details`
 * of at most 4 KB) for what the platform must be able to show it received (Shopify's privacy requests).
 */
export type WebhookOutcome = { event: string; data: unknown } | { audit: string; details?: Record<string, unknown> };

export interface WebhookDefinition {
  verify(ctx: PluginContext<any, any>, req: InboundRequest): boolean | Promise<boolean>;
  toEvents(ctx: PluginContext<any, any>, req: InboundRequest): WebhookOutcome[] | Promise<WebhookOutcome[]>;
  /** After `verify` accepted the request: an answer of its own, or undefined for the usual `{ received }`. */
  reply?(ctx: PluginContext<any, any>, req: InboundRequest): WebhookReply | undefined | Promise<WebhookReply | undefined>;
}

/** A provider as code (SDK 1.0, and what `compileProvider` makes of declarations). */
export interface CodeProvider {
  /** Unique across the installation: `[a-z0-9_]+`. */
  id: string;
  name: string;
  category: ProviderCategory;
  description: string;
  auth: ProviderAuth;
  settingsSchema?: JSONSchema;
  /**
   * Values the user enters before connecting (before the OAuth redirect, or with the credentials):
   * validated by this schema (an object schema; pin each value down, e.g. a shop domain by pattern,
   * never a free URL), kept in the connection's metadata, and usable as `{name}` in `baseUrl`, the
   * OAuth URLs and `auth.token.url`.
   */
  connectionInputs?: JSONSchema;
  /**
   * For the proxy and `ctx.http`; `{name}` placeholders are filled, URL-encoded, from the connection's
   * metadata (connection inputs, token metadata, what `verify` stored); `{+name}` inserts a value as
   * it is (an origin such as Salesforce's `instance_url`).
   */
  baseUrl?: string;
  verify?(ctx: PluginContext<any, any>): Promise<VerifyResult>;
  healthCheck?(ctx: PluginContext<any, any>): Promise<void>;
  actions?: { [name: string]: ActionDefinition };
  onEvent?: { [eventType: string]: (ctx: PluginContext<any, any>, event: PlugboardEvent) => Promise<void> };
  sync?: SyncDefinition;
  webhook?: WebhookDefinition;
  /** How the provider's errors read (declared requests and `readJson`). */
  errors?: ErrorMapping;
  /** The provider's documented limits: `ctx.http` waits for budget before sending under `baseUrl`. */
  rateLimits?: RateLimit[];
}

/**
 * A documented rate limit: `requests` per `windowMs`, counted per connection, per account of the
 * provider (the metadata key `accountKey`, default `accountId`, names it), or per OAuth app (all
 * connections of the provider on this installation that use the same OAuth client). `requests` limits only matching requests,
 * each `METHOD /path-prefix` relative to `baseUrl` (`POST /chat.postMessage`); absent, every request.
 */
export interface RateLimit {
  requests: number;
  windowMs: number;
  scope: 'connection' | 'account' | 'app';
  accountKey?: string;
  match?: string[];
}

/** Picks a value from a JSON answer: a JSON pointer (`/data/0/id`, `''` for all of it) or a function. */
export type Selector<T> = string | ((body: any, response: Response) => T);

/**
 * One HTTP request to the provider, relative to `baseUrl`. `path`, `query`, `headers` and string `body`
 * values are templates: `{field}` from the action's input (only fields its input schema declares),
 * `{settings.x}`, `{metadata.x}`; a query parameter whose template lacks a value is left out. A body
 * value that is a lone `{field}` keeps the field's type; `body: 'input'` sends the whole input.
 */
export interface DeclaredRequest {
  method?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: 'input' | Record<string, unknown>;
  /** Send the body as `application/x-www-form-urlencoded` instead of JSON. */
  form?: boolean;
}

export interface DeclaredVerify {
  request: DeclaredRequest;
  displayName?: Selector<string>;
  /** Metadata keys and where to read each (JSON pointers), or a function of the answer. */
  metadata?: Record<string, string> | ((body: any, response: Response) => Record<string, unknown>);
}

export interface DeclaredHealthCheck {
  request: DeclaredRequest;
}

export interface DeclaredAction {
  description: string;
  inputSchema: JSONSchema;
  outputSchema?: JSONSchema;
  request: DeclaredRequest;
  /** What part of the answer the action returns (all of it when absent). */
  result?: Selector<unknown>;
}

/**
 * How a list continues: a cursor or page token (from the body by pointer, or a header; with `hasMore`,
 * only while that pointer is `true`), offset/limit, the `Link` header, or the last item's id.
 */
export type Pagination =
  | { type: 'cursor'; cursor: string | { header: string }; param: string; in?: 'query' | 'body'; hasMore?: string }
  | { type: 'offset'; offsetParam: string; limitParam: string; limit: number }
  | { type: 'link' }
  | { type: 'startingAfter'; param: string; hasMore: string };

export interface DeclaredList {
  request: DeclaredRequest;
  /** Where the page's items are (JSON pointer). */
  items: string;
  /** The item field that is its id (default `id`). */
  id?: string;
  pagination?: Pagination;
  /** Incremental syncs: the query parameter given the last sync's high-water mark, and the item field it is read from. */
  incremental?: { param: string; field: string };
  maxPages?: number;
}

export interface DeclaredSync {
  defaultFrequency?: string;
  models: { [model: string]: DeclaredList };
}

/**
 * How a provider's errors read. Defaults: 429 is a rate limit, other 4xx (but 408) a refusal shown to
 * the user with the provider's message, anything else an outage.
 */
export interface ErrorMapping {
  /** Where the provider puts its message (JSON pointers, tried in order before the usual places), or a function of the error body. */
  message?: string | string[] | ((body: any) => string | undefined);
  /** Statuses that mean the provider refused the credentials or the input. */
  rejected?: number[];
  rateLimited?: number[];
  /**
   * What an answer means when its status does not say (HTTP 200 with `ok: false` or `success: false`,
   * a 403 that is a quota): called with every answer's body; undefined falls back on the statuses.
   */
  classify?: (body: any, status: number) => 'ok' | 'rejected' | 'rate_limited' | 'outage' | undefined;
}

/** A provider: each part code (as in SDK 1.0) or a declaration (SDK 1.1). */
export interface ProviderDefinition extends Omit<CodeProvider, 'verify' | 'healthCheck' | 'actions' | 'sync'> {
  verify?: CodeProvider['verify'] | DeclaredVerify;
  healthCheck?: CodeProvider['healthCheck'] | DeclaredHealthCheck;
  actions?: { [name: string]: ActionDefinition | DeclaredAction };
  sync?: SyncDefinition | DeclaredSync;
}

export interface PluginDefinition {
  providers: ProviderDefinition[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Types and freezes a plugin definition; the default export of a plugin's entry file. */
export function definePlugin<T extends PluginDefinition>(definition: T): Readonly<T> {
  return deepFreeze(definition);
}

/**
 * The provider refused the credentials or the input. Becomes `422 provider_rejected` with the message
 * as `detail`. The host recognises it by `code`, so a plain Error with that code works the same.
 */
export class ProviderRejectedError extends Error {
  readonly code = 'provider_rejected';

  constructor(message: string) {
    super(message);
    this.name = 'ProviderRejectedError';
  }
}
