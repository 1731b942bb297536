import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDate, IsIn, IsInt, IsObject, IsString, Matches, Max, MaxLength, Min, ValidateBy, ValidateNested } from 'class-validator';
import { parseDuration } from '../../../core/config/env-parsers.js';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';
import { CONNECTION_OWNERS, type ConnectionOwner, INTEGRATION_STATUSES } from '../entities/integration.entity.js';
import { RECORD_ACTIONS, type RecordAction } from '../entities/synced-record.entity.js';

export class ListIntegrationsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'payment' })
  @Omittable()
  @IsString()
  @MaxLength(40)
  category?: string;

  @ApiPropertyOptional({ enum: INTEGRATION_STATUSES })
  @Omittable()
  @IsIn(INTEGRATION_STATUSES)
  status?: string;
}

/**
 * A connection (an integration). Callers who may only see that a connection exists — another member's
 * own, or an end user's without `connections.manage` — get `restricted: true` and empty metadata and
 * settings, and no error text.
 */
export class IntegrationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'stripe' }) provider!: string;
  @ApiProperty({ example: 'payment' }) category!: string;
  @ApiProperty({ enum: INTEGRATION_STATUSES }) status!: string;
  @ApiProperty({ enum: CONNECTION_OWNERS }) owner!: ConnectionOwner;
  @ApiProperty({ type: String, nullable: true }) memberId!: string | null;
  @ApiProperty({ type: String, nullable: true }) endUserId!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: String, nullable: true }) label!: string | null;
  @ApiProperty({ description: 'The connection used for this provider and owner when none is named' }) isDefault!: boolean;
  @ApiProperty() restricted!: boolean;
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty() livemode!: boolean;
  @ApiProperty({ type: String, nullable: true }) displayName!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What the provider reported on connect (account ids, data centre, feed URL, …)' })
  metadata!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true }) settings!: Record<string, unknown>;
  @ApiProperty() autoSync!: boolean;
  @ApiProperty({ type: String, nullable: true, example: '1h' }) syncFrequency!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSyncAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'What went wrong and what to do about it' }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) connectedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disconnectedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) tokenExpiresAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class IntegrationPage extends PageDto {
  @ApiProperty({ type: [IntegrationDto] }) data!: IntegrationDto[];
}

const FREQUENCY = /^\d{1,6}(m|h|d)$/;
const SYNC_FREQUENCY_RANGE_MS = [60_000, 31 * 86_400_000] as const;

/** A sync frequency from one minute to 31 days: more often floods the provider, less often is not auto-sync. */
function IsSyncFrequency(): PropertyDecorator {
  return ValidateBy({
    name: 'isSyncFrequency',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || !FREQUENCY.test(value)) return false;
        const ms = parseDuration(value);
        return ms >= SYNC_FREQUENCY_RANGE_MS[0] && ms <= SYNC_FREQUENCY_RANGE_MS[1];
      },
      defaultMessage: () => 'syncFrequency must be a number followed by m, h or d, from 1m to 31d',
    },
  });
}

/** The provider's connection inputs, given when connecting. */
export const ConnectionInputs = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: true,
      description: "The provider's connectionInputs (values entered before connecting, e.g. a shop domain); kept in the connection's metadata",
    }),
    Omittable(),
    IsObject(),
  );

/** What both connecting and configuring may set. */
class IntegrationOptionsDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The provider's settingsSchema" })
  @Omittable()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional()
  @Omittable()
  @IsBoolean()
  autoSync?: boolean;
}

export class ConnectIntegrationDto extends IntegrationOptionsDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "The provider's credentialsSchema (api_key and basic providers); verified with the provider before they are stored",
  })
  @Omittable()
  @IsObject()
  credentials?: Record<string, unknown>;

  @ConnectionInputs()
  inputs?: Record<string, unknown>;
}

export class ConfigureIntegrationDto extends IntegrationOptionsDto {
  @ApiPropertyOptional({ example: '1h', pattern: FREQUENCY.source, description: 'How often auto-sync runs, from 1m to 31d: 15m, 1h, 1d, …' })
  @Omittable()
  @IsSyncFrequency()
  syncFrequency?: string;
}

export class OAuthAppDto {
  @ApiProperty() @IsString() @MaxLength(500) clientId!: string;
  @ApiProperty() @IsString() @MaxLength(1000) clientSecret!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 1000 },
    maxProperties: 10,
    example: { signingSecret: '8f742231b10e8888abcd99yyyzzz85a5' },
    description: "The app's other secrets the provider declares (`auth.appSecrets`, e.g. Slack's signing secret)",
  })
  @Omittable()
  @IsObject()
  @ValidateBy({
    name: 'appSecrets',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        Object.keys(value).length <= 10 &&
        Object.values(value).every((item) => typeof item === 'string' && item.length > 0 && item.length <= 1000),
      defaultMessage: () => 'secrets must map at most 10 names to strings of 1 to 1000 characters',
    },
  })
  secrets?: Record<string, string>;
}

