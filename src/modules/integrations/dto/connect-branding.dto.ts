import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { Omittable } from '../../../core/http/validation.js';

export const LOGO_MAX_BYTES = 64 * 1024;
/** Base64 of LOGO_MAX_BYTES plus the longest `data:image/…;base64,` prefix: longer strings are refused before decoding. */
const LOGO_MAX_LENGTH = Math.ceil(LOGO_MAX_BYTES / 3) * 4 + 'data:image/jpeg;base64,'.length;
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** The whole branding: a field left out is cleared. */
export class ConnectBrandingDto {
  @ApiPropertyOptional({ maxLength: 80, example: 'Acme Studio', description: 'Shown as the connect page’s title' })
  @Omittable()
  @IsString()
  @MaxLength(80)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({
    maxLength: LOGO_MAX_LENGTH,
    example: 'data:image/png;base64,iVBORw0KGgo…',
    description: 'A `data:` URL of a PNG, JPEG or WebP image, at most 64 KB decoded (the page loads images from nowhere else; SVG is refused)',
  })
  @Omittable()
  @IsString()
  @MaxLength(LOGO_MAX_LENGTH, { message: 'logo must be at most 64 KB' })
  @Matches(/^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/]+={0,2}$/, {
    message: 'logo must be a data: URL of an image/png, image/jpeg or image/webp image, base64-encoded',
  })
  logo?: string;

  @ApiPropertyOptional({ pattern: COLOR.source, example: '#1f6feb', description: 'Buttons and links' })
  @Omittable()
  @Matches(COLOR, { message: 'primaryColor must be a colour as #rrggbb' })
  primaryColor?: string;

  @ApiPropertyOptional({ pattern: COLOR.source, example: '#f5a623', description: 'Highlights: the header band and focus rings' })
  @Omittable()
  @Matches(COLOR, { message: 'accentColor must be a colour as #rrggbb' })
  accentColor?: string;
}
