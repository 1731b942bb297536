import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { PageDto } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';

export const FLAG_SOURCES = ['default', 'override', 'not_connected'] as const;
export type FlagSource = (typeof FLAG_SOURCES)[number];

export class FeatureFlagDto {
  @ApiProperty({ example: 'integrations.klaviyo' }) key!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ description: 'The effective value for this account and mode' }) value!: boolean;
  @ApiProperty({ description: 'The template’s default' }) default!: boolean;
  @ApiProperty({
    enum: FLAG_SOURCES,
    description:
      '`default`: the template’s value; `override`: the account’s own; `not_connected`: forced off because the connection it requires is not connected',
  })
  source!: FlagSource;
  @ApiProperty({ type: Boolean, nullable: true, description: 'The account’s own value, if it set one' }) override!: boolean | null;
  @ApiProperty({ description: 'Off unless the account’s connection of `provider` is connected' }) requiresConnection!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'klaviyo' }) provider!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['connected', 'expired', 'error', 'disconnected', 'suspended'],
    description: 'The status of the account’s connection of `provider` in this mode; null when there is none or no provider',
  })
  connection!: string | null;
}

export class FeatureFlagPage extends PageDto {
  @ApiProperty({ type: [FeatureFlagDto] }) data!: FeatureFlagDto[];
}

export class SetFeatureFlagDto {
  @ApiProperty({ type: Boolean, nullable: true, description: 'The account’s value; null removes the override (the default holds again)' })
  @ValidateIf((dto: SetFeatureFlagDto) => dto.value !== null)
  @IsBoolean()
  value!: boolean | null;
}

export class EvaluateFlagsQuery {
  @ApiPropertyOptional({ example: 'integrations.klaviyo,integrations.reviews_email', description: 'Comma-separated keys (up to 100); every flag when omitted' })
  @Omittable()
  @IsString()
  @MaxLength(10_000)
  @Matches(/^[a-z0-9_.]+(,[a-z0-9_.]+)*$/, { message: 'keys must be comma-separated flag keys' })
  keys?: string;
}

export class FlagValuesDto {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'boolean' }, example: { 'integrations.klaviyo': true } })
  values!: Record<string, boolean>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: [...FLAG_SOURCES] }, example: { 'integrations.klaviyo': 'override' } })
  sources!: Record<string, FlagSource>;
  @ApiProperty({ type: [String], description: 'Requested keys that are not flags of this installation' }) unknown!: string[];
}
