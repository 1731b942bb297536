import { EntityManager, RequestContext } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { AppError } from '../../../core/errors/app-errors.js';
import { MaintenanceScheduler } from '../../../core/queue/maintenance.js';
import { AccountsService } from '../../accounts/index.js';
import { ConnectionDirectory } from '../../integrations/index.js';
import { NoticeDelivery } from '../entities/notice-delivery.entity.js';
import { NoticeSettings } from '../entities/notice-settings.entity.js';
import { Notice } from '../entities/notice.entity.js';
import { OnboardingCatalog } from '../template/onboarding-catalog.js';
import { fillNoticeInput } from '../template/onboarding-template.js';
import { noticeMessage } from './notice-text.js';

const BATCH = 20;

/**
 * Emails notices through the account's own email connection (a provider action, as the template's
 * `notices.email` says). A delivery is claimed under a lease, so a
 * worker that dies mid-send leaves it to be retried; a failed send is retried on the template's
 * `retrySchedule` and logged, then kept as `failed`: nothing is dropped silently.
 */
@Injectable()
export class NoticeDispatcher implements OnModuleInit {
  private readonly logger = new Logger(NoticeDispatcher.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly maintenance: MaintenanceScheduler,
    private readonly catalog: OnboardingCatalog,
    private readonly connections: ConnectionDirectory,
    private readonly accounts: AccountsService,
  ) {}

  onModuleInit(): void {
    this.maintenance.register({ name: 'notices.deliveries', everyMs: 2000, run: () => this.sendDue() });
  }

  /** Sends the deliveries that are due; returns how many it tried. */
  async sendDue(): Promise<number> {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.config.plugins.callTimeoutMs + 30_000);
    const claimed = await this.em.fork().execute<{ id: string }[]>(
      `update notice_deliveries set attempts = attempts + 1, next_attempt_at = ?
        where id in (select id from notice_deliveries where status = 'pending' and next_attempt_at <= ? order by next_attempt_at limit ${BATCH} for update skip locked)
        returning id`,
      [leaseUntil, now],
    );
    // Outside a request: services of other modules that use their request-scoped EntityManager get a context of their own.
    for (const { id } of claimed) await RequestContext.create(this.em, () => this.send(id));
    return claimed.length;
  }

  private async send(id: string): Promise<void> {
    const em = this.em.fork();
    const delivery = await em.findOneOrFail(NoticeDelivery, { id });
    try {
      const notice = await em.findOneOrFail(Notice, { id: delivery.noticeId });
      const sender = this.catalog.template.notices.email.get(delivery.provider);
      if (!sender) throw new AppError('conflict', 409, `${delivery.provider} is no longer an email sender in the onboarding template`);
      const settings = await em.findOne(NoticeSettings, { accountId: delivery.accountId, livemode: delivery.livemode });
      const account = await this.accounts.get(delivery.accountId);
      const { subject, text } = noticeMessage(delivery.kind, notice, account);
      const input = fillNoticeInput(sender.input, {
        to: delivery.recipient,
        subject,
        text,
        ...(settings?.emailFrom ? { from: settings.emailFrom } : {}),
      }) as Record<string, unknown>;
      await this.connections.runAction(delivery, delivery.provider, sender.action, input);
      await em.nativeUpdate(NoticeDelivery, { id, status: 'pending' }, { status: 'sent', sentAt: new Date(), lastError: null });
    } catch (error) {
      await this.recordFailure(em, delivery, error);
    }
  }

  private async recordFailure(em: EntityManager, delivery: NoticeDelivery, error: unknown): Promise<void> {
    const reason = error instanceof AppError ? error.message : 'unexpected failure';
    const schedule = this.catalog.template.notices.retrySchedule;
    const context = { deliveryId: delivery.id, noticeId: delivery.noticeId, provider: delivery.provider, attempt: delivery.attempts };
    if (!(error instanceof AppError)) this.logger.error({ err: error, ...context }, 'sending a notice failed unexpectedly');
    if (delivery.attempts > schedule.length) {
      await em.nativeUpdate(NoticeDelivery, { id: delivery.id, status: 'pending' }, { status: 'failed', lastError: reason });
      this.logger.error(context, `notice message not sent after ${delivery.attempts} attempts: ${reason}`);
      return;
    }
    const delayMs = schedule[delivery.attempts - 1];
    await em.nativeUpdate(NoticeDelivery, { id: delivery.id, status: 'pending' }, { nextAttemptAt: new Date(Date.now() + delayMs), lastError: reason });
    this.logger.warn(context, `notice message not sent (${reason}); retrying in ${Math.round(delayMs / 1000)} s`);
  }
}
