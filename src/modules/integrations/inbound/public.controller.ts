import { Controller, Get, HttpCode, Param, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../../core/auth/public.decorator.js';
import { UuidParam } from '../../../core/http/uuid-param.pipe.js';
import { InboundService } from './inbound.service.js';
import { problem } from '../../rbac/index.js';
import { OAuthFlowService } from '../oauth/oauth-flow.service.js';
import { ReceivedHookDto } from '../dto/integration.dto.js';

/** Routes providers and calendar apps call: no Plugboard credentials, each verified its own way. */
@ApiTags('Provider callbacks')
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
  @ApiQuery({
    name: 'state',
    required: false,
    description: 'The state Plugboard put in the authorization URL (single-use, 10 minutes)',
    schema: { type: 'string' },
  })
  @ApiQuery({ name: 'code', required: false, description: 'The authorization code, on consent', schema: { type: 'string' } })
  @ApiQuery({ name: 'error', required: false, description: "The provider's OAuth error (access_denied, …), on refusal", schema: { type: 'string' } })
  @ApiResponse({
    status: 302,
    description:
      'Back to the returnUrl with `provider`, `status=connected|error` and, when connected, `connectionId`, on error `error` (access_denied, state_used, state_expired, invalid_request, invalid_grant, provider_timeout, …)',
    headers: {
      Location: {
        description: 'returnUrl?provider=…&status=…',
        schema: {
          type: 'string',
          example: '/settings/integrations?provider=google_calendar&status=connected&connectionId=3fa85f64-5717-4562-b3fc-2c963f66afa6',
        },
      },
    },
  })
  @problem(400, 'invalid_state: the state was not issued here or was altered (no returnUrl to trust); invalid_request: a repeated state, code or error')
  @ApiOperation({
    operationId: 'completeOAuth',
    summary: 'OAuth callback',
    description:
      'Where providers send the browser after consent. Exchanges the code, verifies and stores the tokens, and redirects (302) to the flow’s returnUrl with `provider`, `status=connected|error` and `connectionId` or `error`. Register `{PUBLIC_URL}/v1/oauth/callback` as the redirect URI.',
  })
  async oauthCallback(@Query() query: Record<string, unknown>) {
    return { url: await this.oauth.callback(query), statusCode: 302 };
  }

  /** A provider's webhook for one integration, verified by the provider's plugin and turned into events. */
  @Post('hooks/:integrationId')
  @HttpCode(200)
  @Public()
  @ApiParam({ name: 'integrationId', format: 'uuid', description: "The integration (connection) id from the provider's webhook URL" })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({ description: "The provider's payload, verified on its exact bytes", schema: { type: 'object', additionalProperties: true } })
  @ApiOkResponse({ type: ReceivedHookDto, description: 'Verified; how many events the webhook became' })
  @problem(401, 'unauthenticated: the signature does not verify')
  @problem(404, 'not_found: no connected integration with a webhook receiver under this id')
  @problem(502, 'provider_error: the plugin mapped the webhook to events that are not valid')
  @ApiOperation({
    operationId: 'receiveProviderWebhook',
    summary: "Receive a provider's webhook",
    description:
      'A provider’s webhook for one integration: the plugin verifies the raw request (its signature) and maps it to events, published like any other.',
  })
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
  @ApiParam({ name: 'integrationId', format: 'uuid', description: 'The integration (connection) id' })
  @ApiParam({
    name: 'file',
    description: 'The secret feed token with its extension: `{feedToken}.ics`',
    example: 'q3Vf0mYk8J2sWn1xR7tLcA9pZbE4hG6uKdO5iT3yXwM.ics',
  })
  @ApiProduces('text/calendar')
  @ApiOkResponse({
    description: 'The feed (iCalendar for the iCal feed), cacheable privately for 5 minutes',
    content: {
      'text/calendar': { schema: { type: 'string' }, example: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Plugboard//iCal Feed//EN\r\nEND:VCALENDAR\r\n' },
    },
  })
  @problem(404, 'not_found: no connected feed under this id and token')
  @ApiOperation({
    operationId: 'getFeed',
    summary: 'Read a subscription feed',
    description:
      'A subscription feed (the iCal feed) at its secret URL, `metadata.feedUrl` of the integration: rendered from the account’s events by the plugin. The token is compared in constant time.',
  })
  async feed(@Param('integrationId', UuidParam) integrationId: string, @Param('file') file: string, @Res() response: Response) {
    const feed = await this.inbound.renderFeed(integrationId, file.replace(/\.ics$/, ''));
    response.status(200).type(feed.contentType).set('Cache-Control', 'private, max-age=300').send(feed.body);
  }
}