export class StartOAuthDto {
  @ApiProperty({ example: '/settings/integrations', description: 'Relative, or with an origin in ALLOWED_RETURN_ORIGINS' })
  @IsString()
  @MaxLength(2000)
  returnUrl!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @Omittable()
  @IsObject()
  settings?: Record<string, unknown>;

  @ConnectionInputs()
  inputs?: Record<string, unknown>;

  @ApiPropertyOptional({ type: OAuthAppDto, description: "This account's own OAuth client, instead of the operator's" })
  @Omittable()
  // ValidateNested takes an array for a list of apps, and an empty one passes: only an object is an app.
  @IsObject()
  @ValidateNested()
  @Type(() => OAuthAppDto)
  oauthApp?: OAuthAppDto;
}

export class OAuthStartedDto {
  @ApiProperty({ format: 'uri' }) authorizationUrl!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: Date;
}

export class HealthCheckResultDto {
  @ApiProperty({ enum: INTEGRATION_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) checkedAt!: Date;
  @ApiPropertyOptional() detail?: string;
}

export class RunActionDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "The action's input, validated with its inputSchema (each provider action's typed form is under Provider operations)",
    example: { limit: 10 },
  })
  @Omittable()
  input?: Record<string, unknown>;
}

/** What an inbound provider webhook became. */
export class ReceivedHookDto {
  @ApiProperty({ description: 'How many events were published', example: 1 }) received!: number;
}

export class StartSyncDto {
  @ApiPropertyOptional({
    default: false,
    description: 'Ignore the high-water marks of incremental syncs: fetch everything, and mark what the provider no longer returns deleted',
  })
  @Omittable()
  @IsBoolean()
  full?: boolean;
}

export class SyncStartedDto {
  @ApiProperty({ format: 'uuid' }) syncRunId!: string;
}

export class SyncRunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ enum: ['manual', 'schedule'] }) trigger!: string;
  @ApiProperty({ description: 'Whether the run ignored the high-water marks' }) full!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } }) counts!: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object', properties: { added: { type: 'integer' }, updated: { type: 'integer' }, deleted: { type: 'integer' } } },
    nullable: true,
  })
  changes!: Record<string, { added: number; updated: number; deleted: number }> | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    description: 'Per model, where the next incremental sync starts',
  })
  highWaterMarks!: Record<string, string> | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: Date | null;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;
}

export class SyncRunPage extends PageDto {
  @ApiProperty({ type: [SyncRunDto] }) data!: SyncRunDto[];
}

/** Records page in larger pages than other lists: readers of changes go through many of them. */
export class RecordsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @Omittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @Omittable()
  @IsString()
  @MaxLength(512)
  cursor?: string;

  @ApiPropertyOptional({ example: 'customers' })
  @Omittable()
  @IsString()
  @MaxLength(100)
  model?: string;

  @ApiPropertyOptional({ format: 'date-time', description: "Only records added, updated or deleted after this time (a sync run's `checkpoint`)" })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  modifiedAfter?: Date;

  @ApiPropertyOptional({
    example: 'added,updated,deleted',
    description: 'Last actions to include, comma-separated; `added,updated` (the live records) by default',
  })
  @Omittable()
  @Matches(/^(added|updated|deleted)(,(added|updated|deleted)){0,2}$/, { message: 'filter must be a comma-separated list of added, updated and deleted' })
  filter?: string;
}

export class RecordMetaDto {
  @ApiProperty({ enum: RECORD_ACTIONS }) lastAction!: RecordAction;
  @ApiProperty({ format: 'date-time' }) firstSeenAt!: Date;
  @ApiProperty({ format: 'date-time' }) lastModifiedAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deletedAt!: Date | null;
}

export class SyncedRecordDto {
  @ApiProperty({ description: "The provider's id of the record" }) id!: string;
  @ApiProperty() model!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The provider's fields, as its last sync returned them" }) data!: Record<
    string,
    unknown
  >;
  @ApiProperty({ format: 'date-time', description: 'When it was last added, changed or deleted (as meta.lastModifiedAt)' }) updatedAt!: Date;
  @ApiProperty({ type: RecordMetaDto }) meta!: RecordMetaDto;
}

export class SyncedRecordPage extends PageDto {
  @ApiProperty({ type: [SyncedRecordDto] }) data!: SyncedRecordDto[];
}
