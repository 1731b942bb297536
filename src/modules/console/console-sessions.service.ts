import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import { isUUID } from 'class-validator';
import { USER_ID, type MemberIdentity } from '../../core/auth/identity.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { PermissionDeniedError, UnauthenticatedError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { requestCookie } from '../../core/http/cookies.js';
import { MaintenanceScheduler } from '../../core/queue/maintenance.js';
import { CallerFactory } from '../rbac/index.js';
import { ConsoleSessionRepository, type SessionRow } from './console-session.repository.js';

/** Where single sign-on returns to sign in to the console: a code issued for it is redeemed only by the console. */
export const CONSOLE_SSO_RETURN_PATH = '/console/sign-in/sso';
/** A sign-in link works once, for this long. */
const LINK_TTL_MS = 10 * 60_000;
/** A console session ends this long after sign-in, whatever its use. */
export const SESSION_TTL_MS = 8 * 60 * 60_000;
/** The session cookie: HttpOnly, SameSite=Strict, Secure outside development. */
export const SESSION_COOKIE = 'plugboard_console';
const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Redeems a single sign-on code issued for the console (one minute, single use) for the member it
 * signed in; throws 401 when the code is unknown or used, 403 when the identity is no member. The sso
 * module registers it: this module sits below it.
 */
export type SsoCodeRedeemer = (code: string) => Promise<MemberIdentity & { accountId: string }>;

/** The member a session stands for, with what the console needs to know of it. */
export interface ConsoleSignIn {
  identity: MemberIdentity;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * Console sign-in: a one-time link (minted by the host platform for a member it has signed in, or by
 * the CLI) becomes an HttpOnly session cookie. The cookie authenticates the member on every /v1 route;
 * an unsafe request must also carry the session's CSRF token, which only the console's own pages can
 * read (from the session route), so another site can neither send the cookie (SameSite=Strict) nor
 * forge the header.
 */
@Injectable()
export class ConsoleSessionsService implements OnModuleInit {
  private ssoRedeemer?: SsoCodeRedeemer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: ConsoleSessionRepository,
    private readonly callers: CallerFactory,
    private readonly maintenance: MaintenanceScheduler,
  ) {}

  onModuleInit(): void {
    this.maintenance.register({ name: 'console.prune-sessions', everyMs: 60 * 60_000, run: () => this.sessions.prune() });
  }

  /** A sign-in link for a member of an account, or for an instance administrator. */
  async mintLink(identity: MemberIdentity): Promise<{ url: string; expiresAt: string }> {
    if (!USER_ID.test(identity.userId)) throw new ValidationFailedError(`"${identity.userId.slice(0, 200)}" is not a user id`);
    if (identity.accountId !== undefined && !isUUID(identity.accountId))
      throw new ValidationFailedError(`"${identity.accountId.slice(0, 200)}" is not an account id`);
    if (identity.accountId) await this.callers.forAccount(identity, undefined);
    else if (!identity.instanceAdmin) throw new PermissionDeniedError('account', 'A console link names an account, unless it is for an instance administrator');
    const code = randomBytes(32).toString('base64url');
    const codeExpiresAt = new Date(Date.now() + LINK_TTL_MS);
    await this.sessions.createLink({ ...identity, codeHash: sha256(code), codeExpiresAt });
    return { url: `${this.config.publicUrl}/console/sign-in#code=${code}`, expiresAt: codeExpiresAt.toISOString() };
  }

  registerSsoRedeemer(redeemer: SsoCodeRedeemer): void {
    this.ssoRedeemer = redeemer;
  }

  /** Opens a session for the member a single sign-on code signed in; the caller sets `token` as the cookie. */
  async signInWithSso(code: string): Promise<ConsoleSignIn & { token: string }> {
    if (!this.ssoRedeemer) throw new UnauthenticatedError('Single sign-on is not available', 'link_invalid');
    const identity = await this.ssoRedeemer(code);
    const token = randomBytes(32).toString('base64url');
    const row = await this.sessions.createSession({ ...identity, tokenHash: sha256(token), ttlMs: SESSION_TTL_MS });
    return { token, ...signInOf(row, token) };
  }

  /** Exchanges a link's code for a session; the caller sets `token` as the session cookie. */
  async signIn(code: string): Promise<ConsoleSignIn & { token: string }> {
    const token = randomBytes(32).toString('base64url');
    const row = await this.sessions.exchange(sha256(code), sha256(token), SESSION_TTL_MS);
    if (!row) throw new UnauthenticatedError('This sign-in link has expired or was already used: ask for a new one', 'link_invalid');
    return { token, ...signInOf(row, token) };
  }

  /** The session of the request's cookie; undefined without one, 401 when it has ended or expired. */
  async fromRequest(request: Request): Promise<ConsoleSignIn | undefined> {
    const token = requestCookie(request, SESSION_COOKIE);
    if (!token) return undefined;
    const row = await this.sessions.find(sha256(token));
    if (!row) throw new UnauthenticatedError('The console session has ended or expired: sign in again', 'session_ended');
    return signInOf(row, token);
  }

  /** The request's session, refusing an unsafe request without the session's CSRF token. */
  async authenticate(request: Request): Promise<MemberIdentity | undefined> {
    const session = await this.fromRequest(request);
    if (!session) return undefined;
    assertCsrf(request, session);
    return session.identity;
  }

  /** Ends the cookie's session; one already over has nothing left to end. */
  async signOut(request: Request): Promise<void> {
    const token = requestCookie(request, SESSION_COOKIE);
    const row = token ? await this.sessions.find(sha256(token)) : undefined;
    if (!row) return;
    assertCsrf(request, signInOf(row, token!));
    await this.sessions.end(sha256(token!));
  }

  cookieOptions(maxAgeMs: number) {
    const secure = this.config.env !== 'development' && this.config.env !== 'test';
    return { httpOnly: true, sameSite: 'strict' as const, secure: secure || this.config.publicUrl.startsWith('https:'), path: '/', maxAge: maxAgeMs };
  }
}

/** The CSRF token is derived from the session token, which only the HttpOnly cookie carries. */
function signInOf(row: SessionRow, token: string): ConsoleSignIn {
  return {
    identity: { kind: 'member', userId: row.user_id, instanceAdmin: row.instance_admin, ...(row.account_id ? { accountId: row.account_id } : {}) },
    csrfToken: createHash('sha256').update(`csrf:${token}`).digest('base64url'),
    expiresAt: new Date(row.expires_at),
  };
}

function assertCsrf(request: Request, session: ConsoleSignIn): void {
  if (SAFE_METHODS.has(request.method) || sameToken(request.header(CSRF_HEADER), session.csrfToken)) return;
  throw new PermissionDeniedError('csrf', 'A console request that changes something needs the session’s X-CSRF-Token header');
}

function sameToken(given: string | undefined, expected: string): boolean {
  return given !== undefined && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
