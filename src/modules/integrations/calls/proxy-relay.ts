import type { Request, Response } from 'express';
import type { AccountCaller } from '../../../core/auth/caller.js';
import type { ConnectionRef } from '../connections/integrations.service.js';
import type { ProxyService } from './proxy.service.js';

export type ProxiedRequest = Request & { rawBody?: Buffer };

/** Relays a proxy route's request (`…/proxy/*path`) to the provider and its answer back, for both route forms. */
export async function relayToProvider(
  proxy: ProxyService,
  caller: AccountCaller,
  ref: ConnectionRef,
  request: ProxiedRequest,
  response: Response,
): Promise<void> {
  const query = request.originalUrl.indexOf('?');
  const result = await proxy.forward(caller, ref, {
    method: request.method,
    path: proxiedPath((request.params as Record<string, string | string[]>).path),
    search: query >= 0 ? request.originalUrl.slice(query) : '',
    headers: request.headers,
    body: request.rawBody,
  });
  response.status(result.status).set(result.headers).send(result.body);
}

/** Kept as they are in a forwarded segment: RFC 3986 sub-delimiters, `:` and `@` (mail addresses in Google Calendar ids). */
const SEGMENT_SAFE = /%(21|24|26|27|28|29|2A|2B|2C|3A|3B|3D|40)/gi;

/**
 * The provider path of `…/proxy/*path`, as the OpenAPI document describes it: Express has split the path
 * on `/` and percent-decoded each segment; a decoded `/` (`%2F`, as typed clients send a path parameter)
 * separates segments too. Each segment is encoded again, so a decoded `?`, `#` or `%` stays data.
 */
export function proxiedPath(raw: string | string[] | undefined): string {
  const segments = (Array.isArray(raw) ? raw : [raw ?? '']).flatMap((segment) => segment.split('/'));
  return segments.map((segment) => encodeURIComponent(segment).replace(SEGMENT_SAFE, (escape) => decodeURIComponent(escape))).join('/');
}
