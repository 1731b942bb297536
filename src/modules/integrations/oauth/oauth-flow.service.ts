import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Strategy as OAuth2Strategy, type StateStore, type StrategyOptions, type VerifyFunction } from 'passport-oauth2';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { AppError, NotFoundError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { applyOriginOverride, SafeHttpClient } from '../../../core/http/safe-http.js';
import type { OAuth2Auth } from '../../../sdk/index.js';
import { exchangeCodeOwnWay, readTokenMetadata, resolveUrlTemplate } from '../../../sdk/provider-auth.js';
import { AccountsService } from '../../accounts/index.js';
import type { RegisteredProvider } from '../../plugins/index.js';
import { AccessService, CallerFactory } from '../../rbac/index.js';
import { ConnectionAccess } from '../connections/connection-access.js';
import type { OAuthApp } from '../connections/credential-vault.js';
import { StartConnectionOAuthDto } from '../dto/connection.dto.js';
import { OAuthStartedDto, StartOAuthDto } from '../dto/integration.dto.js';
import { Integration } from '../entities/integration.entity.js';
import { IntegrationHistory } from '../connections/integration-history.js';
import { IntegrationsService, type OAuthConnectionTarget } from '../connections/integrations.service.js';
import { ProviderCalls } from '../calls/provider-calls.js';
import { callbackSignatureValid } from './callback-signature.js';
import { toOAuthCredentials } from './token-refresher.js';
import { OAuthClients } from './oauth-clients.js';
import { NewOAuthState, OAuthStateService } from './oauth-state.service.js';

/** What passport-oauth2 reports at the end of a flow. */
type FlowOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; tokens: { accessToken: string; refreshToken?: string; params: Record<string, unknown> } }
  | { kind: 'fail' }
  | { kind: 'error'; error: unknown };

export type SessionCompletion = (em: EntityManager, connectSessionId: string, connection: Integration) => Promise<void>;

/** OAuth flows started with an API key record the key as `api_key:<id>`. */
const API_KEY_STARTER = 'api_key:';

/** A token exchange the provider does not answer in this time ends the flow with `provider_timeout`. */
const TOKEN_EXCHANGE_TIMEOUT_MS = 15_000;

/** How passport-oauth2's client (node-oauth) sends a request and hears back. */
type OAuthRequest = (
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  accessToken: string | null,
  callback: (error: unknown, result?: string, response?: Response) => void,
) => void;

/** The callback's own parameters; anything else the provider appends is ignored. */
const CALLBACK_PARAMETERS = ['state', 'code', 'error'] as const;
type CallbackParameters = Partial<Record<(typeof CALLBACK_PARAMETERS)[number], string>>;

class InvalidStateError extends AppError {
  constructor() {
    super('invalid_state', 400, 'The OAuth state is not valid: it was not issued here or was altered');
  }
}

class InvalidRequestError extends AppError {
  constructor(parameter: string) {
    super('invalid_request', 400, `The OAuth callback takes one "${parameter}" parameter`);
  }
}

/**
 * OAuth 2.0 connections through passport-oauth2: `start` builds the authorization URL (with an
 * HMAC-signed single-use state stored in PostgreSQL, and PKCE S256 when the provider supports it);
 * `callback` verifies the state, exchanges the code, verifies the tokens with the plugin and stores
 * them encrypted. Every ending of the callback but an untrustworthy state is a redirect to returnUrl.
 */
