import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsString, MaxLength } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';
import type { WebhookAttempt } from '../entities/webhook-attempt.entity.js';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity.js';

export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['pending', 'succeeded', 'failed'] })
  @Omittable()
  @IsIn(['pending', 'succeeded', 'failed'])
  status?: 'pending' | 'succeeded' | 'failed';

  @ApiPropertyOptional({ format: 'date-time', description: 'Deliveries created at or after' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Deliveries created before' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  until?: Date;
}

export class RecoverDto {
  @ApiProperty({ format: 'date-time', description: 'Re-send every failed delivery created at or after this time' })
  @Type(() => Date)
  @IsDate()
  since!: Date;
}

export class TestWebhookDto {
  @ApiPropertyOptional({
    example: 'session.started',
    description: 'The event type to send, with its catalog example; default: the first the endpoint subscribes to',
  })
  @Omittable()
  @IsString()
  @MaxLength(200)
  event?: string;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'Also the webhook-id header' }) eventId!: string;
  @ApiProperty({ example: 'session.started' }) event!: string;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ description: 'Attempts made so far' }) attempts!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAttemptAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt!: Date | null;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last attempt; null when it got no answer' })
  responseStatus!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;

  static from(delivery: WebhookDelivery): DeliveryDto {
    return {
      id: delivery.id,
      eventId: delivery.eventId,
      event: delivery.eventType,
      status: delivery.status,
      attempts: delivery.attempts,
      lastAttemptAt: delivery.lastAttemptAt ?? null,
      nextAttemptAt: delivery.status === 'pending' ? (delivery.nextAttemptAt ?? null) : null,
      responseStatus: delivery.responseStatus ?? null,
      createdAt: delivery.createdAt,
    };
  }
}

export class AttemptDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'The request headers sent' })
  requestHeaders!: Record<string, string>;
  @ApiProperty({ type: Number, nullable: true }) responseStatus!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'The first 4 KB of the response body' }) responseBody!: string | null;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Why there was no HTTP answer (timeout, refused, forbidden address)' })
  error!: string | null;

  static from(attempt: WebhookAttempt): AttemptDto {
    return {
      id: attempt.id,
      createdAt: attempt.createdAt,
      requestHeaders: attempt.requestHeaders,
      responseStatus: attempt.responseStatus ?? null,
      responseBody: attempt.responseBody ?? null,
      durationMs: attempt.durationMs,
      error: attempt.error ?? null,
    };
  }
}

export class DeliveryDetailDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty() event!: string;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ description: 'Attempts made so far' }) attemptCount!: number;
  @ApiProperty({ type: [AttemptDto], description: 'Every attempt, oldest first' }) attempts!: AttemptDto[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAttemptAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt!: Date | null;
  @ApiProperty({ type: Number, nullable: true }) responseStatus!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;

  static from(delivery: WebhookDelivery, attempts: WebhookAttempt[]): DeliveryDetailDto {
    const { attempts: attemptCount, ...summary } = DeliveryDto.from(delivery);
    return { ...summary, attemptCount, attempts: attempts.map(AttemptDto.from) };
  }
}

export class TestSendDto extends AttemptDto {
  @ApiProperty({ format: 'uuid' }) deliveryId!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ description: 'true when the endpoint answered 2xx' }) succeeded!: boolean;
}

export class RecoveredDto {
  @ApiProperty({ description: 'How many failed deliveries were queued again' }) recovered!: number;
}

export class DeliveryPage extends PageDto {
  @ApiProperty({ type: [DeliveryDto] }) data!: DeliveryDto[];
}
