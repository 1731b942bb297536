import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { type MemberIdentity, USER_ID } from '../../core/auth/identity.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import {
  AppError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  ProviderError,
  UnauthenticatedError,
  ValidationFailedError,
} from '../../core/errors/app-errors.js';
import { MembersService } from '../accounts/index.js';
import { AuditService } from '../audit/index.js';
import { CONSOLE_SSO_RETURN_PATH } from '../console/index.js';
import { ConnectedIntegrations, type OpenedConnection } from '../integrations/index.js';
import { AccessService } from '../rbac/index.js';
import type { AuthorizeSsoQuery, ExchangeSsoCodeDto, SsoIdentityDto, SsoMemberDto } from './dto/sso.dto.js';
import { OidcClient, OidcFlowError } from './oidc-client.js';
import { provisioningRole } from './provisioning.js';
import { isSsoProvider, type SsoClient, type SsoIdentity, type SsoProviderId, type SsoProviderSpec, ssoProvider } from './sso-providers.js';
import { SSO_TOKEN, SsoStore } from './sso-store.js';

/** A sign-in between the redirect to the provider and its callback (the `state` token's value). */
interface PendingSignIn {
  accountId: string;
  livemode: boolean;
  provider: SsoProviderId;
  integrationId: string;
  returnUrl: string;
  clientState?: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** SHA-256 of the browser cookie set with the redirect: only that browser may finish the sign-in. */
  browserHash: string;
}

/** A verified sign-in waiting for the host platform to redeem it (the `code` token's value). */
interface SignedIn {
  accountId: string;
  livemode: boolean;
  integrationId: string;
  identity: SsoIdentity;
  /** Issued for signing in to the console: only the console redeems it, and the host platform cannot. */
  forConsole?: boolean;
}

/** A redirect answer: where the browser goes, and the browser-binding cookie to set with it. */
export interface SsoRedirect {
  url: string;
  cookie?: { name: string; value: string; path: string; maxAgeMs: number };
}

const STATE_TTL_MS = 10 * 60_000;
const CODE_TTL_MS = 60_000;
const SCOPES = 'openid email profile';
export const CALLBACK_PATH = '/v1/sso/callback';

/** The callback's own parameters; anything else the provider appends (scope, authuser, session_state, …) is ignored. */
const CALLBACK_PARAMETERS = ['state', 'code', 'error', 'iss'] as const;
type CallbackParameters = Partial<Record<(typeof CALLBACK_PARAMETERS)[number], string>>;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The cookie that binds a sign-in to the browser that started it, one per sign-in (tabs do not collide). */
export const browserCookieName = (state: string) => `pb_sso_${sha256(state).slice(0, 16)}`;

class InvalidStateError extends AppError {
  constructor(reason: 'state_unknown' | 'state_used' | 'browser_mismatch') {
    const detail = {
      state_unknown: 'The sign-in state is not valid: it was not issued here, was altered or has expired',
      state_used: 'The sign-in state was already used: start the sign-in again',
      browser_mismatch: 'The sign-in was started in another browser: start it again here',
    }[reason];
    super('invalid_state', 400, detail, { reason });
  }
}

class InvalidCodeError extends AppError {
  constructor(reason: 'code_unknown' | 'code_used') {
    const detail =
      reason === 'code_used'
        ? 'This sign-in code was already exchanged'
        : 'This sign-in code was not issued to this account and mode, was altered or has expired (codes are valid for one minute)';
    super('invalid_request', 400, detail, { reason });
  }
}

/** Refuses a sign-in whose state was good: the browser goes back to returnUrl with `error`. */
class SignInRefusal extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
    readonly who?: { email?: string; domain?: string },
  ) {
    super(detail);
  }
}

/**
 * Plugboard as a sign-in broker for the host platform: OpenID Connect's code flow (state, nonce,
 * PKCE S256) with the Google or Microsoft client of the account's connected `google_sso` /
 * `microsoft_sso` integration, then a one-minute single-use code the platform exchanges server-side
 * (API key with `sso.exchange`) for the verified identity, optionally provisioning a member.
 */
@Injectable()
export class SsoService {
  private readonly logger = new Logger(SsoService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly integrations: ConnectedIntegrations,
    private readonly oidc: OidcClient,
    private readonly store: SsoStore,
    private readonly audit: AuditService,
    private readonly access: AccessService,
    private readonly members: MembersService,
  ) {}

