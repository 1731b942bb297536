import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsIn, IsString, Length, Matches } from 'class-validator';
import { PageDto } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';
import { PERMISSIONS } from '../../rbac/index.js';

export class CreateRoleDto {
  @ApiProperty({ example: 'support', pattern: '^[a-z][a-z0-9_]{1,39}$' })
  @Matches(/^[a-z][a-z0-9_]{1,39}$/, { message: 'key must be 2-40 lower-case letters, digits or _, starting with a letter' })
  key!: string;

  @ApiProperty({ example: 'Support' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: PERMISSIONS, isArray: true })
  @IsArray()
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true })
  permissions!: string[];
}

export class UpdateRoleDto {
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ enum: PERMISSIONS, isArray: true })
  @Omittable()
  @IsArray()
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true })
  permissions?: string[];
}

export class RoleDto {
  @ApiProperty() key!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PERMISSIONS, isArray: true }) permissions!: string[];
  @ApiProperty({ description: 'Built-in roles cannot be changed or deleted' }) builtIn!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) createdAt!: Date | null;
}

export class RolePage extends PageDto {
  @ApiProperty({ type: [RoleDto] }) data!: RoleDto[];
}

export class PermissionDto {
  @ApiProperty({ enum: PERMISSIONS }) key!: string;
  @ApiProperty() description!: string;
}

export class PermissionPage extends PageDto {
  @ApiProperty({ type: [PermissionDto] }) data!: PermissionDto[];
}