@Injectable()
export class OAuthFlowService {
  private readonly logger = new Logger(OAuthFlowService.name);
  private sessionCompleted?: SessionCompletion;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly states: OAuthStateService,
    private readonly clients: OAuthClients,
    private readonly integrations: IntegrationsService,
    private readonly access: AccessService,
    private readonly callers: CallerFactory,
    private readonly calls: ProviderCalls,
    private readonly history: IntegrationHistory,
    private readonly accounts: AccountsService,
    private readonly connections: ConnectionAccess,
    private readonly http: SafeHttpClient,
  ) {}

  /** Called, in the connection's transaction, when an authorization started by a connect session succeeds. */
  onSessionCompleted(completion: SessionCompletion): void {
    this.sessionCompleted = completion;
  }

  /** Connects (or re-connects) the account's default shared connection of a provider. */
  async start(caller: AccountCaller, providerId: string, dto: StartOAuthDto): Promise<OAuthStartedDto> {
    const provider = this.oauthProvider(providerId);
    this.assertReturnUrl(dto.returnUrl);
    if (dto.settings) this.integrations.assertValid(provider, 'settings', dto.settings);
    const existing = await this.em.findOne(Integration, {
      accountId: caller.accountId,
      livemode: caller.livemode,
      provider: providerId,
      owner: 'account',
      isDefault: true,
    });
    await this.access.ensure(caller, 'connect', 'Integration', { category: provider.category, counted: this.integrations.isCounted(existing) });
    return this.authorize(caller, provider, { ...dto, inputs: this.integrations.connectionInputs(provider, dto.inputs, existing?.metadata) });
  }

  /** A new connection for the owner the request names. */
  async startConnection(caller: AccountCaller, dto: StartConnectionOAuthDto, connectSessionId?: string): Promise<OAuthStartedDto> {
    const provider = this.oauthProvider(dto.provider);
    const owner = await this.connections.ownerForNew(caller, dto);
    this.assertReturnUrl(dto.returnUrl);
    if (dto.settings) this.integrations.assertValid(provider, 'settings', dto.settings);
    const inputs = this.integrations.connectionInputs(provider, dto.inputs);
    await this.integrations.assertPlanAllowsNew(caller, provider, owner);
    return this.authorize(caller, provider, { ...dto, inputs }, { new: true, owner, label: dto.label, tags: dto.tags }, connectSessionId);
  }

  /** Re-authorises an existing connection in place (same id), the way an `expired` one is fixed. */
  async reconnect(caller: AccountCaller, id: string, dto: StartOAuthDto, connectSessionId?: string): Promise<OAuthStartedDto> {
    const connection = await this.integrations.find(this.em, caller, { id }, 'configure');
    const provider = this.oauthProvider(connection.provider);
    this.assertReturnUrl(dto.returnUrl);
    if (dto.settings) this.integrations.assertValid(provider, 'settings', dto.settings);
    const inputs = this.integrations.connectionInputs(provider, dto.inputs, connection.metadata);
    return this.authorize(caller, provider, { ...dto, inputs }, { id }, connectSessionId);
  }

  private oauthProvider(providerId: string): RegisteredProvider & { auth: OAuth2Auth } {
    const provider = this.integrations.requireProvider(providerId);
    if (provider.auth.type !== 'oauth2') {
      throw new ValidationFailedError('This provider does not connect with OAuth', [
        { path: 'provider', message: `uses ${provider.auth.type}: send the credentials` },
      ]);
    }
    return provider as RegisteredProvider & { auth: OAuth2Auth };
  }

  private async authorize(
    caller: AccountCaller,
    provider: RegisteredProvider & { auth: OAuth2Auth },
    dto: { returnUrl: string; settings?: Record<string, unknown>; inputs: Record<string, unknown>; oauthApp?: OAuthApp },
    connection?: OAuthConnectionTarget,
    connectSessionId?: string,
  ): Promise<OAuthStartedDto> {
    const providerId = provider.id;
    const client = this.clients.resolve(providerId, dto.oauthApp);
    const em = this.em.fork();
    let expiresAt = new Date();
    const store: StateStore = {
      store: (_req: unknown, verifier: string, pending: NewOAuthState, _meta: unknown, done: (error: Error | null, state?: string) => void) => {
        const created = this.states.create(em, { ...pending, codeVerifier: verifier || undefined });
        expiresAt = created.expiresAt;
        em.flush().then(() => done(null, created.state), done);
      },
      verify: () => undefined,
    } as unknown as StateStore;
    const pending: NewOAuthState = {
      accountId: caller.accountId,
      livemode: caller.livemode,
      provider: providerId,
      userId: caller.kind === 'member' ? caller.userId! : `${API_KEY_STARTER}${caller.apiKeyId}`,
      returnUrl: dto.returnUrl,
      settings: dto.settings,
      inputs: dto.inputs,
      oauthApp: dto.oauthApp
        ? { clientId: dto.oauthApp.clientId, clientSecret: dto.oauthApp.clientSecret, ...(dto.oauthApp.secrets ? { secrets: dto.oauthApp.secrets } : {}) }
        : undefined,
      connection,
      connectSessionId,
    };
    const outcome = await this.run(this.strategy(provider.auth, client, store, dto.inputs), { query: {} }, { state: pending });
    if (outcome.kind !== 'redirect') throw outcome.kind === 'error' ? outcome.error : new Error('authorization URL not built');
    return { authorizationUrl: renameClientId(outcome.url, provider.auth.clientIdParameter), expiresAt };
  }

  /** Returns where to redirect the browser; throws 400 invalid_state when the state cannot be trusted. */
  async callback(rawQuery: Record<string, unknown>): Promise<string> {
    const query = callbackParameters(rawQuery);
    const consumed = await this.states.consume(query.state);
    if (consumed.outcome === 'invalid') throw new InvalidStateError();
    const { state } = consumed;
    const back = (status: 'connected' | 'error', error?: string, connectionId?: string) =>
      this.returnTo(state.returnUrl, state.provider, status, error, connectionId);
    if (consumed.outcome !== 'ok') return back('error', consumed.outcome === 'used' ? 'state_used' : 'state_expired');
    if (query.error) return back('error', /^[a-z_]{1,64}$/.test(query.error) ? query.error : 'authorization_failed');
    const provider = this.integrations.findProvider(state.provider);
    if (!provider || provider.auth.type !== 'oauth2') return back('error', 'provider_unavailable');
    const auth = provider.auth;
    const code = auth.codeParameter ? singleParameter(rawQuery, auth.codeParameter) : query.code;
    // Without a code passport-oauth2 would start a new authorization instead of ending this one.
    if (!code) return back('error', 'invalid_request');
    const { secrets } = consumed;
    try {
      const client = this.clients.resolve(provider.id, secrets.oauthApp);
      if (auth.callbackHmac && !callbackSignatureValid(rawQuery, auth.callbackHmac, client.clientSecret)) {
        this.logger.warn({ provider: provider.id }, 'OAuth callback refused: its signature does not match');
        return back('error', 'invalid_signature');
      }
      const inputs = secrets.inputs ?? {};
      const outcome = auth.tokenRequest
        ? await this.exchangeOwnWay(auth, auth.tokenRequest, client, inputs, code)
        : await this.run(this.strategy(auth, client, this.verifierStore(secrets.codeVerifier), inputs), { query: { code, state: query.state } }, {});
      if (outcome.kind === 'fail') return back('error', 'access_denied');
      if (outcome.kind === 'error') return back('error', oauthErrorCode(outcome.error));
      if (outcome.kind !== 'success') return back('error', 'exchange_failed');
      let tokenMetadata: Record<string, string>;
      try {
        tokenMetadata = readTokenMetadata(provider.auth.tokenMetadata, outcome.tokens.params);
      } catch (error) {
        this.logger.warn({ provider: provider.id, reason: (error as Error).message }, 'OAuth token response refused');
        return back('error', 'provider_rejected');
      }
      // Connection inputs win over token values, which win over what verify reports.
      const kept = { ...tokenMetadata, ...inputs };
      const credentials = toOAuthCredentials(
        { ...outcome.tokens.params, access_token: outcome.tokens.accessToken, refresh_token: outcome.tokens.refreshToken },
        undefined,
        provider.auth.assumedLifetimeSeconds,
      );
      const target = secrets.connection ?? { new: false, owner: { owner: 'account' as const, memberId: null, endUserId: null } };
      const caller = await this.starter(state, target);
      // The starter's permissions now, not when they started: they may have lost them meanwhile.
      let existing: Integration | null;
      if ('id' in target) existing = await this.integrations.find(this.em.fork(), caller, { id: target.id }, 'configure');
      else {
        if (target.new) await this.connections.ownerForNew(caller, { owner: target.owner.owner, endUserId: target.owner.endUserId ?? undefined });
        else if (!caller.permissions.has('integrations.manage')) return back('error', 'permission_denied');
        existing = target.new
          ? null
          : await this.em
              .fork()
              .findOne(Integration, { accountId: state.accountId, livemode: state.livemode, provider: provider.id, owner: 'account', isDefault: true });
        await this.access.ensure(caller, 'connect', 'Integration', { category: provider.category, counted: this.integrations.isCounted(existing) });
      }
      // Verify sees the app's own secrets as every later call does (`ctx.credentials.app`); they are not stored with the tokens.
      const app = this.clients.appSecrets(provider.id, auth.appSecrets, secrets.oauthApp);
      const verified = await this.calls.verify(
        provider,
        state,
        existing?.id,
        { ...credentials, ...(app ? { app } : {}) },
        secrets.settings ?? existing?.settings ?? {},
        kept,
      );
      const connected = await this.em.fork().transactional(async (em) => {
        const integration = await this.integrations.completeOAuth(
          em,
          { accountId: state.accountId, livemode: state.livemode, provider, connection: target },
          credentials,
          verified,
          secrets.settings,
          secrets.oauthApp,
          kept,
        );
        await this.history.record(em, integration, 'integration.connected', caller);
        if (secrets.connectSessionId) await this.sessionCompleted?.(em, secrets.connectSessionId, integration);
        return integration;
      });
      return back('connected', undefined, connected.id);
    } catch (error) {
      if (error instanceof AppError) return back('error', error.code);
      this.logger.error({ err: error, provider: state.provider }, 'OAuth callback failed');
      return back('error', 'internal');
    }
  }

  /** Who started the flow, with their current permissions (a member may have lost them meanwhile). */
  private async starter(state: { accountId: string; livemode: boolean; userId: string }, target: OAuthConnectionTarget): Promise<AccountCaller> {
    const mode = state.livemode ? 'live' : 'test';
    if (!state.userId.startsWith(API_KEY_STARTER)) {
      return this.callers.forAccount({ kind: 'member', userId: state.userId, accountId: state.accountId, instanceAdmin: false }, mode);
    }
    const plan = await this.accounts.planOf(state.accountId);
    if (!plan) throw new NotFoundError('Account');
    const apiKeyId = state.userId.slice(API_KEY_STARTER.length);
    // The key was authorised for this connection's owner when the flow started.
    const owner = 'id' in target ? (await this.em.fork().findOne(Integration, { id: target.id }, { fields: ['owner'] }))?.owner : target.owner.owner;
    const endUser = owner === 'end_user';
    const permissions = endUser ? ['integrations.view', 'connections.manage'] : ['integrations.view', 'integrations.manage'];
    return this.callers.forAccount({ kind: 'api_key', apiKeyId, accountId: state.accountId, livemode: state.livemode, permissions, plan }, mode);
  }

  /** On the callback, the state is already verified: the store only hands passport the PKCE verifier. */
  private verifierStore(codeVerifier: string | undefined): StateStore {
    return {
      store: () => undefined,
      verify: (_req: unknown, _state: string, _meta: unknown, done: (error: null, ok: string | boolean, info: object) => void) =>
        done(null, codeVerifier ?? true, {}),
    } as unknown as StateStore;
  }

  /** A provider URL (authorization, token) filled from the connection inputs, with any origin override applied. */
  private providerUrl(template: string, inputs: Record<string, unknown>): string {
    const url = resolveUrlTemplate(template, inputs);
    if (!url) throw new ValidationFailedError('The connection inputs are incomplete', [{ path: 'inputs', message: `are needed to build ${template}` }]);
    return applyOriginOverride(new URL(url), this.config.providerOriginOverrides).toString();
  }

  /** The code exchange of a provider that does not speak RFC 6749's form (`auth.tokenRequest`), through the SSRF-checked client. */
  private async exchangeOwnWay(
    auth: OAuth2Auth,
    request: NonNullable<OAuth2Auth['tokenRequest']>,
    client: OAuthApp,
    inputs: Record<string, unknown>,
    code: string,
  ): Promise<FlowOutcome> {
    try {
      const tokens = await exchangeCodeOwnWay(
        request,
        { clientId: client.clientId, clientSecret: client.clientSecret, code, redirectUri: this.clients.callbackUrl },
        this.providerUrl(auth.tokenUrl, inputs),
        (url, init) => this.http.fetch(url, { ...init, timeoutMs: TOKEN_EXCHANGE_TIMEOUT_MS }),
      );
      return { kind: 'success', tokens };
    } catch (error) {
      return { kind: 'error', error };
    }
  }

  /** A passport strategy for one authorization: the provider's URLs filled from the connection inputs. */
  private strategy(auth: OAuth2Auth, client: OAuthApp, store: StateStore, inputs: Record<string, unknown>): OAuth2Strategy {
    const strategy = new OAuth2Strategy(
      {
        authorizationURL: this.providerUrl(auth.authorizationUrl, inputs),
        tokenURL: this.providerUrl(auth.tokenUrl, inputs),
        clientID: client.clientId,
        clientSecret: client.clientSecret,
        callbackURL: this.clients.callbackUrl,
        scope: auth.scopes,
        scopeSeparator: auth.scopeSeparator ?? ' ',
        pkce: auth.pkce ? 'S256' : false,
        state: true,
        store,
        skipUserProfile: true,
      } as StrategyOptions,
      ((accessToken: string, refreshToken: string, params: Record<string, unknown>, _profile: unknown, done: (error: null, user: object) => void) =>
        done(null, { accessToken, refreshToken: refreshToken || undefined, params })) as VerifyFunction,
    );
    strategy.authorizationParams = () => ({ ...(auth.authorizationParams ?? {}) });
    // The code exchange goes through the SSRF-checked client like every other provider request,
    // answering passport's OAuth2 client the way its own HTTP code would.
    const oauth2 = (strategy as unknown as { _oauth2: { _request: OAuthRequest } })._oauth2;
    oauth2._request = (method, url, headers, body, _accessToken, callback) => {
      this.http
        .fetch(url, { method, headers, body: body || undefined, timeoutMs: TOKEN_EXCHANGE_TIMEOUT_MS })
        .then(async (response) => {
          const text = await response.text();
          if (response.status >= 200 && response.status <= 299) callback(null, text, response);
          else callback({ statusCode: response.status, data: text });
        })
        .catch((error: unknown) => callback(error));
    };
    return strategy;
  }

  /** Runs a passport strategy outside of a middleware chain and reports how it ended, within the exchange deadline. */
  private run(strategy: OAuth2Strategy, request: { query: Record<string, unknown> }, options: object): Promise<FlowOutcome> {
    return new Promise((resolve) => {
      const deadline = setTimeout(() => end({ kind: 'error', error: { code: 'provider_timeout' } }), TOKEN_EXCHANGE_TIMEOUT_MS);
      const end = (outcome: FlowOutcome) => {
        clearTimeout(deadline);
        resolve(outcome);
      };
      const augmented = Object.assign(Object.create(strategy) as OAuth2Strategy, {
        redirect: (url: string) => end({ kind: 'redirect', url }),
        success: (tokens: { accessToken: string; refreshToken?: string; params: Record<string, unknown> }) => end({ kind: 'success', tokens }),
        fail: () => end({ kind: 'fail' }),
        error: (error: unknown) => end({ kind: 'error', error }),
        pass: () => end({ kind: 'fail' }),
      });
      augmented.authenticate({ ...request, headers: {}, body: {} } as never, options);
    });
  }

  /** A returnUrl must be relative or have an origin in ALLOWED_RETURN_ORIGINS (no open redirect); else 400. */
  assertReturnUrl(returnUrl: string): void {
    const relative = returnUrl.startsWith('/') && !returnUrl.startsWith('//') && !returnUrl.includes('\\');
    let allowed = relative;
    if (!relative) {
      try {
        allowed = this.config.allowedReturnOrigins.includes(new URL(returnUrl).origin);
      } catch {
        allowed = false;
      }
    }
    if (!allowed) {
      throw new ValidationFailedError('returnUrl is not allowed', [
        { path: 'returnUrl', message: 'must be a relative path or have an origin listed in ALLOWED_RETURN_ORIGINS' },
      ]);
    }
  }

  /** returnUrl with the outcome: the provider, the status, and the connection or the error. */
  private returnTo(returnUrl: string, provider: string, status: 'connected' | 'error', error?: string, connectionId?: string): string {
    const params = new URLSearchParams({ provider, status, ...(error ? { error } : {}), ...(connectionId ? { connectionId } : {}) });
    return `${returnUrl}${returnUrl.includes('?') ? '&' : '?'}${params.toString()}`;
  }
}

