import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  create(@CurrentCaller() caller: AccountCaller, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(caller, dto);
  }

  @Get()
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: WebhookEndpointPage })
  list(@CurrentCaller() caller: AccountCaller, @Query() query: PageQuery) {
    return this.webhooks.list(caller, query);
  }

  @Get(':id')
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: WebhookEndpointDto })
  get(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.webhooks.get(caller, id);
  }

  @Patch(':id')
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: WebhookEndpointDto })
  update(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(caller, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authorize('webhooks.manage')
  @ApiNoContentResponse({ description: 'Deleted with its delivery log' })
  remove(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.webhooks.remove(caller, id);
  }

  /** The signing secret is a credential: reading it needs webhooks.manage. */
  @Get(':id/secret')
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: WebhookSecretDto })
  secret(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string) {
    return this.webhooks.secret(caller, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: WebhookSecretDto, description: 'The new secret; the previous one keeps signing for 24 h' })
  rotateSecret(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: RotateSecretDto) {
    return this.webhooks.rotateSecret(caller, id, dto);
  }

  @Post(':id/test')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: TestSendDto, description: 'The attempt, sent before answering' })
  test(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: TestWebhookDto) {
    return this.deliveries.test(caller, id, dto);
  }

  @Get(':id/deliveries')
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: DeliveryPage })
  listDeliveries(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Query() query: ListDeliveriesQuery) {
    return this.deliveries.list(caller, id, query);
  }

  @Get(':id/deliveries/:deliveryId')
  @Authorize('webhooks.view')
  @ApiOkResponse({ type: DeliveryDetailDto })
  getDelivery(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Param('deliveryId', UuidParam) deliveryId: string) {
    return this.deliveries.get(caller, id, deliveryId);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: DeliveryDto, description: 'Queued again now with a fresh retry schedule' })
  retry(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Param('deliveryId', UuidParam) deliveryId: string) {
    return this.deliveries.retry(caller, id, deliveryId);
  }

  @Post(':id/recover')
  @HttpCode(200)
  @Authorize('webhooks.manage')
  @ApiOkResponse({ type: RecoveredDto })
  recover(@CurrentCaller() caller: AccountCaller, @Param('id', UuidParam) id: string, @Body() dto: RecoverDto) {
    return this.deliveries.recover(caller, id, dto);
  }
}
