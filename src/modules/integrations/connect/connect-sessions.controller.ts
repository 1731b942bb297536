import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtension, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../../../core/auth/public.decorator.js';
import { CONNECT_SESSION_SCHEME } from '../../../core/openapi/openapi.js';
import { type AccountCaller, CurrentCaller } from '../../../core/auth/caller.js';
import { Authorize, problem } from '../../rbac/index.js';
import {
  ConnectCompletedDto,
  ConnectOAuthDto,
  ConnectSessionCreatedDto,
  ConnectSessionViewDto,
  ConnectWithCredentialsDto,
  CreateConnectSessionDto,
} from '../dto/connect-session.dto.js';
import { OAuthStartedDto } from '../dto/integration.dto.js';
import { ConnectSessionsService } from './connect-sessions.service.js';

/** The host platform opens a session for one of its end users. */
@ApiTags('Connect sessions')
@Controller('v1/connect-sessions')
export class ConnectSessionsController {
  constructor(private readonly sessions: ConnectSessionsService) {}

  @Post()
  @Authorize('connections.manage')
  @ApiCreatedResponse({ type: ConnectSessionCreatedDto, description: 'Open for 30 minutes; the token is shown this once' })
  @problem(404, 'No such provider, or no such connection of this end user to re-authorise')
  @ApiOperation({
    operationId: 'createConnectSession',
    summary: 'Open a connect session',
    description:
      'Opens a hosted connect session for one of your end users: the providers offered, where to return, and (with `connectionId`) a connection to re-authorise. The `cs_…` token is shown once.',
  })
  open(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateConnectSessionDto) {
    return this.sessions.open(caller, dto);
  }
}

/** What the browser holding a session token may do (`Authorization: Bearer cs_…`): nothing but this session. */
@ApiTags('Connect sessions')
@Controller('v1/connect')
@Public()
@ApiBearerAuth(CONNECT_SESSION_SCHEME)
@ApiExtension('x-permission', 'public')
export class ConnectController {
  constructor(private readonly sessions: ConnectSessionsService) {}

  @Get('session')
  @ApiOkResponse({ type: ConnectSessionViewDto, description: 'The providers the session offers, with what to ask for' })
  @problem(401, 'No open session with this token (ended, expired or made up)')
  @ApiOperation({
    operationId: 'getConnectSession',
    summary: 'Read the connect session',
    description: 'With the session token: the offered providers and what to ask the end user for.',
  })
  async session(@Req() request: Request) {
    return this.sessions.view(await this.sessions.fromRequest(request));
  }

  @Post('connections')
  @HttpCode(200)
  @ApiOkResponse({ type: ConnectCompletedDto, description: "Connected for the session's end user; the session ends" })
  @problem(401, 'No open session with this token (ended, expired or made up)')
  @ApiOperation({
    operationId: 'connectInSession',
    summary: 'Connect with credentials in a session',
    description: 'With the session token: connects an API-key provider for the session’s end user. The session ends.',
  })
  async connect(@Req() request: Request, @Body() dto: ConnectWithCredentialsDto) {
    return this.sessions.connectWithCredentials(await this.sessions.fromRequest(request), dto);
  }

  @Post('oauth/start')
  @HttpCode(200)
  @ApiOkResponse({ type: OAuthStartedDto, description: 'The provider URL to send the browser to; the callback ends the session and returns to its returnUrl' })
  @problem(401, 'No open session with this token (ended, expired or made up)')
  @ApiOperation({
    operationId: 'startOAuthInSession',
    summary: 'Start OAuth in a session',
    description:
      'With the session token: the provider URL to send the browser to. The callback creates the connection, ends the session and returns to its returnUrl.',
  })
  async startOAuth(@Req() request: Request, @Body() dto: ConnectOAuthDto) {
    return this.sessions.startOAuth(await this.sessions.fromRequest(request), dto);
  }
}