/** The callback's parameters, each a single string; repeated ones are refused before the state is used up. */
function callbackParameters(query: Record<string, unknown>): CallbackParameters {
  const parameters: CallbackParameters = {};
  for (const name of CALLBACK_PARAMETERS) {
    const value = singleParameter(query, name);
    if (value !== undefined) parameters[name] = value;
  }
  return parameters;
}

/** A parameter of the callback's query that must appear once; undefined when absent, 400 when repeated. */
function singleParameter(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(name);
  return value;
}

/** The authorization URL with the client id under the provider's own parameter name. */
function renameClientId(url: string, parameter: string | undefined): string {
  if (!parameter) return url;
  const parsed = new URL(url);
  const clientId = parsed.searchParams.get('client_id');
  if (clientId === null) return url;
  parsed.searchParams.delete('client_id');
  parsed.searchParams.set(parameter, clientId);
  return parsed.toString();
}

/** The OAuth error code a token endpoint answered (invalid_grant, invalid_client, redirect_uri_mismatch, …). */
function oauthErrorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[a-z_]{1,64}$/.test(code)) return code;
  const data = (error as { oauthError?: { data?: unknown } }).oauthError?.data;
  if (typeof data === 'string') {
    try {
      const parsed = JSON.parse(data) as { error?: unknown };
      if (typeof parsed.error === 'string' && /^[a-z_]{1,64}$/.test(parsed.error)) return parsed.error;
    } catch {
      // not JSON
    }
  }
  return 'exchange_failed';
}
