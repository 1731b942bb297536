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
  const raw = (request.params as Record<string, string | string[]>).path;
  const query = request.originalUrl.indexOf('?');
  const result = await proxy.forward(caller, ref, {
    method: request.method,
    path: Array.isArray(raw) ? raw.join('/') : raw,
    search: query >= 0 ? request.originalUrl.slice(query) : '',
    headers: request.headers,
    body: request.rawBody,
  });
  response.status(result.status).set(result.headers).send(result.body);
}
