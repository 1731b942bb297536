import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, ValidateIf } from 'class-validator';

export class ConsoleLinkDto {
  @ApiProperty({
    example: 'https://plugboard.example.com/console/sign-in#code=…',
    description: 'Opens the console signed in as the caller: works once, within ten minutes. The code is in the fragment, so it never reaches a server log.',
  })
  url!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

export class StartConsoleSessionDto {
  @ApiPropertyOptional({ description: 'The `code` from the sign-in link’s fragment' })
  @ValidateIf((dto: StartConsoleSessionDto) => dto.ssoCode === undefined)
  @IsString()
  @Length(1, 100)
  code?: string;

  @ApiPropertyOptional({
    description: 'Instead of `code`: the `code` single sign-on brought back to `/console/sign-in/sso` (the account’s `google_sso` or `microsoft_sso`)',
  })
  @ValidateIf((dto: StartConsoleSessionDto) => dto.code === undefined)
  @IsString()
  @Length(1, 100)
  ssoCode?: string;
}

export class ConsoleSessionDto {
  @ApiProperty({ description: 'Send as `X-CSRF-Token` with every POST, PUT, PATCH and DELETE the console makes' })
  csrfToken!: string;

  @ApiProperty({ format: 'date-time', description: 'When the session ends; signing in again starts a new one' })
  expiresAt!: string;
}
