import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'plugboard:public';
export const IP_RATE_LIMITED = 'plugboard:ip-rate-limited';

/**
 * The route needs no credentials (OAuth callback, inbound provider webhooks, feeds, health). Such
 * routes count against the caller's per-IP limit (PUBLIC_RATE_LIMIT_PER_MINUTE) unless `ipRateLimit`
 * is false: only for probes and scrapers, which poll from a few addresses all day.
 */
export const Public = ({ ipRateLimit = true }: { ipRateLimit?: boolean } = {}) =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(IP_RATE_LIMITED, ipRateLimit), ApiExtension('x-permission', 'public'));
