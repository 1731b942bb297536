import { createHash, randomBytes } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bull';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bull';
import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { bearerToken } from '../auth/bearer-token.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { looksLikeJwt, MemberJwtStrategy } from '../auth/member-jwt.strategy.js';
import { AppError, PermissionDeniedError, UnauthenticatedError } from '../errors/app-errors.js';
import { ProblemFilter } from '../errors/problem.filter.js';
import { QUEUES } from './queues.js';
import { REDIS } from './redis.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'plugboard_queues';
/** The dashboard session never outlives the token, and never lasts more than this. */
const SESSION_SECONDS = 15 * 60;

/**
 * Bull Board at /admin/queues, for instance administrators. A browser cannot put a bearer token on a
 * navigation, so besides `Authorization: Bearer`, `GET /admin/queues?token=<instance-admin JWT>` verifies
 * the token, opens a server-side session (an opaque random id kept in Redis, so every replica knows it)
 * in a short-lived HttpOnly, SameSite=Strict cookie scoped to the dashboard, and redirects to the same
 * page without the token in its URL. The cookie never holds the token itself.
 */
export function mountQueueDashboard(app: NestExpressApplication): void {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(QUEUES).map((name) => new BullAdapter(app.get<Queue>(getQueueToken(name), { strict: false }))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Plugboard queues' } },
  });
  const config = app.get<AppConfig>(APP_CONFIG);
  const sessions = new DashboardSessions(app.get<Redis>(REDIS), config.redis.queuePrefix);
  app.use(QUEUE_DASHBOARD_PATH, instanceAdminsOnly(app.get(MemberJwtStrategy), sessions, config.env !== 'development'), serverAdapter.getRouter());
}

/** Dashboard sessions by the SHA-256 of their id: a Redis dump reveals no usable cookie. */
class DashboardSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async open(userId: string, seconds: number): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(id), userId, 'EX', seconds);
    return id;
  }

  async isOpen(id: string): Promise<boolean> {
    return (await this.redis.exists(this.key(id))) === 1;
  }

  private key(id: string): string {
    return `${this.prefix}:queue-dashboard:session:${createHash('sha256').update(id).digest('base64url')}`;
  }
}

function instanceAdminsOnly(jwt: MemberJwtStrategy, sessions: DashboardSessions, secureCookie: boolean) {
  const problems = new ProblemFilter();
  const refuse = (request: Request, response: Response, error: AppError) => {
    const { problem, headers } = problems.toProblem(error, request.id as string | undefined);
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
  const verifyAdmin = async (token: string | undefined) => {
    if (!token || !looksLikeJwt(token)) throw new UnauthenticatedError('The queue dashboard needs an instance-admin token', 'missing_credentials');
    const identity = await jwt.verify(token);
    if (!identity.instanceAdmin) throw new PermissionDeniedError('instance_admin', 'The queue dashboard is for instance administrators');
    return identity;
  };
  return async (request: Request, response: Response, next: NextFunction) => {
    const handoff = typeof request.query.token === 'string' ? request.query.token : undefined;
    let session: string | undefined;
    try {
      session = handoff ? undefined : cookie(request, COOKIE);
      if (session && !bearerToken(request)) {
        if (!(await sessions.isOpen(session))) throw new UnauthenticatedError('The dashboard session has ended: open it again with a token', 'session_expired');
        return next();
      }
      const identity = await verifyAdmin(handoff ?? bearerToken(request));
      if (!handoff) return next();
      const expiresIn = (decodeJwt(handoff).exp ?? 0) - Math.floor(Date.now() / 1000);
      const seconds = Math.max(1, Math.min(SESSION_SECONDS, expiresIn));
      response.cookie(COOKIE, await sessions.open(identity.userId, seconds), {
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookie,
        path: QUEUE_DASHBOARD_PATH,
        maxAge: seconds * 1000,
      });
      const url = new URL(request.originalUrl, 'http://placeholder');
      url.searchParams.delete('token');
      return response.redirect(303, `${url.pathname}${url.search}`);
    } catch (error) {
      if (handoff || session) response.clearCookie(COOKIE, { path: QUEUE_DASHBOARD_PATH });
      return refuse(request, response, error instanceof AppError ? error : new UnauthenticatedError('The token is not valid', 'token_invalid'));
    }
  };
}

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
