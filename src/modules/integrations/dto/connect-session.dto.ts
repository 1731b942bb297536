import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { OptionalTags } from '../../../core/http/tags.js';
import { Omittable } from '../../../core/http/validation.js';
import { ConnectBrandingDto } from './connect-branding.dto.js';
import { ConnectionInputs } from './integration.dto.js';

export class CreateConnectSessionDto {
  @ApiProperty({ example: 'creator_42', description: "The host platform's id of the end user the connection will belong to" })
  @Matches(/^[\w.:@|+-]{1,200}$/, { message: 'endUserId must be 1-200 letters, digits or ._:@|+-' })
  endUserId!: string;

  @OptionalTags('Tags the connection gets')
  tags?: string[];

  @ApiProperty({ type: [String], example: ['stripe', 'google_calendar'], description: 'The providers the end user may connect' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @Matches(/^[a-z0-9_]{1,64}$/, { each: true, message: 'each provider must be a provider id' })
  providers!: string[];

  @ApiProperty({
    example: 'https://app.example.com/settings/connections',
    description: 'Where the browser goes when done: an origin in ALLOWED_RETURN_ORIGINS',
  })
  @IsString()
  @MaxLength(2000)
  returnUrl!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Re-authorise this end user's connection in place (same id) instead of creating one" })
  @Omittable()
  @IsUUID()
  connectionId?: string;
}

export class ConnectSessionCreatedDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'cs_…', description: 'Shown this once; the browser sends it as `Authorization: Bearer cs_…` to /v1/connect/…' })
  token!: string;
  @ApiProperty({ format: 'uri', description: 'The hosted connect page, with the token in its fragment (never sent to a server by the browser)' })
  url!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: Date;
}

export class ConnectProviderDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() category!: string;
  @ApiProperty({ enum: ['oauth2', 'api_key', 'basic', 'none'] }) authType!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'What to ask the user for (api_key and basic providers)' })
  credentialsSchema?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) settingsSchema?: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'What to ask the user for before connecting (sent as `inputs`)' })
  connectionInputs?: Record<string, unknown>;
}

export class ConnectSessionViewDto {
  @ApiProperty() endUserId!: string;
  @ApiProperty({ type: [ConnectProviderDto] }) providers!: ConnectProviderDto[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) connectionId!: string | null;
  @ApiProperty() returnUrl!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: Date;
  @ApiProperty({ type: ConnectBrandingDto, description: "The account's look of the connect page (GET /v1/branding)" }) branding!: ConnectBrandingDto;
}

export class ConnectWithCredentialsDto {
  @ApiProperty({ example: 'stripe' })
  @Matches(/^[a-z0-9_]{1,64}$/, { message: 'provider must be a provider id' })
  provider!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @Omittable()
  @IsObject()
  credentials?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @Omittable()
  @IsObject()
  settings?: Record<string, unknown>;

  @ConnectionInputs()
  inputs?: Record<string, unknown>;
}

export class ConnectOAuthDto {
  @ApiProperty({ example: 'google_calendar' })
  @Matches(/^[a-z0-9_]{1,64}$/, { message: 'provider must be a provider id' })
  provider!: string;

  @ConnectionInputs()
  inputs?: Record<string, unknown>;
}

export class ConnectCompletedDto {
  @ApiProperty({ format: 'uuid' }) connectionId!: string;
  @ApiProperty({ description: "Where to send the browser now: the session's returnUrl with the outcome" }) redirectUrl!: string;
}
