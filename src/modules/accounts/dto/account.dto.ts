import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, Length, Matches } from 'class-validator';
import { USER_ID } from '../../../core/auth/identity.js';
import { PageDto } from '../../../core/http/pagination.js';
import { Omittable } from '../../../core/http/validation.js';
import type { Account } from '../entities/account.entity.js';
import type { Membership } from '../entities/membership.entity.js';

export class CreateAccountDto {
  @ApiProperty({ example: 'Acme Events' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ example: 'business', description: 'A plan key from plans.yaml; the default plan when omitted' })
  @Omittable()
  @IsString()
  plan?: string;

  @ApiProperty({ example: 'user_123', description: "The owner's user id in the host platform's identity provider" })
  @Matches(USER_ID, { message: 'ownerId must be 1-200 letters, digits or ._@:|+-' })
  ownerId!: string;
}

export class UpdateAccountDto {
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ example: 'basic' })
  @Omittable()
  @IsString()
  plan?: string;
}

export class AccountDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'business' }) plan!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;

  static from(account: Account): AccountDto {
    return { id: account.id, name: account.name, plan: account.plan, createdAt: account.createdAt };
  }
}

export class AccountPage extends PageDto {
  @ApiProperty({ type: [AccountDto] }) data!: AccountDto[];
}

export class AddMemberDto {
  @ApiProperty({ example: 'user_456' })
  @Matches(USER_ID, { message: 'userId must be 1-200 letters, digits or ._@:|+-' })
  userId!: string;

  @ApiPropertyOptional({ example: 'ana@example.com' })
  @Omittable()
  @IsEmail()
  email?: string;

  @ApiProperty({ example: 'developer', description: 'A built-in or custom role key' })
  @IsString()
  @Length(1, 40)
  role!: string;
}

export class UpdateMemberDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Length(1, 40)
  role!: string;
}

export class MemberDto {
  @ApiProperty() userId!: string;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty() role!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: Date;

  static from(membership: Membership): MemberDto {
    return { userId: membership.userId, email: membership.email ?? null, role: membership.role, createdAt: membership.createdAt };
  }
}

export class MemberPage extends PageDto {
  @ApiProperty({ type: [MemberDto] }) data!: MemberDto[];
}