  /** Where to send the browser to sign in: the provider's authorization endpoint, for this account's client. */
  async authorize(providerId: string, query: AuthorizeSsoQuery): Promise<SsoRedirect> {
    if (!isSsoProvider(providerId)) throw new NotFoundError('SSO provider');
    this.integrations.assertReturnUrl(query.returnUrl);
    const spec = ssoProvider(providerId);
    const livemode = (query.mode ?? 'live') === 'live';
    const connection = await this.integrations.openDefaultShared({ accountId: query.account, livemode }, providerId);
    if (!connection) throw new NotFoundError(`A connected ${providerId} integration (${livemode ? 'live' : 'test'} mode) of this account`);
    const client = this.client(spec, connection);
    const document = await this.oidc.discover(spec.discoveryUrl(client));
    if (spec.issuers(document.issuer, client, {}) === null) {
      throw new ProviderError(`${spec.name}'s OpenID configuration names an issuer that is not ${spec.name}'s`);
    }
    const nonce = randomBytes(32).toString('base64url');
    const codeVerifier = randomBytes(32).toString('base64url');
    const browser = randomBytes(32).toString('base64url');
    const redirectUri = `${this.config.publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH}`;
    const pending: PendingSignIn = {
      accountId: connection.accountId,
      livemode,
      provider: providerId,
      integrationId: connection.id,
      returnUrl: query.returnUrl,
      clientState: query.state,
      nonce,
      codeVerifier,
      redirectUri,
      browserHash: sha256(browser),
    };
    const state = await this.store.put('state', pending, STATE_TTL_MS);
    const url = this.oidc.authorizationUrl(document, {
      client_id: client.clientId,
      response_type: 'code',
      scope: SCOPES,
      redirect_uri: redirectUri,
      state,
      nonce,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...spec.authorizationParams(client, query.loginHint),
    });
    this.logger.log({ provider: providerId, accountId: connection.accountId, livemode }, 'SSO sign-in started');
    return { url, cookie: { name: browserCookieName(state), value: browser, path: CALLBACK_PATH, maxAgeMs: STATE_TTL_MS } };
  }

  /**
   * The provider sends the browser here. A state that is not trustworthy (made up, altered, expired,
   * used, or brought by another browser) is `400 invalid_state`; every other ending is a redirect to
   * returnUrl: `status=signed_in&code=…`, or `status=error&error=…`.
   */
  async callback(rawQuery: Record<string, unknown>, cookie: (name: string) => string | undefined): Promise<SsoRedirect> {
    const query = callbackParameters(rawQuery);
    if (!query.state || !SSO_TOKEN.test(query.state)) throw new InvalidStateError('state_unknown');
    // The browser is checked before the state is used up: a callback replayed elsewhere cannot spend it.
    const peeked = await this.store.peek<PendingSignIn>('state', query.state);
    if (peeked.outcome !== 'ok') throw new InvalidStateError(peeked.outcome === 'used' ? 'state_used' : 'state_unknown');
    const clear = { name: browserCookieName(query.state), value: '', path: CALLBACK_PATH, maxAgeMs: 0 };
    const browser = Buffer.from(sha256(cookie(clear.name) ?? ''));
    const expected = Buffer.from(peeked.value.browserHash);
    if (browser.length !== expected.length || !timingSafeEqual(browser, expected)) {
      this.logger.warn({ provider: peeked.value.provider, accountId: peeked.value.accountId }, 'SSO callback from another browser refused');
      throw new InvalidStateError('browser_mismatch');
    }
    const taken = await this.store.take<PendingSignIn>('state', query.state);
    if (taken.outcome !== 'ok') throw new InvalidStateError(taken.outcome === 'used' ? 'state_used' : 'state_unknown');
    const pending = taken.value;
    try {
      const identity = await this.complete(pending, query);
      const code = await this.store.put(
        'code',
        {
          accountId: pending.accountId,
          livemode: pending.livemode,
          integrationId: pending.integrationId,
          identity,
          ...(pending.returnUrl === CONSOLE_SSO_RETURN_PATH ? { forConsole: true } : {}),
        } satisfies SignedIn,
        CODE_TTL_MS,
      );
      const em = this.em.fork();
      this.audit.record(em, 'system', {
        action: 'sso.signed_in',
        accountId: pending.accountId,
        targetType: 'integration',
        targetId: pending.integrationId,
        details: { provider: identity.provider, livemode: pending.livemode, subject: identity.subject, email: identity.email, domain: identity.domain },
      });
      await em.flush();
      this.logger.log({ provider: identity.provider, accountId: pending.accountId, domain: identity.domain }, 'SSO sign-in completed');
      return { url: this.returnTo(pending, { status: 'signed_in', code }), cookie: clear };
    } catch (error) {
      const refusal =
        error instanceof SignInRefusal
          ? error
          : error instanceof OidcFlowError
            ? new SignInRefusal(error.code, error.message)
            : error instanceof AppError
              ? new SignInRefusal(error.code, error.message)
              : undefined;
      if (!refusal) this.logger.error({ err: error, provider: pending.provider, accountId: pending.accountId }, 'SSO callback failed');
      const { reason, detail, who } = refusal ?? new SignInRefusal('internal', 'unexpected error');
      await this.recordRefusal(pending, reason, detail, who);
      this.logger.warn({ provider: pending.provider, accountId: pending.accountId, reason, detail }, 'SSO sign-in refused');
      return { url: this.returnTo(pending, { status: 'error', error: reason }), cookie: clear };
    }
  }

