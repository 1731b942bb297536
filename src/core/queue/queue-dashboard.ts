import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bull';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bull';
import type { NextFunction, Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { bearerToken } from '../auth/bearer-token.js';
import { looksLikeJwt, MemberJwtStrategy } from '../auth/member-jwt.strategy.js';
import { AppError, PermissionDeniedError, UnauthenticatedError } from '../errors/app-errors.js';
import { ProblemFilter } from '../errors/problem.filter.js';
import { QUEUES } from './queues.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'plugboard_queues';
/** The dashboard session never outlives the token, and never lasts more than this. */
const SESSION_SECONDS = 15 * 60;

/**
 * Bull Board at /admin/queues, for instance administrators. A browser cannot put a bearer token on a
 * navigation, so besides `Authorization: Bearer`, `GET /admin/queues?token=<instance-admin JWT>` verifies
 * the token, stores it in a short-lived HttpOnly, SameSite=Strict cookie scoped to the dashboard and
 * redirects to the same page without the token in its URL. Every request is verified again, with the
 * member JWT rules, and must carry `instance_admin: true`.
 */
export function mountQueueDashboard(app: NestExpressApplication): void {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(QUEUES).map((name) => new BullAdapter(app.get<Queue>(getQueueToken(name), { strict: false }))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Plugboard queues' } },
  });
  app.use(QUEUE_DASHBOARD_PATH, instanceAdminsOnly(app.get(MemberJwtStrategy)), serverAdapter.getRouter());
}

function instanceAdminsOnly(jwt: MemberJwtStrategy) {
  const problems = new ProblemFilter();
  const refuse = (request: Request, response: Response, error: AppError) => {
    const { problem, headers } = problems.toProblem(error, request.id as string | undefined);
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  };
  return async (request: Request, response: Response, next: NextFunction) => {
    const handoff = typeof request.query.token === 'string' ? request.query.token : undefined;
    const token = handoff ?? bearerToken(request) ?? cookie(request, COOKIE);
    if (!token || !looksLikeJwt(token)) {
      return refuse(request, response, new UnauthenticatedError('The queue dashboard needs an instance-admin token', 'missing_credentials'));
    }
    try {
      const identity = await jwt.verify(token);
      if (!identity.instanceAdmin) throw new PermissionDeniedError('instance_admin', 'The queue dashboard is for instance administrators');
    } catch (error) {
      if (handoff) response.clearCookie(COOKIE, { path: QUEUE_DASHBOARD_PATH });
      return refuse(request, response, error instanceof AppError ? error : new UnauthenticatedError('The token is not valid', 'token_invalid'));
    }
    if (handoff) {
      const expiresIn = (decodeJwt(token).exp ?? 0) - Math.floor(Date.now() / 1000);
      response.cookie(COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.secure,
        path: QUEUE_DASHBOARD_PATH,
        maxAge: Math.max(0, Math.min(SESSION_SECONDS, expiresIn)) * 1000,
      });
      const url = new URL(request.originalUrl, 'http://placeholder');
      url.searchParams.delete('token');
      return response.redirect(303, `${url.pathname}${url.search}`);
    }
    next();
  };
}

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return decodeURIComponent(part.slice(separator + 1).trim());
  }
  return undefined;
}
