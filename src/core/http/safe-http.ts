import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Agent, type Dispatcher, fetch, request, type RequestInit, type Response } from 'undici';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { bareHost, isForbiddenAddress } from './network-policy.js';

export class ForbiddenDestinationError extends Error {
  readonly code = 'forbidden_destination';
}

export interface SafeHttpOptions {
  allowPrivateNetwork: boolean;
  /**
   * Origin → replacement origin (PROVIDER_ORIGIN_OVERRIDES): points a provider's real API at a local
   * fake in tests and development. Applied to every request, after which the usual checks run.
   */
  originOverrides?: Record<string, string>;
  /** Connections kept per origin; webhook fan-out wants many. */
  connectionsPerOrigin?: number;
}

/**
 * Outbound HTTP that cannot be pointed at internal services. The address check runs on the address
 * actually connected to (inside the DNS lookup of each new connection), so a name that resolves to a
 * public address at validation time and to 127.0.0.1 later (DNS rebinding) is still refused.
 * Redirects are never followed.
 */
export class SafeHttp {
  private readonly agent: Agent;

  constructor(private readonly options: SafeHttpOptions) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 64,
      keepAliveTimeout: 30_000,
      connect: { lookup: this.lookup },
    });
  }

  async fetch(url: string | URL, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
    const target = this.target(url);
    const { timeoutMs, signal, ...rest } = init;
    const signals = [signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined].filter(Boolean) as AbortSignal[];
    return fetch(target, {
      ...rest,
      redirect: 'manual',
      dispatcher: this.agent,
      signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    });
  }

  /**
   * The same guarded connections through undici's `request`, which costs a fraction of `fetch` per
   * call: for hot paths such as webhook delivery. Never follows redirects.
   */
  async request(url: string | URL, options: { method: Dispatcher.HttpMethod; headers: Record<string, string>; body?: string; timeoutMs: number }) {
    return request(this.target(url), {
      method: options.method,
      headers: options.headers,
      body: options.body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  }

  private target(url: string | URL): URL {
    const target = applyOriginOverride(new URL(url), this.options.originOverrides);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      throw new ForbiddenDestinationError(`Only http and https URLs are allowed (got ${target.protocol})`);
    }
    this.assertLiteralAllowed(target);
    return target;
  }

  /** Resolves a URL's host now and refuses it when any address is forbidden (creation-time validation). */
  async assertAllowed(url: string | URL): Promise<void> {
    const target = new URL(url);
    this.assertLiteralAllowed(target);
    if (this.options.allowPrivateNetwork || isIP(bareHost(target))) return;
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(bareHost(target), { all: true }, (error, result) => (error ? reject(error) : resolve(result))),
    ).catch(() => {
      throw new ForbiddenDestinationError(`The host ${target.hostname} does not resolve`);
    });
    const forbidden = addresses.find((entry) => isForbiddenAddress(entry.address));
    if (forbidden) throw new ForbiddenDestinationError(`The host ${target.hostname} resolves to a private or reserved address`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private assertLiteralAllowed(target: URL): void {
    const host = bareHost(target);
    if (!this.options.allowPrivateNetwork && isIP(host) && isForbiddenAddress(host)) {
      throw new ForbiddenDestinationError(`The address ${host} is private or reserved`);
    }
    if (!this.options.allowPrivateNetwork && /^(localhost|.*\.localhost|metadata\.google\.internal)$/i.test(host)) {
      throw new ForbiddenDestinationError(`The host ${host} is internal`);
    }
  }

  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const allowed = this.options.allowPrivateNetwork ? addresses : addresses.filter((entry) => !isForbiddenAddress(entry.address));
      if (allowed.length === 0) {
        return callback(new ForbiddenDestinationError(`${hostname} resolves to a private or reserved address`), '', 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

/** Rewrites a URL whose origin has an override; other URLs are returned unchanged. */
export function applyOriginOverride(url: URL, overrides: Record<string, string> | undefined): URL {
  const replacement = overrides?.[url.origin];
  if (!replacement) return url;
  const base = new URL(replacement);
  return new URL(`${base.origin}${base.pathname.replace(/\/$/, '')}${url.pathname}${url.search}`);
}

/** The application's shared client, honouring ALLOW_PRIVATE_NETWORK and PROVIDER_ORIGIN_OVERRIDES. */
@Injectable()
export class SafeHttpClient extends SafeHttp implements OnModuleDestroy {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super({ allowPrivateNetwork: config.allowPrivateNetwork, originOverrides: config.providerOriginOverrides, connectionsPerOrigin: 256 });
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}
