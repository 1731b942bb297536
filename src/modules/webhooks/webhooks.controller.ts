import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AccountCaller, CurrentCaller } from '../../core/auth/caller.js';
import { PageQuery } from '../../core/http/pagination.js';
import { UuidParam } from '../../core/http/uuid-param.pipe.js';
import { Authorize } from '../rbac/index.js';
import {
  DeliveryDetailDto,
  DeliveryDto,
  DeliveryPage,
  ListDeliveriesQuery,
  RecoveredDto,
  RecoverDto,
  TestSendDto,
  TestWebhookDto,
} from './dto/webhook-delivery.dto.js';
import {
  CreatedWebhookEndpointDto,
  CreateWebhookDto,
  RotateSecretDto,
  UpdateWebhookDto,
  WebhookEndpointDto,
  WebhookEndpointPage,
  WebhookSecretDto,
} from './dto/webhook-endpoint.dto.js';
import { WebhookDeliveriesService } from './webhook-deliveries.service.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('Webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @Authorize('webhooks.manage')
  @ApiCreatedResponse({ type: CreatedWebhookEndpointDto, description: 'The only response that carries the secret besides GET …/secret' })
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Create a webhook endpoint',
    description:
      'An HTTPS endpoint receiving the events matching its filters (exact types, prefixes such as `integration.*`, or `*`), optionally only those tagged. The signing secret is in this answer.',
  })
  create(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(caller, dto);
  }

  @Get()
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: WebhookEndpointPage })
  @ApiOperation({ operationId: 'listWebhooks', summary: 'List webhook endpoints', description: 'The endpoints of the caller’s mode, newest first.' })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: PageQuery) {
    return this.webhooks.list(caller, query);
  }

  @Get(':id')
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: WebhookEndpointDto })
  @ApiOperation({ operationId: 'getWebhook', summary: 'Get a webhook endpoint', description: 'One endpoint by id, without its secret.' })
  get(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.webhooks.get(caller, id);
  }

  @Patch(':id')
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: WebhookEndpointDto })
  @ApiOperation({
    operationId: 'updateWebhook',
    summary: 'Change a webhook endpoint',
    description: 'Changes the URL, filters, tags or description; `enabled: false` disables it, `true` re-enables it whatever disabled it.',
  })
  update(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(caller, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authorize('webhooks.manage')
  @ApiNoContentResponse({ description: 'Deleted with its delivery log' })
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Delete a webhook endpoint', description: 'Deletes the endpoint and its delivery log.' })
  remove(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.webhooks.remove(caller, id);
  }

  /** The signing secret is a credential: reading it needs webhooks.manage. */
  @Get(':id/secret')
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiOperation({
    operationId: 'getWebhookSecret',
    summary: "Read a webhook endpoint's signing secret",
    description: 'The `whsec_…` secret deliveries are signed with, and until when the previous one also signs.',
  })
  secret(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.webhooks.secret(caller, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: WebhookSecretDto, description: 'The new secret; the previous one keeps signing for 24 h' })
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the signing secret',
    description: 'Makes a new secret (or takes yours). For WEBHOOK_SECRET_OVERLAP (24 h) the old one signs too, and the signature header carries both.',
  })
  rotateSecret(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: RotateSecretDto) {
    return this.webhooks.rotateSecret(caller, id, dto);
  }

  @Post(':id/test')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: TestSendDto, description: 'The attempt, sent before answering' })
  @ApiOperation({
    operationId: 'testWebhook',
    summary: 'Send a test delivery',
    description: 'Sends the type’s catalog example now, even to a disabled endpoint, without retries or effect on its health, and answers with the attempt.',
  })
  test(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: TestWebhookDto) {
    return this.deliveries.test(caller, id, dto);
  }

  @Get(':id/deliveries')
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: DeliveryPage })
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'List deliveries',
    description: 'The endpoint’s deliveries, newest first, filtered by status and time.',
  })
  listDeliveries(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Query() query: ListDeliveriesQuery) {
    return this.deliveries.list(caller, id, query);
  }

  @Get(':id/deliveries/:deliveryId')
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: DeliveryDetailDto })
  @ApiOperation({
    operationId: 'getWebhookDelivery',
    summary: 'Get a delivery with its attempts',
    description: 'One delivery with every attempt: request headers sent, response status, the first 4 KB of the response body, duration and error.',
  })
  getDelivery(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Param('deliveryId', UuidParam) deliveryId: string) {
    return this.deliveries.get(caller, id, deliveryId);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: DeliveryDto, description: 'Queued again now with a fresh retry schedule' })
  @ApiOperation({ operationId: 'retryWebhookDelivery', summary: 'Retry a delivery', description: 'Sends a delivery again now, with a fresh retry schedule.' })
  retry(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Param('deliveryId', UuidParam) deliveryId: string) {
    return this.deliveries.retry(caller, id, deliveryId);
  }

  @Post(':id/recover')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: RecoveredDto })
  @ApiOperation({
    operationId: 'recoverWebhookDeliveries',
    summary: 'Recover failed deliveries',
    description: 'Sends again every failed delivery created since `since` (still in the log).',
  })
  recover(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: RecoverDto) {
    return this.deliveries.recover(caller, id, dto);
  }
}