  /** Redeems a code for the verified identity (once, within a minute, by the account and mode it was issued to). */
  async exchange(caller: AccountCaller, dto: ExchangeSsoCodeDto): Promise<SsoIdentityDto> {
    await this.access.ensure(caller, 'exchange', 'SsoSignIn');
    const peeked = await this.store.peek<SignedIn>('code', dto.code);
    if (peeked.outcome === 'used') throw new InvalidCodeError('code_used');
    if (peeked.outcome === 'unknown' || peeked.value.accountId !== caller.accountId || peeked.value.livemode !== caller.livemode || peeked.value.forConsole) {
      throw new InvalidCodeError('code_unknown');
    }
    // Provisioning is checked (and done: it is idempotent) before the code is used up, so a caller
    // that may not add the member leaves the code for one that may.
    const member = await this.provision(caller, peeked.value);
    const taken = await this.store.take<SignedIn>('code', dto.code);
    if (taken.outcome !== 'ok') throw new InvalidCodeError(taken.outcome === 'used' ? 'code_used' : 'code_unknown');
    const { identity, integrationId } = taken.value;
    const em = this.em.fork();
    this.audit.record(em, caller, {
      action: 'sso.code_exchanged',
      targetType: 'integration',
      targetId: integrationId,
      details: { provider: identity.provider, subject: identity.subject, email: identity.email, domain: identity.domain, ...(member ? { member } : {}) },
    });
    await em.flush();
    this.logger.log({ provider: identity.provider, accountId: caller.accountId, memberCreated: member?.created ?? false }, 'SSO code exchanged');
    return { ...identity, ...(member ? { member } : {}) };
  }

  /**
   * The console's half of a sign-in that returned to it: the member the code names, for a console
   * session. Someone not yet a member is added only when the integration provisions (its
   * `provisioning.role`, which only a member who may grant that role could set).
   */
  async redeemForConsole(code: string): Promise<MemberIdentity & { accountId: string }> {
    // Peeked first: a code issued to the host platform is left for it, unspent.
    const peeked = await this.store.peek<SignedIn>('code', code);
    const taken = peeked.outcome === 'ok' && peeked.value.forConsole ? await this.store.take<SignedIn>('code', code) : peeked;
    if (taken.outcome !== 'ok' || !taken.value.forConsole) {
      throw new UnauthenticatedError('This sign-in has expired or was already used: sign in again', 'link_invalid');
    }
    const { identity, accountId, integrationId } = taken.value;
    const userId = `${identity.provider}|${identity.subject}`;
    if (!USER_ID.test(userId)) throw new PermissionDeniedError('member', 'This identity cannot be a member of the account');
    const connection = await this.integrations.openDefaultShared({ accountId, livemode: taken.value.livemode }, identity.provider);
    const role = connection?.id === integrationId ? provisioningRole(connection.settings) : undefined;
    const member = await this.members.signInMember(accountId, { userId, email: identity.email, role }, { via: identity.provider, console: true });
    if (!member)
      throw new PermissionDeniedError('member', `${identity.email ?? 'This identity'} is not a member of this account: ask an administrator to add them`);
    this.logger.log({ provider: identity.provider, accountId, memberCreated: member.created }, 'SSO console sign-in');
    return { kind: 'member', userId, accountId, instanceAdmin: false };
  }

