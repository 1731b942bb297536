import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from '../../src/sdk/index.js';
import type { StubHandler } from '../../src/sdk/testing.js';

/** Loose JSON as plugins return it. */
export type Json = Record<string, any>;

/** Imports a first-party plugin from `plugins/<folder>` as the host would (its default export). */
export async function loadBundledPlugin(folder: string): Promise<PluginDefinition> {
  const module = (await import(pathToFileURL(resolve('plugins', folder, 'index.js')).href)) as { default: PluginDefinition };
  return module.default;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * An SDK-harness HTTP handler that performs each request against a local fake, the way
 * PROVIDER_ORIGIN_OVERRIDES does in the host: the real origin is swapped for the fake's, the path and
 * query are kept. A request to an origin with no fake fails the call.
 */
export function forwardTo(origins: Record<string, string>): StubHandler {
  return async (request) => {
    const url = new URL(request.url);
    const local = origins[url.origin];
    if (!local) throw new Error(`no fake serves ${url.origin}`);
    const response = await fetch(`${new URL(local).origin}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
    });
    const body = await response.text();
    return { status: response.status, headers: Object.fromEntries(response.headers), body: NULL_BODY_STATUSES.has(response.status) ? undefined : body };
  };
}
