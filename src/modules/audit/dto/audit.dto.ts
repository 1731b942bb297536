import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsString, MaxLength } from 'class-validator';
import { PageDto, PageQuery } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';
import type { AuditEntry } from '../entities/audit-entry.entity.js';

export class AuditLogQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'member.added' })
  @Omittable()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @Omittable()
  @Type(() => Date)
  @IsDate()
  since?: Date;
}

export class AuditEntryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'api_key.created' }) action!: string;
  @ApiProperty({ enum: ['member', 'api_key', 'system'] }) actorType!: string;
  @ApiProperty({ description: 'User id, API key id, or "plugboard"' }) actorId!: string;
  @ApiProperty({ type: String, nullable: true }) targetType!: string | null;
  @ApiProperty({ type: String, nullable: true }) targetId!: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) livemode!: boolean | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) details!: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true }) requestId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;

  static from(entry: AuditEntry): AuditEntryDto {
    return {
      id: entry.id,
      action: entry.action,
      actorType: entry.actorType,
      actorId: entry.actorId,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      livemode: entry.livemode ?? null,
      details: entry.details ?? null,
      requestId: entry.requestId ?? null,
      createdAt: entry.createdAt,
    };
  }
}

export class AuditEntryPage extends PageDto {
  @ApiProperty({ type: [AuditEntryDto] }) data!: AuditEntryDto[];
}
