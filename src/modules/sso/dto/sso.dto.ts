import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { Omittable } from '../../../core/http/validation.js';

export class AuthorizeSsoQuery {
  @ApiProperty({ format: 'uuid', description: 'The account whose connected SSO integration signs the user in' })
  @IsUUID()
  account!: string;

  @ApiProperty({
    example: 'https://app.example.com/auth/sso',
    description: 'Where the browser goes afterwards, with `code` or `error`: a relative path or an origin in ALLOWED_RETURN_ORIGINS',
  })
  @IsString()
  @MaxLength(2000)
  returnUrl!: string;

  @ApiPropertyOptional({
    enum: ['live', 'test'],
    default: 'live',
    description: 'The mode of the integration used, and of the API key that may redeem the code',
  })
  @Omittable()
  @IsIn(['live', 'test'])
  mode?: 'live' | 'test';

  @ApiPropertyOptional({
    maxLength: 512,
    description: "The host platform's own opaque value (tie it to the browser's session): given back unchanged on returnUrl as `state`",
  })
  @Omittable()
  @IsString()
  @Length(1, 512)
  state?: string;

  @ApiPropertyOptional({ example: 'ana@acme.com', description: "Passed to the provider's account chooser as `login_hint`" })
  @Omittable()
  @IsString()
  @Length(1, 320)
  loginHint?: string;
}

export class ExchangeSsoCodeDto {
  @ApiProperty({ description: 'The `code` the browser brought back on returnUrl (single use, valid for one minute)' })
  @IsString()
  @Length(1, 100)
  code!: string;
}

export class SsoMemberDto {
  @ApiProperty({ example: 'google_sso|109876543210987654321', description: 'The member’s user id: `<provider>|<subject>`' })
  userId!: string;
  @ApiProperty({ example: 'developer' }) role!: string;
  @ApiProperty({ description: 'Whether this sign-in added the member (false: they were already one; their role is left as it is)' })
  created!: boolean;
}

export class SsoIdentityDto {
  @ApiProperty({ enum: ['google_sso', 'microsoft_sso'] }) provider!: string;
  @ApiProperty({ description: "The provider's stable id of the user (the ID token's `sub`)" }) subject!: string;
  @ApiProperty({ example: 'ana@acme.com', description: 'Verified by the provider' }) email!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Ana Lima' }) name!: string | null;
  @ApiProperty({ example: 'acme.com', description: "The allowed domain that let the user in (Google Workspace's `hd`, else the email's)" })
  domain!: string;
  @ApiPropertyOptional({ type: SsoMemberDto, description: 'When the integration provisions members: the member this identity is' })
  member?: SsoMemberDto;
}