  /** Exchanges the provider's code and verifies who signed in; throws what to send the browser back with. */
  private async complete(pending: PendingSignIn, query: CallbackParameters): Promise<SsoIdentity> {
    if (query.error) {
      throw new SignInRefusal(/^[a-z_]{1,64}$/.test(query.error) ? query.error : 'authorization_failed', 'the provider did not authorize the sign-in');
    }
    if (!query.code) throw new SignInRefusal('invalid_request', 'the callback has no code');
    const spec = ssoProvider(pending.provider);
    const connection = await this.integrations.openDefaultShared({ accountId: pending.accountId, livemode: pending.livemode }, pending.provider);
    if (!connection || connection.id !== pending.integrationId)
      throw new SignInRefusal('sso_not_configured', 'the integration was disconnected or replaced meanwhile');
    const client = this.client(spec, connection);
    const document = await this.oidc.discover(spec.discoveryUrl(client));
    // RFC 9207: a provider that names itself in the response must be the one the sign-in went to
    // (a multi-tenant issuer is known only from the ID token, which is checked below).
    const issuers = spec.issuers(document.issuer, client, {}) ?? [];
    if (query.iss !== undefined && !document.issuer.includes('{') && !issuers.includes(query.iss)) {
      throw new SignInRefusal('issuer_mismatch', 'the authorization response names another issuer');
    }
    const idToken = await this.oidc.exchangeCode(document, {
      code: query.code,
      redirectUri: pending.redirectUri,
      codeVerifier: pending.codeVerifier,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
    });
    const claims = await this.oidc.verifyIdToken(idToken, {
      jwksUri: document.jwks_uri,
      audience: client.clientId,
      nonce: pending.nonce,
      issuers: (unverified) => spec.issuers(document.issuer, client, unverified),
    });
    const verdict = spec.identify(claims, client);
    if ('refusal' in verdict) {
      const email = typeof claims.email === 'string' ? claims.email : undefined;
      throw new SignInRefusal(verdict.refusal, verdict.detail, { email, domain: email?.split('@').pop()?.toLowerCase() });
    }
    return verdict.identity;
  }

  /** The member the identity is, added with the integration's `provisioning.role` when enabled and not one yet. */
  private async provision(caller: AccountCaller, signedIn: SignedIn): Promise<SsoMemberDto | undefined> {
    const { identity } = signedIn;
    const connection = await this.integrations.openDefaultShared({ accountId: signedIn.accountId, livemode: signedIn.livemode }, identity.provider);
    if (!connection || connection.id !== signedIn.integrationId) return undefined;
    const role = provisioningRole(connection.settings);
    if (!role) return undefined;
    const userId = `${identity.provider}|${identity.subject}`;
    if (!USER_ID.test(userId)) {
      throw new ValidationFailedError('This identity cannot be a member', [{ path: 'code', message: 'its subject is not a usable user id' }]);
    }
    const { member, created } = await this.members.provision(caller, { userId, email: identity.email, role }, { via: identity.provider });
    return { userId: member.userId, role: member.role, created };
  }

  private client(spec: SsoProviderSpec, connection: OpenedConnection): SsoClient {
    const client = spec.client(connection.credentials);
    if (!client) throw new ConflictError(`The ${spec.id} integration's credentials are incomplete: connect it again`);
    return client;
  }

  private async recordRefusal(pending: PendingSignIn, reason: string, detail: string, who?: { email?: string; domain?: string }): Promise<void> {
    try {
      const em = this.em.fork();
      this.audit.record(em, 'system', {
        action: 'sso.sign_in_refused',
        accountId: pending.accountId,
        targetType: 'integration',
        targetId: pending.integrationId,
        details: {
          provider: pending.provider,
          livemode: pending.livemode,
          reason,
          detail: detail.slice(0, 300),
          ...(who?.email ? { email: who.email, domain: who.domain } : {}),
        },
      });
      await em.flush();
    } catch (error) {
      this.logger.warn({ err: error, provider: pending.provider, accountId: pending.accountId }, 'SSO refusal could not be audited');
    }
  }

  /** returnUrl with the outcome, the provider and the host platform's own `state`. */
  private returnTo(pending: PendingSignIn, outcome: Record<string, string>): string {
    const relative = pending.returnUrl.startsWith('/');
    const url = new URL(pending.returnUrl, 'https://relative.invalid');
    for (const [name, value] of Object.entries({ ...outcome, provider: pending.provider, ...(pending.clientState ? { state: pending.clientState } : {}) })) {
      url.searchParams.set(name, value);
    }
    return relative ? `${url.pathname}${url.search}${url.hash}` : url.toString();
  }
}

/** The callback's parameters, each a single string; repeated ones are refused before the state is used up. */
function callbackParameters(query: Record<string, unknown>): CallbackParameters {
  const parameters: CallbackParameters = {};
  for (const name of CALLBACK_PARAMETERS) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new AppError('invalid_request', 400, `The sign-in callback takes one "${name}" parameter`);
    parameters[name] = value;
  }
  return parameters;
}
