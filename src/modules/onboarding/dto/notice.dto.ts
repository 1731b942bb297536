import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { Omittable, OmittableOrNull } from '../../../core/http/validation.js';
import type { NoticeDelivery } from '../entities/notice-delivery.entity.js';
import { type Notice, NOTICE_RESOLUTIONS, type NoticeResolution, type NoticeStatus } from '../entities/notice.entity.js';
import { NOTICE_CAUSES, type NoticeCause } from '../template/onboarding-template.js';

const PROVIDER_ID = /^[a-z0-9_]{1,100}$/;

export class ListNoticesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['open', 'closed'] })
  @Omittable()
  @IsIn(['open', 'closed'])
  status?: NoticeStatus;

  @ApiPropertyOptional({ example: 'mailchimp' })
  @Omittable()
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id' })
  provider?: string;

  @ApiPropertyOptional({ enum: NOTICE_CAUSES })
  @Omittable()
  @IsIn(NOTICE_CAUSES)
  cause?: NoticeCause;

  @ApiPropertyOptional({ format: 'uuid' })
  @Omittable()
  @IsUUID()
  connectionId?: string;
}

export class NoticeDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) connectionId!: string;
  @ApiProperty({ example: 'mailchimp' }) provider!: string;
  @ApiProperty({
    enum: NOTICE_CAUSES,
    description:
      '`expired`: the credentials expired; `error`: the provider refused them; `token_expiring`: a token nothing can refresh expires soon; `sync_failing`: syncs failed several times in a row',
  })
  cause!: NoticeCause;
  @ApiProperty({ example: 'Re-connect Mailchimp: the refresh token was revoked or has expired', description: 'What is wrong and what to do' })
  message!: string;
  @ApiProperty({ enum: ['open', 'closed'] }) status!: NoticeStatus;
  @ApiProperty({ format: 'date-time' }) openedAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: Date | null;
  @ApiProperty({ type: String, nullable: true, enum: NOTICE_RESOLUTIONS, description: 'What closed it' }) resolution!: NoticeResolution | null;
  @ApiProperty({ type: String, nullable: true, example: 'Mailchimp is connected again' }) resolutionMessage!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Who dismissed it (`member:<userId>` or `api_key:<id>`)' }) closedBy!: string | null;
  @ApiProperty() livemode!: boolean;

  static from(notice: Notice): NoticeDto {
    return {
      id: notice.id,
      connectionId: notice.connectionId,
      provider: notice.provider,
      cause: notice.cause,
      message: notice.message,
      status: notice.status,
      openedAt: notice.createdAt,
      closedAt: notice.closedAt ?? null,
      resolution: notice.resolution ?? null,
      resolutionMessage: notice.resolutionMessage ?? null,
      closedBy: notice.closedBy ?? null,
      livemode: notice.livemode,
    };
  }
}

export class NoticePage extends PageDto {
  @ApiProperty({ type: [NoticeDto] }) data!: NoticeDto[];
}

export class NoticeDeliveryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['opened', 'closed'], description: 'The notice itself, or the message saying it was resolved' }) kind!: 'opened' | 'closed';
  @ApiProperty({ example: 'sendgrid', description: 'The email provider that sends it' }) provider!: string;
  @ApiProperty({ description: 'The member it is emailed to' }) memberId!: string;
  @ApiProperty({ enum: ['pending', 'sent', 'failed', 'cancelled'], description: '`cancelled`: the notice closed before it was sent' }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt!: Date | null;

  static from(delivery: NoticeDelivery): NoticeDeliveryDto {
    return {
      id: delivery.id,
      kind: delivery.kind,
      provider: delivery.provider,
      memberId: delivery.memberId,
      status: delivery.status,
      attempts: delivery.attempts,
      lastError: delivery.lastError ?? null,
      sentAt: delivery.sentAt ?? null,
      nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt : null,
    };
  }
}

export class NoticeDetailDto extends NoticeDto {
  @ApiProperty({ type: [NoticeDeliveryDto], description: 'Each message sent (or being sent) about it' }) deliveries!: NoticeDeliveryDto[];
}

export class NoticeSettingsDto {
  @ApiProperty({ type: String, nullable: true, example: 'sendgrid', description: 'The connected provider that emails members holding integrations.manage' })
  emailProvider!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'alerts@acme.example',
    description: 'The sender address, for providers that take one (Resend needs it)',
  })
  emailFrom!: string | null;
  @ApiProperty({ type: [String], description: 'Providers the installation can email with (the template’s notices.email)' }) emailProviders!: string[];
}

export class UpdateNoticeSettingsDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'sendgrid' })
  @OmittableOrNull()
  @Matches(PROVIDER_ID, { message: 'emailProvider must be a provider id' })
  emailProvider?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'email' })
  @OmittableOrNull()
  @IsEmail()
  @MaxLength(254)
  emailFrom?: string | null;
}

export class NoticePreferencesDto {
  @ApiProperty({ description: 'Whether notices reach this member by email at all' }) email!: boolean;
  @ApiProperty({ type: [String], enum: NOTICE_CAUSES, description: 'Causes this member is not emailed about' }) mutedCauses!: NoticeCause[];
  @ApiProperty({ type: [String], description: 'Providers this member is not emailed about' }) mutedProviders!: string[];
}

export class UpdateNoticePreferencesDto {
  @ApiPropertyOptional()
  @Omittable()
  @IsBoolean()
  email?: boolean;

  @ApiPropertyOptional({ type: [String], enum: NOTICE_CAUSES })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(NOTICE_CAUSES.length)
  @IsIn(NOTICE_CAUSES, { each: true })
  mutedCauses?: NoticeCause[];

  @ApiPropertyOptional({ type: [String], example: ['klaviyo'] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(PROVIDER_ID, { each: true, message: 'each provider must be a provider id' })
  mutedProviders?: string[];
}
