import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { OptionalTags, TAG_PATTERN } from '../../../core/http/tags.js';
import { Omittable, OmittableOrNull } from '../../../core/http/validation.js';
import { CONNECTION_OWNERS, type ConnectionOwner, INTEGRATION_STATUSES } from '../entities/integration.entity.js';
import { ConfigureIntegrationDto, ConnectIntegrationDto, IntegrationDto, StartOAuthDto } from './integration.dto.js';

const END_USER_ID = /^[\w.:@|+-]{1,200}$/;
const PROVIDER_ID = /^[a-z0-9_]{1,64}$/;

/** Who a new connection belongs to: the account (shared), the calling member, or one of the host platform's end users. */
class ConnectionOwnerFields {
  @ApiPropertyOptional({ enum: CONNECTION_OWNERS, default: 'account', description: '`member` means the calling member' })
  @Omittable()
  @IsIn(CONNECTION_OWNERS)
  owner?: ConnectionOwner;

  @ApiPropertyOptional({ example: 'user_8123', description: "The host platform's id of the end user (required for owner `end_user`)" })
  @Omittable()
  @Matches(END_USER_ID, { message: 'endUserId must be 1-200 letters, digits or ._:@|+-' })
  endUserId?: string;

  @OptionalTags('Tags to find connections and filter webhooks by', ['creator', 'eu'])
  tags?: string[];

  @ApiPropertyOptional({ example: 'Work mailbox' })
  @Omittable()
  @IsString()
  @Length(1, 200)
  label?: string;
}

export class CreateConnectionDto extends IntersectionType(ConnectIntegrationDto, ConnectionOwnerFields) {
  @ApiProperty({ example: 'sendgrid' })
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id' })
  provider!: string;
}

export class StartConnectionOAuthDto extends IntersectionType(StartOAuthDto, ConnectionOwnerFields) {
  @ApiProperty({ example: 'google_calendar' })
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id' })
  provider!: string;
}

export class UpdateConnectionDto extends ConfigureIntegrationDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Work mailbox' })
  @OmittableOrNull()
  @IsString()
  @Length(1, 200)
  label?: string;

  @OptionalTags('Tags to find connections and filter webhooks by')
  tags?: string[];
}

export class ListConnectionsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'google_calendar' })
  @Omittable()
  @Matches(PROVIDER_ID, { message: 'provider must be a provider id' })
  provider?: string;

  @ApiPropertyOptional({ enum: CONNECTION_OWNERS })
  @Omittable()
  @IsIn(CONNECTION_OWNERS)
  owner?: ConnectionOwner;

  @ApiPropertyOptional()
  @Omittable()
  @Matches(END_USER_ID, { message: 'endUserId must be 1-200 letters, digits or ._:@|+-' })
  endUserId?: string;

  @ApiPropertyOptional()
  @Omittable()
  @Matches(TAG_PATTERN, { message: 'tag must be 1-64 letters, digits or _.:@-' })
  tag?: string;

  @ApiPropertyOptional({ enum: INTEGRATION_STATUSES })
  @Omittable()
  @IsIn(INTEGRATION_STATUSES)
  status?: string;
}

export class ConnectionPage extends PageDto {
  @ApiProperty({ type: [IntegrationDto] }) data!: IntegrationDto[];
}
