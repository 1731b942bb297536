import { createHash, randomBytes } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Request } from 'express';
import { bearerToken } from '../../../core/auth/bearer-token.js';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { UnauthenticatedError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { AccountsService } from '../../accounts/index.js';
import { ApiKeysService } from '../../api-keys/index.js';
import { EventsService } from '../../events/index.js';
import { CallerFactory } from '../../rbac/index.js';
import { IntegrationsService } from '../connections/integrations.service.js';
import {
  ConnectCompletedDto,
  ConnectOAuthDto,
  ConnectSessionCreatedDto,
  ConnectSessionViewDto,
  ConnectWithCredentialsDto,
  CreateConnectSessionDto,
} from '../dto/connect-session.dto.js';
import type { OAuthStartedDto } from '../dto/integration.dto.js';
import { ConnectSession } from '../entities/connect-session.entity.js';
import { OAuthFlowService } from '../oauth/oauth-flow.service.js';
import { ConnectBrandingService } from './connect-branding.service.js';

const SESSION_MS = 30 * 60_000;
const TOKEN_PREFIX = 'cs_';

const API_KEY_OPENER = 'api_key:';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Hosted connect sessions: the host platform (an API key or member holding `connections.manage`) opens one for an
 * end user and a list of providers; the browser holding its token may read those providers, connect one
 * (credentials or OAuth) or re-authorise the named connection, and the session ends with it
 * (`connect.session.completed`). What the browser does is done on behalf of whoever opened it.
 */
@Injectable()
export class ConnectSessionsService implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly integrations: IntegrationsService,
    private readonly oauth: OAuthFlowService,
    private readonly accounts: AccountsService,
    private readonly events: EventsService,
    private readonly callers: CallerFactory,
    private readonly apiKeys: ApiKeysService,
    private readonly branding: ConnectBrandingService,
  ) {}

  onModuleInit(): void {
    this.oauth.onSessionCompleted((em, sessionId, connection) => this.complete(em, sessionId, connection));
  }

  async open(caller: AccountCaller, dto: CreateConnectSessionDto): Promise<ConnectSessionCreatedDto> {
    for (const provider of dto.providers) this.integrations.requireProvider(provider);
    this.oauth.assertReturnUrl(dto.returnUrl);
    if (dto.returnUrl.startsWith('/')) {
      throw new ValidationFailedError('returnUrl is not allowed', [
        { path: 'returnUrl', message: 'must be absolute, with an origin in ALLOWED_RETURN_ORIGINS' },
      ]);
    }
    let providers = [...new Set(dto.providers)];
    if (dto.connectionId) {
      const connection = await this.integrations.find(this.em, caller, { id: dto.connectionId }, 'configure');
      if (connection.owner !== 'end_user' || connection.endUserId !== dto.endUserId || !providers.includes(connection.provider)) {
        throw new ValidationFailedError('The connection does not match the session', [
          { path: 'connectionId', message: "must be this end user's connection to one of the providers" },
        ]);
      }
      providers = [connection.provider];
    }
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const session = this.em.create(ConnectSession, {
      tokenHash: hashOf(token),
      accountId: caller.accountId,
      livemode: caller.livemode,
      openedBy: caller.kind === 'api_key' ? `${API_KEY_OPENER}${caller.apiKeyId}` : caller.userId!,
      endUserId: dto.endUserId,
      tags: dto.tags ?? [],
      providers,
      returnUrl: dto.returnUrl,
      connectionId: dto.connectionId ?? null,
      expiresAt: new Date(Date.now() + SESSION_MS),
    });
    await this.em.flush();
    return { id: session.id, token, url: `${this.config.publicUrl}/connect#${token}`, expiresAt: session.expiresAt };
  }

  /**
   * The open session a request's `Authorization: Bearer cs_…` names; 401 when there is none (ended,
   * expired, made up) or the API key that opened it was revoked or has expired since.
   */
  async fromRequest(request: Request): Promise<ConnectSession> {
    const token = bearerToken(request);
    if (!token?.startsWith(TOKEN_PREFIX)) throw new UnauthenticatedError('A connect session token is required', 'missing_credentials');
    const session = await this.em.fork().findOne(ConnectSession, { tokenHash: hashOf(token), completedAt: null, expiresAt: { $gt: new Date() } });
    const openingKey = session?.openedBy.startsWith(API_KEY_OPENER) ? session.openedBy.slice(API_KEY_OPENER.length) : undefined;
    if (!session || (openingKey && !(await this.apiKeys.isActive(openingKey))))
      throw new UnauthenticatedError('The connect session has ended or expired', 'session_invalid');
    return session;
  }

  async view(session: ConnectSession): Promise<ConnectSessionViewDto> {
    return {
      endUserId: session.endUserId,
      providers: session.providers.flatMap((id) => {
        const provider = this.integrations.findProvider(id);
        if (!provider) return [];
        const credentialsSchema = 'credentialsSchema' in provider.auth ? provider.auth.credentialsSchema : undefined;
        return [
          {
            id,
            name: provider.name,
            category: provider.category,
            authType: provider.auth.type,
            ...(credentialsSchema ? { credentialsSchema: credentialsSchema } : {}),
            ...(provider.settingsSchema ? { settingsSchema: provider.settingsSchema } : {}),
            ...(provider.connectionInputs ? { connectionInputs: provider.connectionInputs } : {}),
          },
        ];
      }),
      connectionId: session.connectionId ?? null,
      returnUrl: session.returnUrl,
      expiresAt: session.expiresAt,
      branding: await this.branding.of(session.accountId),
    };
  }

  /** Connects a credentials provider for the session's end user (or replaces the credentials of the one it re-authorises). */
  async connectWithCredentials(session: ConnectSession, dto: ConnectWithCredentialsDto): Promise<ConnectCompletedDto> {
    this.assertOffered(session, dto.provider);
    const caller = await this.callerOf(session);
    const connection = session.connectionId
      ? await this.integrations.replaceCredentials(caller, { id: session.connectionId }, dto.credentials ?? {}, dto.settings)
      : await this.integrations.create(caller, {
          provider: dto.provider,
          owner: 'end_user',
          endUserId: session.endUserId,
          tags: session.tags,
          credentials: dto.credentials,
          settings: dto.settings,
          inputs: dto.inputs,
        });
    await this.em.fork().transactional((em) => this.complete(em, session.id, connection));
    return { connectionId: connection.id, redirectUrl: this.returnTo(session, dto.provider, connection.id) };
  }

  /** Starts OAuth for the session's end user; the callback completes the session and returns to its returnUrl. */
  async startOAuth(session: ConnectSession, dto: ConnectOAuthDto): Promise<OAuthStartedDto> {
    this.assertOffered(session, dto.provider);
    const caller = await this.callerOf(session);
    if (session.connectionId) return this.oauth.reconnect(caller, session.connectionId, { returnUrl: session.returnUrl, inputs: dto.inputs }, session.id);
    return this.oauth.startConnection(
      caller,
      { provider: dto.provider, owner: 'end_user', endUserId: session.endUserId, tags: session.tags, returnUrl: session.returnUrl, inputs: dto.inputs },
      session.id,
    );
  }

  /** Ends the session with the connection it made; a session ends once, whichever way finishes first. */
  private async complete(em: EntityManager, sessionId: string, connection: { id: string; provider: string }): Promise<void> {
    const ended = await em.nativeUpdate(ConnectSession, { id: sessionId, completedAt: null }, { completedAt: new Date() });
    if (ended === 0) return;
    const session = await em.findOneOrFail(ConnectSession, { id: sessionId });
    await this.events.publish(em, {
      accountId: session.accountId,
      livemode: session.livemode,
      type: 'connect.session.completed',
      data: { sessionId, connectionId: connection.id, provider: connection.provider, endUserId: session.endUserId, tags: session.tags },
    });
  }

  private assertOffered(session: ConnectSession, provider: string): void {
    if (!session.providers.includes(provider)) {
      throw new ValidationFailedError('This session does not offer that provider', [{ path: 'provider', message: `one of ${session.providers.join(', ')}` }]);
    }
  }

  /**
   * The session acts for whoever opened it, limited to end users' connections: a member with their
   * permissions now (they may have lost them), a key as it was authorised when it opened the session.
   */
  private async callerOf(session: ConnectSession): Promise<AccountCaller> {
    const mode = session.livemode ? 'live' : 'test';
    if (!session.openedBy.startsWith(API_KEY_OPENER)) {
      const member = await this.callers.forAccount({ kind: 'member', userId: session.openedBy, accountId: session.accountId, instanceAdmin: false }, mode);
      return { ...member, permissions: new Set([...member.permissions].filter((permission) => permission === 'connections.manage')) };
    }
    const plan = await this.accounts.planOf(session.accountId);
    if (!plan) throw new UnauthenticatedError('The connect session has ended or expired', 'session_invalid');
    const apiKeyId = session.openedBy.slice(API_KEY_OPENER.length);
    return {
      kind: 'api_key',
      apiKeyId,
      instanceAdmin: false,
      accountId: session.accountId,
      livemode: session.livemode,
      role: null,
      permissions: new Set(['connections.manage']),
      plan,
    };
  }

  private returnTo(session: ConnectSession, provider: string, connectionId: string): string {
    const params = new URLSearchParams({ provider, status: 'connected', connectionId });
    return `${session.returnUrl}${session.returnUrl.includes('?') ? '&' : '?'}${params.toString()}`;
  }
}
