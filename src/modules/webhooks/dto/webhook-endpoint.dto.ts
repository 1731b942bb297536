import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsString, Matches, MaxLength } from 'class-validator';
import { PageDto } from '../../../core/http/pagination.js';
import { OptionalTags } from '../../../core/http/tags.js';
import { Omittable, OmittableOrNull } from '../../../core/http/validation.js';
import type { WebhookEndpoint } from '../entities/webhook-endpoint.entity.js';
import { EVENT_FILTER_PATTERN } from '../event-filter.js';
import { SECRET_PATTERN } from '../webhook-signature.js';

const EVENTS_DESCRIPTION = 'Event types to receive: exact types (`session.started`), prefixes (`integration.*`) or `*`';
const TAGS_DESCRIPTION = "Only events whose data carries one of these tags (a connection's `tags`); every matching event when empty";

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://example.com/webhooks/plugboard', description: 'HTTPS (http only with ALLOW_INSECURE_WEBHOOKS)' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ type: [String], example: ['session.started', 'integration.*'], description: EVENTS_DESCRIPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(EVENT_FILTER_PATTERN, { each: true, message: 'each event must be an event type, a prefix such as integration.*, or *' })
  events!: string[];

  @OptionalTags(TAGS_DESCRIPTION)
  tags?: string[];

  @ApiPropertyOptional({ example: 'CRM sync' })
  @Omittable()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ default: true, description: 'Create it disabled to test it before it receives events' })
  @Omittable()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Your own signing secret; generated when omitted' })
  @Omittable()
  @Matches(SECRET_PATTERN, { message: 'secret must be whsec_ followed by base64 of 24 to 64 bytes' })
  secret?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: [String], description: EVENTS_DESCRIPTION })
  @Omittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(EVENT_FILTER_PATTERN, { each: true, message: 'each event must be an event type, a prefix such as integration.*, or *' })
  events?: string[];

  @OptionalTags(TAGS_DESCRIPTION)
  tags?: string[];

  @ApiPropertyOptional({ type: String, nullable: true })
  @OmittableOrNull()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ description: 'false disables it (disabledReason "manual"); true re-enables it whatever disabled it' })
  @Omittable()
  @IsBoolean()
  enabled?: boolean;
}

export class RotateSecretDto {
  @ApiPropertyOptional({ description: 'The new secret; generated when omitted' })
  @Omittable()
  @Matches(SECRET_PATTERN, { message: 'secret must be whsec_ followed by base64 of 24 to 64 bytes' })
  secret?: string;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) events!: string[];
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: String, nullable: true, enum: ['manual', 'failing', 'gone', 'plan'] }) disabledReason!: string | null;
  @ApiProperty() livemode!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ format: 'date-time' }) updatedAt!: Date;

  static from(endpoint: WebhookEndpoint): WebhookEndpointDto {
    return {
      id: endpoint.id,
      url: endpoint.url,
      events: endpoint.events,
      tags: endpoint.tags,
      description: endpoint.description ?? null,
      enabled: endpoint.enabled,
      disabledReason: endpoint.disabledReason ?? null,
      livemode: endpoint.livemode,
      createdAt: endpoint.createdAt,
      updatedAt: endpoint.updatedAt,
    };
  }
}

export class CreatedWebhookEndpointDto extends WebhookEndpointDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) secret!: string;
}

export class WebhookSecretDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) secret!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Until then the previous secret also signs (rotation overlap)' })
  previousSecretExpiresAt?: Date;
}

export class WebhookEndpointPage extends PageDto {
  @ApiProperty({ type: [WebhookEndpointDto] }) data!: WebhookEndpointDto[];
}
