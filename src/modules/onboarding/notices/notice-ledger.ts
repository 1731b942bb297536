import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { MembersService } from '../../accounts/index.js';
import { EventsService } from '../../events/index.js';
import { ConnectionDirectory } from '../../integrations/index.js';
import { NoticeDelivery } from '../entities/notice-delivery.entity.js';
import { NoticePreference } from '../entities/notice-preference.entity.js';
import { NoticeSettings } from '../entities/notice-settings.entity.js';
import { Notice, type NoticeResolution } from '../entities/notice.entity.js';
import { OnboardingCatalog } from '../template/onboarding-catalog.js';
import type { NoticeCause } from '../template/onboarding-template.js';
import { resolutionMessage } from './notice-text.js';

/** The connection a notice is about. */
export interface NoticeSubject {
  connectionId: string;
  accountId: string;
  livemode: boolean;
  provider: string;
  category?: string;
}

/** Quiet closes tell nobody: the person dismissed it themselves, or a newer notice says more. */
const QUIET: readonly NoticeResolution[] = ['dismissed', 'superseded'];

/**
 * Opens and closes notices inside the caller's unit of work (which holds the connection's notice
 * lock): each change is published (`integration.attention_needed`, `integration.attention_resolved`;
 * webhooks, and chat plugins that route them, such as Slack's) and the emails it calls for are written
 * as deliveries, sent later by the NoticeDispatcher.
 */
@Injectable()
export class NoticeLedger {
  private readonly logger = new Logger(NoticeLedger.name);

  constructor(
    private readonly catalog: OnboardingCatalog,
    private readonly connections: ConnectionDirectory,
    private readonly members: MembersService,
    private readonly events: EventsService,
  ) {}

  /**
   * Opens a notice unless one is already open for this connection and cause, or this episode of the
   * cause already had one (even if it was dismissed since): no notice is sent twice for one cause.
   */
  async open(em: EntityManager, subject: NoticeSubject, cause: NoticeCause, episode: string, message: string): Promise<Notice | null> {
    const existing = await em.findOne(Notice, { connectionId: subject.connectionId, cause, $or: [{ status: 'open' }, { episode }] }, { fields: ['id'] });
    if (existing) return null;
    const notice = em.create(Notice, {
      accountId: subject.accountId,
      livemode: subject.livemode,
      connectionId: subject.connectionId,
      provider: subject.provider,
      cause,
      episode,
      message,
    });
    await this.events.publish(em, {
      accountId: subject.accountId,
      livemode: subject.livemode,
      type: 'integration.attention_needed',
      data: { ...eventData(notice), ...(subject.category ? { category: subject.category } : {}) },
    });
    await this.planOpened(em, notice);
    return notice;
  }

  /**
   * Closes a notice and says so: messages not sent yet are cancelled, and whoever was told it opened is
   * told it is resolved (unless it was dismissed, or superseded by a newer notice).
   */
  async close(em: EntityManager, notice: Notice, resolution: NoticeResolution, closedBy?: string): Promise<void> {
    if (notice.status !== 'open') return;
    notice.status = 'closed';
    notice.closedAt = new Date();
    notice.resolution = resolution;
    notice.resolutionMessage = resolutionMessage(resolution, this.catalog.name(notice.provider), closedBy);
    notice.closedBy = closedBy ?? null;
    const deliveries = await em.find(NoticeDelivery, { noticeId: notice.id, kind: 'opened' });
    for (const delivery of deliveries) {
      if (delivery.status === 'pending') {
        delivery.status = 'cancelled';
      } else if (delivery.status === 'sent' && !QUIET.includes(resolution)) {
        em.create(NoticeDelivery, {
          noticeId: notice.id,
          accountId: notice.accountId,
          livemode: notice.livemode,
          kind: 'closed',
          provider: delivery.provider,
          recipient: delivery.recipient,
          memberId: delivery.memberId,
        });
      }
    }
    await this.events.publish(em, {
      accountId: notice.accountId,
      livemode: notice.livemode,
      type: 'integration.attention_resolved',
      data: { ...eventData(notice), resolution, resolutionMessage: notice.resolutionMessage },
    });
  }

  /**
   * Who is emailed about a new notice: members holding integrations.manage who have an address and did
   * not mute its cause or provider, through the email provider the account chose, while it is connected.
   * (Chat is the chat provider's own routing of `integration.attention_needed`, e.g. Slack's settings.)
   */
  private async planOpened(em: EntityManager, notice: Notice): Promise<void> {
    const settings = await em.findOne(NoticeSettings, { accountId: notice.accountId, livemode: notice.livemode });
    const provider = settings?.emailProvider;
    if (!provider || !this.catalog.template.notices.email.has(provider)) return;
    const status = (await this.connections.accountStatuses(notice, [provider])).get(provider);
    if (status !== 'connected') {
      this.logger.warn(`notice ${notice.id}: not emailed, the account's email provider ${provider} is ${status ?? 'not connected'}`);
      return;
    }
    const managers = await this.members.holding(notice.accountId, 'integrations.manage');
    const preferences = await em.find(NoticePreference, { accountId: notice.accountId, userId: { $in: managers.map((member) => member.userId) } });
    const preferenceOf = new Map(preferences.map((preference) => [preference.userId, preference]));
    const addresses = new Set<string>();
    for (const member of managers) {
      const preference = preferenceOf.get(member.userId);
      if (!member.email || addresses.has(member.email.toLowerCase())) continue;
      if (preference && (!preference.email || preference.mutedCauses.includes(notice.cause) || preference.mutedProviders.includes(notice.provider))) continue;
      addresses.add(member.email.toLowerCase());
      em.create(NoticeDelivery, {
        noticeId: notice.id,
        accountId: notice.accountId,
        livemode: notice.livemode,
        kind: 'opened',
        provider,
        recipient: member.email,
        memberId: member.userId,
      });
    }
  }
}

function eventData(notice: Notice): Record<string, unknown> {
  return {
    noticeId: notice.id,
    connectionId: notice.connectionId,
    integrationId: notice.connectionId,
    provider: notice.provider,
    cause: notice.cause,
    message: notice.message,
  };
}
