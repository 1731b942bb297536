import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { AccountCaller } from '../../core/auth/caller.js';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { KeyRotationService } from '../../core/crypto/key-rotation.service.js';
import { CredentialKeyring } from '../../core/crypto/keyring.js';
import { NotFoundError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { EntityRows, newestFirstPage, where } from '../../core/database/entity-rows.js';
import { Page, PageQuery, toPage } from '../../core/http/pagination.js';
import { ForbiddenDestinationError, SafeHttpClient } from '../../core/http/safe-http.js';
import { AuditService } from '../audit/index.js';
import { EventTypeCatalog } from '../events/index.js';
import { type Plan, PlansService } from '../plans/index.js';
import { AccessService } from '../rbac/index.js';
import {
  CreatedWebhookEndpointDto,
  CreateWebhookDto,
  RotateSecretDto,
  UpdateWebhookDto,
  WebhookEndpointDto,
  WebhookSecretDto,
} from './dto/webhook-endpoint.dto.js';
import { WebhookDelivery } from './entities/webhook-delivery.entity.js';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity.js';
import { generateSecret } from './webhook-signature.js';

const SUBJECT = 'WebhookEndpoint';

/** Webhook endpoints of the caller's account and mode: CRUD, secrets, and what plan changes do to them. */
@Injectable()
export class WebhooksService implements OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly access: AccessService,
    private readonly plans: PlansService,
    private readonly audit: AuditService,
    private readonly keyring: CredentialKeyring,
    private readonly keyRotation: KeyRotationService,
    private readonly http: SafeHttpClient,
    private readonly catalog: EventTypeCatalog,
    private readonly rows: EntityRows,
  ) {}

  onModuleInit(): void {
    this.plans.registerPlanChangeHandler((em, accountId, plan) => this.applyPlan(em, accountId, plan));
    for (const column of ['secret', 'previous_secret']) this.keyRotation.register({ table: 'webhook_endpoints', column, context });
  }

  async create(caller: AccountCaller, dto: CreateWebhookDto): Promise<CreatedWebhookEndpointDto> {
    await this.access.ensure(caller, 'create', SUBJECT);
    await this.assertUrlAllowed(dto.url);
    this.assertKnownEvents(dto.events);
    const secret = dto.secret ?? generateSecret();
    const enabled = dto.enabled ?? true;
    const endpoint = this.em.create(WebhookEndpoint, {
      accountId: caller.accountId,
      livemode: caller.livemode,
      url: dto.url,
      events: dto.events,
      tags: dto.tags ?? [],
      description: dto.description ?? null,
      enabled,
      disabledReason: enabled ? null : 'manual',
      secret: '',
    });
    endpoint.secret = this.seal(endpoint.id, secret);
    this.audit.record(this.em, caller, {
      action: 'webhook_endpoint.created',
      targetType: 'webhook_endpoint',
      targetId: endpoint.id,
      details: { url: dto.url, events: dto.events, tags: dto.tags ?? [], enabled },
    });
    await this.em.flush();
    return { ...WebhookEndpointDto.from(endpoint), secret };
  }

  async list(caller: AccountCaller, query: PageQuery): Promise<Page<WebhookEndpointDto>> {
    const rows = await this.rows.select(
      WebhookEndpoint,
      where([['account_id = ? and livemode = ?', caller.accountId, caller.livemode]], newestFirstPage(query)),
    );
    return toPage(rows, query.limit, WebhookEndpointDto.from);
  }

  async get(caller: AccountCaller, id: string): Promise<WebhookEndpointDto> {
    return WebhookEndpointDto.from(await this.find(caller, id));
  }

  async update(caller: AccountCaller, id: string, dto: UpdateWebhookDto): Promise<WebhookEndpointDto> {
    const endpoint = await this.find(caller, id);
    const enabling = dto.enabled === true && !endpoint.enabled;
    await this.access.ensure(caller, enabling ? 'enable' : 'update', SUBJECT);
    if (dto.url !== undefined && dto.url !== endpoint.url) {
      await this.assertUrlAllowed(dto.url);
      endpoint.url = dto.url;
      endpoint.failingSince = null;
    }
    if (dto.events !== undefined) {
      this.assertKnownEvents(dto.events);
      endpoint.events = dto.events;
    }
    if (dto.tags !== undefined) endpoint.tags = dto.tags;
    if (dto.description !== undefined) endpoint.description = dto.description;
    if (enabling) {
      endpoint.enabled = true;
      endpoint.disabledReason = null;
      endpoint.failingSince = null;
    } else if (dto.enabled === false && endpoint.enabled) {
      endpoint.enabled = false;
      endpoint.disabledReason = 'manual';
    }
    this.audit.record(this.em, caller, {
      action: 'webhook_endpoint.updated',
      targetType: 'webhook_endpoint',
      targetId: endpoint.id,
      details: { changes: Object.keys(dto) },
    });
    await this.em.flush();
    return WebhookEndpointDto.from(endpoint);
  }

  /** Deletes the endpoint with its delivery log; pending deliveries to it are dropped. */
  async remove(caller: AccountCaller, id: string): Promise<void> {
    const endpoint = await this.find(caller, id);
    await this.access.ensure(caller, 'delete', SUBJECT);
    await this.em.transactional(async (em) => {
      await em.execute(`delete from webhook_attempts where delivery_id in (select id from webhook_deliveries where endpoint_id = ?)`, [endpoint.id], 'run');
      await em.nativeDelete(WebhookDelivery, { endpointId: endpoint.id });
      await em.nativeDelete(WebhookEndpoint, { id: endpoint.id });
      this.audit.record(em, caller, {
        action: 'webhook_endpoint.deleted',
        targetType: 'webhook_endpoint',
        targetId: endpoint.id,
        details: { url: endpoint.url },
      });
    });
  }

  async secret(caller: AccountCaller, id: string): Promise<WebhookSecretDto> {
    const endpoint = await this.find(caller, id);
    return this.secretDto(endpoint, this.keyring.decrypt(endpoint.secret, context(endpoint.id)));
  }

  /** A new secret signs from now on; the old one keeps signing beside it for WEBHOOK_SECRET_OVERLAP (24 h). */
  async rotateSecret(caller: AccountCaller, id: string, dto: RotateSecretDto): Promise<WebhookSecretDto> {
    const endpoint = await this.find(caller, id);
    await this.access.ensure(caller, 'update', SUBJECT);
    const secret = dto.secret ?? generateSecret();
    endpoint.previousSecret = endpoint.secret;
    endpoint.previousSecretExpiresAt = new Date(Date.now() + this.config.webhooks.secretOverlapMs);
    endpoint.secret = this.seal(endpoint.id, secret);
    this.audit.record(this.em, caller, { action: 'webhook_endpoint.secret_rotated', targetType: 'webhook_endpoint', targetId: endpoint.id });
    await this.em.flush();
    return this.secretDto(endpoint, secret);
  }

  /** The endpoint if it belongs to the caller's account and mode; 404 otherwise. */
  async find(caller: AccountCaller, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.em.findOne(WebhookEndpoint, { id, accountId: caller.accountId, livemode: caller.livemode });
    if (!endpoint) throw new NotFoundError('Webhook endpoint');
    return endpoint;
  }

  /** A downgrade to a plan without webhooks disables the account's enabled endpoints; an upgrade restores exactly those. */
  private async applyPlan(em: EntityManager, accountId: string, plan: Plan): Promise<void> {
    if (!plan.webhooks) {
      await em.nativeUpdate(WebhookEndpoint, { accountId, enabled: true }, { enabled: false, disabledReason: 'plan', updatedAt: new Date() });
    } else {
      await em.nativeUpdate(
        WebhookEndpoint,
        { accountId, disabledReason: 'plan' },
        { enabled: true, disabledReason: null, failingSince: null, updatedAt: new Date() },
      );
    }
  }

  private secretDto(endpoint: WebhookEndpoint, secret: string): WebhookSecretDto {
    const overlapping = endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > new Date();
    return { secret, ...(overlapping ? { previousSecretExpiresAt: endpoint.previousSecretExpiresAt! } : {}) };
  }

  private seal(endpointId: string, secret: string): string {
    return this.keyring.encrypt(secret, context(endpointId));
  }

  private async assertUrlAllowed(raw: string): Promise<void> {
    const refuse = (message: string): never => {
      throw new ValidationFailedError('The webhook URL is not allowed', [{ path: 'url', message }]);
    };
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return refuse('must be an absolute URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.config.allowInsecureWebhooks)) {
      refuse(this.config.allowInsecureWebhooks ? 'must be an http or https URL' : 'must use https');
    }
    try {
      await this.http.assertAllowed(url);
    } catch (error) {
      if (error instanceof ForbiddenDestinationError) refuse(error.message);
      throw error;
    }
  }

  private assertKnownEvents(filters: string[]): void {
    const unknown = filters.filter((filter) => !filter.endsWith('*') && !this.catalog.has(filter));
    if (unknown.length > 0) {
      throw new ValidationFailedError(
        'Unknown event types',
        unknown.map((type) => ({ path: 'events', message: `"${type}" is not in GET /v1/event-types` })),
      );
    }
  }
}

function context(endpointId: string): string {
  return `webhook-endpoint:${endpointId}`;
}
