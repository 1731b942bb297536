import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsObject, IsString, Matches, MaxLength } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';
import { type CatalogEntry, EVENT_TYPE_NAME } from '../event-type-catalog.js';
import type { Event } from '../entities/event.entity.js';

export class PublishEventDto {
  @ApiProperty({ example: 'session.started', description: 'An event type from GET /v1/event-types' })
  @IsString()
  @MaxLength(200)
  @Matches(EVENT_TYPE_NAME, { message: 'event must be a dotted event type such as session.started' })
  event!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { sessionId: 'sess_9', title: 'Launch webinar' } })
  @IsObject()
  data!: Record<string, unknown>;
}

export class PublishedEventDto {
  @ApiProperty({ format: 'uuid', description: 'The event id, sent as webhook-id with every delivery' }) id!: string;
}

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'session.started' })
  @Omittable()
  @IsString()
  @MaxLength(200)
  event?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only events published at or after this time' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  since?: Date;
}

export class EventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'session.started' }) event!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty() livemode!: boolean;
  @ApiProperty({ enum: ['api', 'system'], description: 'api: published through POST /v1/events; system: by Plugboard' }) source!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;

  static from(event: Event): EventDto {
    return { id: event.id, event: event.type, data: event.data, livemode: event.livemode, source: event.source, createdAt: event.createdAt };
  }
}

export class EventPage extends PageDto {
  @ApiProperty({ type: [EventDto] }) data!: EventDto[];
}

export class EventTypeDto {
  @ApiProperty({ example: 'session.started' }) event!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema (2020-12) of the event’s data' })
  schema!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'A payload that satisfies the schema' })
  example!: Record<string, unknown>;
  @ApiProperty({ enum: ['builtin', 'operator'], description: 'operator: defined in config/event-types' }) source!: string;
  @ApiProperty({ enum: ['host', 'plugboard'], description: 'plugboard: only Plugboard publishes it; POST /v1/events refuses it' })
  publishedBy!: string;

  static from(entry: CatalogEntry): EventTypeDto {
    return {
      event: entry.type,
      description: entry.description,
      schema: entry.schema,
      example: entry.example,
      source: entry.source,
      publishedBy: entry.publishedBy,
    };
  }
}

export class EventTypePage extends PageDto {
  @ApiProperty({ type: [EventTypeDto] }) data!: EventTypeDto[];
}
