import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { Public } from '../../core/auth/public.decorator.js';
import { requestCookie } from '../../core/http/cookies.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { Authorize, problem } from '../rbac/index.js';
import { AuthorizeSsoQuery, ExchangeSsoCodeDto, SsoIdentityDto } from './dto/sso.dto.js';
import { type SsoRedirect, SsoService } from './sso.service.js';

const redirected = (description: string) => ApiResponse({ status: 302, description, headers: { Location: { schema: { type: 'string' } } } });

/** The sign-in broker: two browser routes (public) and the server-side code exchange. */
@ApiTags('Single sign-on')
@Controller('v1/sso')
export class SsoController {
  constructor(
    private readonly sso: SsoService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The provider sends the browser here; it goes on to returnUrl with `code` (or `error`). */
  @Get('callback')
  @Public()
  @Redirect()
  @ApiOperation({
    operationId: 'completeSsoSignIn',
    summary: 'Single sign-on callback',
    description:
      'Where Google or Microsoft send the browser after sign-in. Checks the state (and that the browser is the one that started), exchanges the code, verifies the ID token and the email’s domain, and redirects (302) to returnUrl with a one-minute single-use `code`. Register `{PUBLIC_URL}/v1/sso/callback` as the redirect URI.',
  })
  @redirected('To returnUrl with `status=signed_in&code=…` (single use, one minute), or `status=error&error=…`; plus `provider` and the host’s `state`')
  @problem(400, 'The state is unknown, altered, expired, already used or from another browser (`invalid_state`), or a parameter is repeated')
  async callback(@Query() query: Record<string, unknown>, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    return this.redirect(response, await this.sso.callback(query, (name) => requestCookie(request, name)));
  }

  /** Starts a sign-in: redirects the browser to Google or Microsoft with this account's client. */
  @Get(':provider/authorize')
  @Public()
  @Redirect()
  @ApiOperation({
    operationId: 'startSsoSignIn',
    summary: 'Start a single sign-on',
    description:
      'The host platform sends the browser here: Plugboard redirects (302) to the provider with the account’s own client, a single-use state, a nonce and PKCE S256. `returnUrl` must be relative or have an origin in ALLOWED_RETURN_ORIGINS.',
  })
  @redirected("To the provider's authorization endpoint (state, nonce, PKCE S256)")
  @problem(404, 'No such SSO provider, or the account has no connected integration of it in this mode')
  @problem(409, 'The integration’s credentials are incomplete')
  @problem(502, 'The provider’s OpenID configuration cannot be read or is not the provider’s')
  @problem(504, 'The provider did not answer in time')
  async authorize(@Param('provider') provider: string, @Query() query: AuthorizeSsoQuery, @Res({ passthrough: true }) response: Response) {
    return this.redirect(response, await this.sso.authorize(provider, query));
  }

  /** The host platform's server redeems the code for the identity. */
  @Post('token')
  @HttpCode(200)
  @Authorize('sso.exchange')
  @ApiOperation({
    operationId: 'exchangeSsoCode',
    summary: 'Redeem a sign-in code',
    description:
      'The host platform’s server redeems the code the callback handed to returnUrl for the verified identity (provider, subject, email, name, domain), adding the member first when the integration provisions members.',
  })
  @ApiOkResponse({ type: SsoIdentityDto, description: 'The verified identity (and the member, when the integration provisions members)' })
  @problem(400, 'The code is unknown, expired, already used (`reason: code_used`) or another account’s or mode’s')
  @problem(402, 'The plan does not include authentication integrations')
  exchange(@CurrentCaller() caller: AccountCaller, @Body() dto: ExchangeSsoCodeDto) {
    return this.sso.exchange(caller, dto);
  }

  private redirect(response: Response, redirect: SsoRedirect) {
    const { cookie: set } = redirect;
    const options = { httpOnly: true, sameSite: 'lax' as const, secure: this.config.env !== 'development', path: set?.path };
    if (set && set.maxAgeMs > 0) response.cookie(set.name, set.value, { ...options, maxAge: set.maxAgeMs });
    else if (set) response.clearCookie(set.name, options);
    return { url: redirect.url, statusCode: 302 };
  }
}
