import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsDate, IsIn, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';
import { PERMISSIONS } from '../../rbac/index.js';
import type { ApiKeyMode } from '../api-key-format.js';
import type { ApiKey } from '../entities/api-key.entity.js';

const MODES = ['live', 'test'] as const;

/** The longest overlap API_KEY_MAX_OVERLAP may allow: a week, as Stripe does. */
const MAX_ROLL_OVERLAP_SECONDS = 7 * 86_400;

/** An MCP tool name (1–128 of MCP's characters), or a prefix of one ending in `*`. */
const MCP_TOOL_PATTERN = /^[A-Za-z0-9_.-]{1,128}\*?$/;
const MAX_MCP_TOOLS = 200;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Production CRM sync' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: MODES, description: 'A test key sees and changes only test-mode objects, a live key only live ones' })
  @IsIn(MODES)
  mode!: ApiKeyMode;

  @ApiPropertyOptional({
    enum: PERMISSIONS,
    isArray: true,
    description: "What the key may do; never more than the creator holds (403). All of the creator's permissions when omitted.",
  })
  @Omittable()
  @IsArray()
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true })
  permissions?: string[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_MCP_TOOLS,
    example: ['slack_postMessage', 'plugboard_list_connections', 'hubspot_*'],
    description:
      'The MCP tools the key may call (`/mcp`): tool names, or prefixes ending in `*`. Needs `mcp.use`. All the tools its permissions allow when omitted.',
  })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(MAX_MCP_TOOLS)
  @ArrayUnique()
  @Matches(MCP_TOOL_PATTERN, { each: true, message: 'each tool must be a tool name (letters, digits, _ . -), optionally ending in *' })
  mcpTools?: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working; must be in the future' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;
}

export class RollApiKeyDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_ROLL_OVERLAP_SECONDS,
    default: 0,
    description: 'How long the old key keeps working next to the new one, at most API_KEY_MAX_OVERLAP (1 hour unless the operator changed it); 0 ends it now',
  })
  @Omittable()
  @IsInt()
  @Min(0)
  @Max(MAX_ROLL_OVERLAP_SECONDS)
  expireOldInSeconds?: number;
}

export class ApiKeyListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: MODES, description: "Only keys of this mode (an API key caller only ever sees its own mode's keys)" })
  @Omittable()
  @IsIn(MODES)
  mode?: ApiKeyMode;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: MODES }) mode!: ApiKeyMode;
  @ApiProperty({ example: 'pb_live_7Fq2', description: 'The first characters of the key, for recognising it' })
  start!: string;
  @ApiProperty({ example: 'x9Qa' }) last4!: string;
  @ApiProperty({ type: [String], example: ['integrations.view', 'events.publish'] }) permissions!: string[];
  @ApiProperty({ type: [String], nullable: true, description: 'The MCP tools the key may call; null: every tool its permissions allow' })
  mcpTools!: string[] | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated in batches (every few seconds), not per request' })
  lastUsedAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: Date | null;

  static from(key: ApiKey): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      mode: key.livemode ? 'live' : 'test',
      start: key.start,
      last4: key.last4,
      permissions: key.permissions,
      mcpTools: key.mcpTools ?? null,
      createdAt: key.createdAt,
      lastUsedAt: key.lastUsedAt ?? null,
      expiresAt: key.expiresAt ?? null,
      revokedAt: key.revokedAt ?? null,
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ example: 'pb_live_7Fq2…', description: 'The key itself: shown this once, never again' })
  key!: string;
}

export class ApiKeyPage extends PageDto {
  @ApiProperty({ type: [ApiKeyDto] }) data!: ApiKeyDto[];
}
