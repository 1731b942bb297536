import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { CONNECTION_OWNERS, type ConnectionOwner, INTEGRATION_STATUSES } from '../entities/integration.entity.js';
import { ConfigureIntegrationDto, IntegrationDto, OAuthAppDto } from './integration.dto.js';

const TAG = /^[\w.:@-]{1,64}$/;
const END_USER_ID = /^[\w.:@|+-]{1,200}$/;
const PROVIDER_ID = /^[a-z0-9_]{1,64}$/;

/** Who a new connection belongs to: the account (shared), the calling member, or one of the host platform's end users. */
class ConnectionOwnerFields {
  @ApiPropertyOptional({ enum: CONNECTION_OWNERS, default: 'account', description: '`member` means the calling member' })
  @IsOptional()
  @IsIn(CONNECTION_OWNERS)
  owner?: ConnectionOwner;

  @ApiPropertyOptional({ example: 'user_8123', description: "The host platform's id of the end user (required for owner `end_user`)" })
  @IsOptional()
  @Matches(END_USER_ID, { message: 'endUserId must be 1-200 letters, digits or ._:@|+-' })
  endUserId?: string;

  @ApiPropertyOptional({ type: [String], example: ['creator', 'eu'], description: 'Up to 20 tags, to find connections and filter webhooks by' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(TAG, { each: true, message: 'each tag must be 1-64 letters, digits or _.:@-' })
  tags?: string[];

  @ApiPropertyOptional({ example: 'Work mailbox' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  label?: string;
}

export class CreateConnectionDto extends ConnectionOwnerFields {
  @ApiProperty({ example: 'sendgrid' })
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id' })
  provider!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The provider's credentialsSchema; verified with the provider first" })
  @IsOptional()
  @IsObject()
  credentials?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The provider's settingsSchema" })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  autoSync?: boolean;
}

export class StartConnectionOAuthDto extends ConnectionOwnerFields {
  @ApiProperty({ example: 'google_calendar' })
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id' })
  provider!: string;

  @ApiProperty({ example: '/settings/connections', description: 'Relative, or with an origin in ALLOWED_RETURN_ORIGINS' })
  @IsString()
  @MaxLength(2000)
  returnUrl!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({ type: OAuthAppDto, description: "This account's own OAuth client, instead of the operator's" })
  @IsOptional()
  @ValidateNested()
  @Type(() => OAuthAppDto)
  oauthApp?: OAuthAppDto;
}

export class UpdateConnectionDto extends ConfigureIntegrationDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Work mailbox' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  label?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(TAG, { each: true, message: 'each tag must be 1-64 letters, digits or _.:@-' })
  tags?: string[];
}

export class ListConnectionsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'google_calendar' })
  @IsOptional()
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id' })
  provider?: string;

  @ApiPropertyOptional({ enum: CONNECTION_OWNERS })
  @IsOptional()
  @IsIn(CONNECTION_OWNERS)
  owner?: ConnectionOwner;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(END_USER_ID, { message: 'endUserId must be 1-200 letters, digits or ._:@|+-' })
  endUserId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(TAG, { message: 'tag must be 1-64 letters, digits or _.:@-' })
  tag?: string;

  @ApiPropertyOptional({ enum: INTEGRATION_STATUSES })
  @IsOptional()
  @IsIn(INTEGRATION_STATUSES)
  status?: string;
}

export class ConnectionPage extends PageDto {
  @ApiProperty({ type: [IntegrationDto] }) data!: IntegrationDto[];
}
