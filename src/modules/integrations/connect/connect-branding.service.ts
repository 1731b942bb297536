import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { AccountCaller } from '../../../core/auth/caller.js';
import { ValidationFailedError } from '../../../core/errors/app-errors.js';
import { AuditService } from '../../audit/index.js';
import { ConnectBrandingDto, LOGO_MAX_BYTES } from '../dto/connect-branding.dto.js';
import { ConnectBranding } from '../entities/connect-branding.entity.js';

// What each allowed type's file starts with: a logo must be the image it says it is.
const FORMATS: Record<string, { name: string; matches: (bytes: Buffer) => boolean }> = {
  'image/png': { name: 'PNG', matches: (bytes) => bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  'image/jpeg': { name: 'JPEG', matches: (bytes) => bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])) },
  'image/webp': { name: 'WebP', matches: (bytes) => bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP' },
};

const toDto = (row: ConnectBranding | null): ConnectBrandingDto =>
  Object.fromEntries((['name', 'logo', 'primaryColor', 'accentColor'] as const).flatMap((field) => (row?.[field] ? [[field, row[field]]] : [])));

/** An account's branding of the hosted connect page (name, logo, colours), on every plan. */
@Injectable()
export class ConnectBrandingService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
  ) {}

  /** The account's branding; every field is absent until set. */
  async of(accountId: string): Promise<ConnectBrandingDto> {
    return toDto(await this.em.fork().findOne(ConnectBranding, { accountId }));
  }

  /** Replaces the whole branding (a field left out is cleared), audited without the logo's bytes. */
  async replace(caller: AccountCaller, dto: ConnectBrandingDto): Promise<ConnectBrandingDto> {
    const logo = dto.logo ? inspectLogo(dto.logo) : null;
    const row = await this.em.fork().transactional(async (em) => {
      const saved = await em.upsert(ConnectBranding, {
        accountId: caller.accountId,
        name: dto.name?.trim() ?? null,
        logo: dto.logo ?? null,
        primaryColor: dto.primaryColor?.toLowerCase() ?? null,
        accentColor: dto.accentColor?.toLowerCase() ?? null,
        updatedAt: new Date(),
      });
      this.audit.record(em, caller, {
        action: 'branding.updated',
        targetType: 'account',
        targetId: caller.accountId,
        details: { name: saved.name ?? null, logo, primaryColor: saved.primaryColor ?? null, accentColor: saved.accentColor ?? null },
      });
      return saved;
    });
    return toDto(row);
  }
}

/** The logo's type and decoded size, after checking both (the DTO has checked the data: URL's form). */
function inspectLogo(logo: string): { type: string; bytes: number } {
  const comma = logo.indexOf(',');
  const type = logo.slice('data:'.length, logo.indexOf(';'));
  const bytes = Buffer.from(logo.slice(comma + 1), 'base64');
  const refuse = (message: string) => new ValidationFailedError('The logo is not allowed', [{ path: 'logo', message }]);
  if (bytes.length > LOGO_MAX_BYTES) throw refuse(`must be at most 64 KB decoded (it is ${Math.ceil(bytes.length / 1024)} KB)`);
  const format = FORMATS[type];
  if (!format.matches(bytes)) throw refuse(`is not a ${format.name} image`);
  return { type, bytes: bytes.length };
}
