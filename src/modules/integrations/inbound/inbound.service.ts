import { timingSafeEqual } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { AppError, NotFoundError, ProviderError, UnauthenticatedError } from '../../../core/errors/app-errors.js';
import { jsonLimits } from '../../../core/json/json-limits.js';
import { exceedsShape } from '../../../core/json/json-shape.js';
import type { InboundRequest, WebhookOutcome, WebhookReply } from '../../../sdk/index.js';
import { EventsService } from '../../events/index.js';
import { CredentialVault } from '../connections/credential-vault.js';
import { Integration } from '../entities/integration.entity.js';
import { IntegrationHistory } from '../connections/integration-history.js';
import { IntegrationsService } from '../connections/integrations.service.js';
import { ProviderCalls } from '../calls/provider-calls.js';

const FEED_EVENT_TYPES = [
  'session.scheduled',
  'session.updated',
  'session.cancelled',
  'session.started',
  'session.ended',
  'room.created',
  'registration.received',
];
const FEED_EVENT_LIMIT = 1000;
/** What a plugin may name an audit entry of a webhook (`integration.webhook.<name>`), and its details' size. */
const AUDIT_NAME = /^[a-z0-9_.]{1,64}$/;
const AUDIT_DETAILS_MAX_BYTES = 4096;

export interface RenderedFeed {
  contentType: string;
  body: string;
}

/** What reaches Plugboard from outside without credentials: provider webhooks and subscription feeds. */
@Injectable()
export class InboundService {
  private readonly logger = new Logger(InboundService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly integrations: IntegrationsService,
    private readonly calls: ProviderCalls,
    private readonly events: EventsService,
    private readonly vault: CredentialVault,
    private readonly history: IntegrationHistory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Verifies a provider's webhook with its plugin and publishes the events it maps it to; `reply` is
   * what the plugin answers a handshake with (Slack's `url_verification` challenge) instead.
   */
  async receiveWebhook(integrationId: string, request: Request & { rawBody?: Buffer }): Promise<{ received: number; reply?: WebhookReply }> {
    const integration = await this.em.findOne(Integration, { id: integrationId, status: { $in: ['connected', 'error'] } });
    const provider = integration && this.integrations.findProvider(integration.provider);
    if (!integration || !provider?.webhook) throw new NotFoundError('Webhook receiver');
    const inbound: InboundRequest = {
      method: request.method,
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value ?? '')]),
      ),
      query: Object.fromEntries(Object.entries(request.query).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)])),
      rawBody: request.rawBody?.toString('utf8') ?? '',
      url: `${this.config.publicUrl.replace(/\/+$/, '')}${request.originalUrl}`,
      body: request.body,
    };
    const verified = await this.calls.invoke<boolean>(integration, { kind: 'webhookVerify', input: inbound });
    if (verified !== true) throw new UnauthenticatedError('The webhook signature does not verify', 'signature_invalid');
    if (provider.webhookReply) {
      const reply = await this.calls.invoke<WebhookReply | null>(integration, { kind: 'webhookReply', input: inbound });
      if (reply && typeof reply.body === 'string') return { received: 0, reply };
    }
    const outcomes = (await this.calls.invoke<WebhookOutcome[]>(integration, { kind: 'webhookToEvents', input: inbound })) ?? [];
    const mapped = outcomes.filter((outcome) => 'event' in outcome);
    const audited = outcomes.filter((outcome) => 'audit' in outcome);
    for (const { audit, details } of audited) {
      if (!AUDIT_NAME.test(audit) || Buffer.byteLength(JSON.stringify(details ?? {})) > AUDIT_DETAILS_MAX_BYTES) {
        this.logger.warn(`${integration.provider} mapped a webhook to an invalid audit entry`);
        throw new ProviderError('The provider webhook could not be turned into valid events');
      }
    }
    try {
      await this.em.fork().transactional(async (em) => {
        for (const { event, data } of mapped) {
          await this.events.publish(
            em,
            { accountId: integration.accountId, livemode: integration.livemode, type: event, data: data as Record<string, unknown> },
            'system',
          );
        }
        for (const { audit, details } of audited) this.history.audit(em, 'system', integration, `integration.webhook.${audit}`, details ?? {});
      });
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 400) throw error;
      this.logger.warn(`${integration.provider} mapped a webhook to an invalid event: ${error.message}`);
      throw new ProviderError('The provider webhook could not be turned into valid events');
    }
    return { received: mapped.length };
  }

  /** Renders a subscription feed (e.g. iCal) from the account's session events, for the secret feed URL. */
  async renderFeed(integrationId: string, token: string): Promise<RenderedFeed> {
    const integration = await this.em.findOne(Integration, { id: integrationId, status: 'connected' });
    const expected = integration && this.vault.openFeedToken(integration);
    if (!integration || !expected || !sameSecret(expected, token)) throw new NotFoundError('Feed');
    const events = await this.events.recent(integration, FEED_EVENT_TYPES, FEED_EVENT_LIMIT);
    // Events stored before the JSON limits existed may pass them: left out, so they cannot break the feed.
    const limits = jsonLimits(this.config.jsonMaxKeys);
    const fitting = events.filter((event) => !exceedsShape(event.data, limits));
    if (fitting.length < events.length) this.logger.warn(`feed ${integration.id}: left out ${events.length - fitting.length} events past the JSON limits`);
    const rendered = await this.calls.invoke<RenderedFeed>(integration, {
      kind: 'action',
      name: 'render',
      input: {
        calendarName: typeof integration.settings.calendarName === 'string' ? integration.settings.calendarName : undefined,
        events: fitting.reverse().map((event) => ({ id: event.id, event: event.type, timestamp: event.createdAt.toISOString(), data: event.data })),
      },
    });
    if (typeof rendered?.body !== 'string') throw new ProviderError('The feed provider returned no feed');
    return { contentType: typeof rendered.contentType === 'string' ? rendered.contentType : 'text/plain; charset=utf-8', body: rendered.body };
  }
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
