import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtension, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { Public } from '../../core/auth/public.decorator.js';
import { PermissionDeniedError, UnauthenticatedError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { RateLimitGuard } from '../../core/http/rate-limit.guard.js';
import { AuthorizeAccount, problem } from '../rbac/index.js';
import { ConsoleLinkDto, ConsoleSessionDto, StartConsoleSessionDto } from './dto/console-session.dto.js';
import { ConsoleSessionsService, SESSION_COOKIE, SESSION_TTL_MS } from './console-sessions.service.js';

/** Signing in to the web console at /console: links, sessions, sign-out. */
@ApiTags('Console')
@Controller('v1/console')
export class ConsoleSessionsController {
  constructor(
    private readonly sessions: ConsoleSessionsService,
    private readonly rateLimit: RateLimitGuard,
  ) {}

  @Post('links')
  @AuthorizeAccount()
  @ApiCreatedResponse({ type: ConsoleLinkDto })
  @problem(403, 'An API key: only members sign in to the console')
  @ApiOperation({
    operationId: 'createConsoleLink',
    summary: 'Mint a console sign-in link',
    description:
      'For the member calling (with their member JWT, as the host platform does when its user opens "Integrations"): a link that opens the console signed in as them. It works once, within ten minutes; then the console keeps an eight-hour session.',
  })
  link(@CurrentCaller() caller: AccountCaller) {
    if (caller.kind !== 'member') throw new PermissionDeniedError('member', 'Only members sign in to the console: an API key cannot');
    return this.sessions.mintLink({ kind: 'member', userId: caller.userId!, accountId: caller.accountId, instanceAdmin: caller.instanceAdmin });
  }

  @Post('sessions')
  @Public()
  @ApiExtension('x-permission', 'public')
  @ApiCreatedResponse({ type: ConsoleSessionDto, description: 'Signed in: the session cookie is set (HttpOnly, SameSite=Strict)' })
  @problem(400, 'Neither or both of `code` and `ssoCode`')
  @problem(401, 'The link or single sign-on code has expired or was already used (`link_invalid`)')
  @problem(403, 'Single sign-on named someone who is not a member of the account (and the account does not provision members)')
  @ApiOperation({
    operationId: 'startConsoleSession',
    summary: 'Sign in to the console',
    description:
      'Exchanges the one-time code of a sign-in link (or of a single sign-on that returned to `/console/sign-in/sso`) for a session cookie, and answers the CSRF token the console sends with every unsafe request.',
  })
  async start(@Body() dto: StartConsoleSessionDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<ConsoleSessionDto> {
    try {
      if (dto.code !== undefined && dto.ssoCode !== undefined) throw new ValidationFailedError('Send `code` or `ssoCode`, not both');
      const { token, csrfToken, expiresAt } =
        dto.ssoCode !== undefined ? await this.sessions.signInWithSso(dto.ssoCode) : await this.sessions.signIn(dto.code!);
      response.cookie(SESSION_COOKIE, token, this.sessions.cookieOptions(SESSION_TTL_MS));
      return { csrfToken, expiresAt: expiresAt.toISOString() };
    } catch (error) {
      if (error instanceof UnauthenticatedError) this.rateLimit.chargeFailedAuthentication(request);
      throw error;
    }
  }

  @Get('sessions/current')
  @Public()
  @ApiExtension('x-permission', 'public')
  @ApiOkResponse({ type: ConsoleSessionDto })
  @problem(401, 'No console session, or it has ended or expired')
  @ApiOperation({
    operationId: 'getConsoleSession',
    summary: 'Read the console session',
    description: 'With the session cookie: when it ends, and its CSRF token (a reloaded console page reads it here).',
  })
  async current(@Req() request: Request): Promise<ConsoleSessionDto> {
    const session = await this.sessions.fromRequest(request);
    if (!session) throw new UnauthenticatedError('Not signed in to the console', 'missing_credentials');
    return { csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
  }

  @Delete('sessions/current')
  @Public()
  @ApiExtension('x-permission', 'public')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Signed out: the session has ended on the server and the cookie is cleared' })
  @problem(403, 'The X-CSRF-Token header is missing or wrong')
  @ApiOperation({
    operationId: 'endConsoleSession',
    summary: 'Sign out of the console',
    description: 'Ends the session of the cookie (with its X-CSRF-Token).',
  })
  async end(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.sessions.signOut(request);
    response.clearCookie(SESSION_COOKIE, { ...this.sessions.cookieOptions(0), maxAge: undefined });
  }
}
