import { Controller, Get, HttpCode, Param, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../../core/auth/public.decorator.js';
import { UuidParam } from '../../../core/http/uuid-param.pipe.js';
import { InboundService } from './inbound.service.js';
import { OAuthFlowService } from '../oauth/oauth-flow.service.js';

/** Routes providers and calendar apps call: no Plugboard credentials, each verified its own way. */
@ApiTags('Integrations')
@Controller('v1')
export class PublicIntegrationsController {
  constructor(
    private readonly oauth: OAuthFlowService,
    private readonly inbound: InboundService,
  ) {}

  /** The provider redirects the browser here; it is sent on to returnUrl with the outcome. */
  @Get('oauth/callback')
  @Public()
  @Redirect()
  async oauthCallback(@Query() query: Record<string, unknown>) {
    return { url: await this.oauth.callback(query), statusCode: 302 };
  }

  /** A provider's webhook for one integration, verified by the provider's plugin and turned into events. */
  @Post('hooks/:integrationId')
  @HttpCode(200)
  @Public()
  @ApiOkResponse({ description: 'How many events the webhook became' })
  async receiveHook(
    @Param('integrationId', UuidParam) integrationId: string,
    @Req() request: Request & { rawBody?: Buffer },
    @Res({ passthrough: true }) response: Response,
  ) {
    const { received, reply } = await this.inbound.receiveWebhook(integrationId, request);
    if (!reply) return { received };
    // A handshake the plugin answers itself (Slack's challenge): plain text by default, a 2xx, bounded.
    response.status(Math.min(299, Math.max(200, Math.trunc(reply.status ?? 200)))).type(reply.contentType ?? 'text/plain');
    return reply.body.slice(0, 10_000);
  }

  /** A subscription feed (e.g. iCal) at its secret URL. */
  @Get('feeds/:integrationId/:file')
  @Public()
  @ApiExcludeEndpoint()
  async feed(@Param('integrationId', UuidParam) integrationId: string, @Param('file') file: string, @Res() response: Response) {
    const feed = await this.inbound.renderFeed(integrationId, file.replace(/\.ics$/, ''));
    response.status(200).type(feed.contentType).set('Cache-Control', 'private, max-age=300').send(feed.body);
  }
}
