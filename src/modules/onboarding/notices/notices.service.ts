import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { type AccountCaller, actorOf } from '../../../core/auth/caller.js';
import { NotFoundError, ValidationFailedError } from '../../../core/errors/app-errors.js';
import { afterCursor, NEWEST_FIRST, type Page, toPage } from '../../../core/http/pagination.js';
import { AuditService } from '../../audit/index.js';
import { AccessService } from '../../rbac/index.js';
import {
  ListNoticesQuery,
  NoticeDeliveryDto,
  NoticeDetailDto,
  NoticeDto,
  NoticePreferencesDto,
  NoticeSettingsDto,
  UpdateNoticePreferencesDto,
  UpdateNoticeSettingsDto,
} from '../dto/notice.dto.js';
import { retryAfterConcurrentInsert } from '../concurrent-insert.js';
import { NoticeDelivery } from '../entities/notice-delivery.entity.js';
import { NoticePreference } from '../entities/notice-preference.entity.js';
import { NoticeSettings } from '../entities/notice-settings.entity.js';
import { Notice } from '../entities/notice.entity.js';
import { OnboardingCatalog } from '../template/onboarding-catalog.js';
import { NoticeLedger } from './notice-ledger.js';
import { NoticeWatch } from './notice-watch.js';

/** Notices as the API shows them, where an account sends them, and what each member receives. */
@Injectable()
export class NoticesService {
  constructor(
    private readonly em: EntityManager,
    private readonly catalog: OnboardingCatalog,
    private readonly ledger: NoticeLedger,
    private readonly watch: NoticeWatch,
    private readonly audit: AuditService,
    private readonly access: AccessService,
  ) {}

  async list(caller: AccountCaller, query: ListNoticesQuery): Promise<Page<NoticeDto>> {
    const rows = await this.em.fork().find(
      Notice,
      {
        accountId: caller.accountId,
        livemode: caller.livemode,
        ...(query.status ? { status: query.status } : {}),
        ...(query.provider ? { provider: query.provider } : {}),
        ...(query.cause ? { cause: query.cause } : {}),
        ...(query.connectionId ? { connectionId: query.connectionId } : {}),
        ...afterCursor(query.cursor),
      },
      { orderBy: NEWEST_FIRST, limit: query.limit + 1 },
    );
    return toPage(rows, query.limit, NoticeDto.from);
  }

  async get(caller: AccountCaller, id: string): Promise<NoticeDetailDto> {
    const em = this.em.fork();
    return this.detail(em, await this.find(em, caller, id));
  }

  /** Closes a notice nobody needs to hear more about; its unsent messages are cancelled. Dismissing a closed notice changes nothing. */
  async dismiss(caller: AccountCaller, id: string): Promise<NoticeDetailDto> {
    const { connectionId } = await this.find(this.em.fork(), caller, id);
    return this.watch.withConnection(connectionId, async (em) => {
      const notice = await this.find(em, caller, id);
      if (notice.status === 'open') {
        const { actorType, actorId } = actorOf(caller);
        await this.ledger.close(em, notice, 'dismissed', `${actorType}:${actorId}`);
        this.audit.record(em, caller, {
          action: 'notice.dismissed',
          targetType: 'notice',
          targetId: notice.id,
          details: { provider: notice.provider, cause: notice.cause },
        });
      }
      await em.flush();
      return this.detail(em, notice);
    });
  }

  async settings(caller: AccountCaller): Promise<NoticeSettingsDto> {
    return this.settingsDto(await this.em.fork().findOne(NoticeSettings, { accountId: caller.accountId, livemode: caller.livemode }));
  }

  /** Chooses where notices go in the caller's mode; providers must be senders of the template (400 otherwise). */
  async updateSettings(caller: AccountCaller, dto: UpdateNoticeSettingsDto): Promise<NoticeSettingsDto> {
    const { email } = this.catalog.template.notices;
    if (dto.emailProvider && !email.has(dto.emailProvider)) {
      throw new ValidationFailedError('Unknown notice sender', [
        { path: 'emailProvider', message: `must be one of ${[...email.keys()].join(', ') || 'none: the template has no email senders'}` },
      ]);
    }
    return retryAfterConcurrentInsert(() =>
      this.em.fork().transactional(async (em) => {
        const settings =
          (await em.findOne(NoticeSettings, { accountId: caller.accountId, livemode: caller.livemode })) ??
          em.create(NoticeSettings, { accountId: caller.accountId, livemode: caller.livemode });
        for (const key of ['emailProvider', 'emailFrom'] as const) if (dto[key] !== undefined) settings[key] = dto[key];
        this.audit.record(em, caller, { action: 'notice_settings.changed', targetType: 'notice_settings', details: { ...dto } });
        return this.settingsDto(settings);
      }),
    );
  }

  async preferences(caller: AccountCaller): Promise<NoticePreferencesDto> {
    await this.access.ensure(caller, 'view', 'NoticePreferences', { userId: caller.userId });
    return preferencesDto(await this.em.fork().findOne(NoticePreference, { accountId: caller.accountId, userId: caller.userId! }));
  }

  async updatePreferences(caller: AccountCaller, dto: UpdateNoticePreferencesDto): Promise<NoticePreferencesDto> {
    await this.access.ensure(caller, 'change', 'NoticePreferences', { userId: caller.userId });
    return retryAfterConcurrentInsert(() =>
      this.em.fork().transactional(async (em) => {
        const preference =
          (await em.findOne(NoticePreference, { accountId: caller.accountId, userId: caller.userId! })) ??
          em.create(NoticePreference, { accountId: caller.accountId, userId: caller.userId! });
        if (dto.email !== undefined) preference.email = dto.email;
        if (dto.mutedCauses !== undefined) preference.mutedCauses = [...new Set(dto.mutedCauses)];
        if (dto.mutedProviders !== undefined) preference.mutedProviders = [...new Set(dto.mutedProviders)];
        return preferencesDto(preference);
      }),
    );
  }

  private async find(em: EntityManager, caller: AccountCaller, id: string): Promise<Notice> {
    const notice = await em.findOne(Notice, { id, accountId: caller.accountId, livemode: caller.livemode });
    if (!notice) throw new NotFoundError('Notice');
    return notice;
  }

  private async detail(em: EntityManager, notice: Notice): Promise<NoticeDetailDto> {
    const deliveries = await em.find(NoticeDelivery, { noticeId: notice.id }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return { ...NoticeDto.from(notice), deliveries: deliveries.map(NoticeDeliveryDto.from) };
  }

  private settingsDto(settings: NoticeSettings | null): NoticeSettingsDto {
    return {
      emailProvider: settings?.emailProvider ?? null,
      emailFrom: settings?.emailFrom ?? null,
      emailProviders: [...this.catalog.template.notices.email.keys()],
    };
  }
}

function preferencesDto(preference: NoticePreference | null): NoticePreferencesDto {
  return { email: preference?.email ?? true, mutedCauses: preference?.mutedCauses ?? [], mutedProviders: preference?.mutedProviders ?? [] };
}
