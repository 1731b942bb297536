/**
 * PluginRunner — how the rest of Plugboard calls provider plugins. Contract for the integrations module:
 *
 *   const result = await runner.invoke<VerifyResult>(providerId, {
 *     kind: 'verify' | 'healthCheck' | 'action' | 'sync' | 'webhookVerify' | 'webhookToEvents' | 'webhookReply' | 'onEvent',
 *     name,        // action name (kind 'action') or event type (kind 'onEvent')
 *     input,       // action input (validate it first: registry.validate(providerId, 'action', data, name)),
 *                  // the InboundRequest for webhookVerify/webhookToEvents, the PlugboardEvent for onEvent
 *     context: { credentials, settings, integration: { id, accountId, livemode, metadata } },
 *     timeoutMs,   // optional; default PLUGIN_CALL_TIMEOUT_MS, or PLUGIN_VERIFY_TIMEOUT_MS for verify
 *   });
 *
 * Results by kind: verify → { displayName?, metadata? }; healthCheck → null; action → the action's
 * output; sync → { records?: { [model]: [{ id, … }] } }; webhookVerify → boolean; webhookToEvents →
 * [{ event, data }]; webhookReply → { status?, contentType?, body } or null; onEvent → null. Values cross a process boundary (structured clone): plain data.
 *
 * Errors are AppErrors, ready to be thrown to the client as they are:
 * - 400 validation_failed — the input or context is too deep or large to hand to a plugin (CALL_LIMITS
 *   and the wire's size in runtime/wire.ts); nothing was sent;
 * - 404 not_found — no loaded provider with that id (unknown, failed or disabled plugin), or the
 *   provider lacks the action, event handler, sync or webhook asked for (check the registry first);
 * - 422 provider_rejected — the plugin threw an error whose `code` is 'provider_rejected' (its
 *   message is the detail: safe to show);
 * - 429 provider_rate_limited — the provider's rate limit (the SDK's ProviderRateLimitedError, with
 *   `Retry-After` from its `retryAfterSeconds`);
 * - 504 provider_timeout — the deadline passed (the call's `ctx.signal` is aborted; a child whose
 *   event loop is stuck is killed and restarted);
 * - 502 provider_error — anything else the plugin threw, its result was too deep or large to return,
 *   or its child crashed; the message is logged with the plugin and provider, never returned.
 * Only this call fails: the next call gets a fresh or restarted child.
 *
 * Credentials are handed to the plugin for this call only. `ctx.http` requests are performed by the
 * host (SSRF-safe, within the deadline, auth applied under the provider's baseUrl); `ctx.log` lines go
 * to the host logger tagged with plugin and provider.
 *
 * Two implementations: ChildProcessPluginRunner (PLUGIN_ISOLATION=process, the default) and
 * InProcessPluginRunner (PLUGIN_ISOLATION=none, development and benchmarks).
 */
import { Logger } from '@nestjs/common';
import type { AppConfig } from '../../../core/config/config.js';
import {
  AppError,
  NotFoundError,
  ProviderError,
  ProviderRateLimitedError,
  ProviderRefusalError,
  ProviderTimeoutError,
  ValidationFailedError,
} from '../../../core/errors/app-errors.js';
import { exceedsShape } from '../../../core/json/json-shape.js';
import type { PluginRegistry, RegisteredProvider } from '../plugin-registry.js';
import type { CallContext, CallKind, CallRequest, WireError } from '../runtime/call.js';
import type { PluginDescription, PluginLocation } from '../runtime/description.js';
import type { WireHttpRequest, WireHttpResponse } from '../runtime/plugin-fetch.js';
import { CALL_LIMITS, describeExcess, WireLimitError, type LogLevel } from '../runtime/wire.js';
import type { ProviderHttp } from './provider-http.js';

export type { CallContext, CallKind } from '../runtime/call.js';

export interface ProviderCall {
  kind: CallKind;
  name?: string;
  input?: unknown;
  context: CallContext;
  timeoutMs?: number;
  /** Actions: receives what the plugin asks to keep in the connection's credentials (`ctx.storeCredentials`). */
  storeCredentials?: (values: Record<string, unknown>) => void;
}

/** The plugin could not be loaded: it threw at import, or its export is not a plugin definition. */
export class PluginLoadError extends Error {}

/** A call's deadline passed (internal: becomes 504). */
export class CallDeadlineError extends Error {
  readonly code = 'call_deadline';
}

/** The plugin's child process died during the call (internal: becomes 502). */
export class PluginCrashedError extends Error {
  readonly code = 'plugin_crashed';
}

/** Where a loaded plugin runs: its host process (by trust group) and whether that process is up now. */
export interface PluginHostStatus {
  host: string;
  running: boolean;
}

/** What an implementation needs from the host while a call runs. */
export interface CallHooks {
  http: (request: WireHttpRequest, signal: AbortSignal) => Promise<WireHttpResponse>;
  log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
  storeCredentials?: (values: Record<string, unknown>) => void;
}

export abstract class PluginRunner {
  protected readonly logger = new Logger('PluginRunner');

  constructor(
    protected readonly config: AppConfig,
    protected readonly registry: PluginRegistry,
    protected readonly providerHttp: ProviderHttp,
  ) {}

  /**
   * Makes the plugin callable and describes its definition (from a cache, or by running its code in a
   * sandbox and validating what it described); throws PluginLoadError, or InvalidPluginError when the
   * description is not valid.
   */
  abstract load(plugin: PluginLocation): Promise<PluginDescription>;

  /** Stops the plugin's code (disable, uninstall, reinstall). */
  abstract unload(pluginName: string): Promise<void>;

  abstract close(): Promise<void>;

  /** The host of a loaded plugin; undefined when it is not loaded. */
  abstract status(pluginName: string): PluginHostStatus | undefined;

  /** Runs one call; resolves with the result or rejects with CallDeadlineError, PluginCrashedError or the plugin's WireError. */
  protected abstract execute(plugin: PluginLocation, request: CallRequest, timeoutMs: number, hooks: CallHooks): Promise<unknown>;

  async invoke<T = unknown>(providerId: string, call: ProviderCall): Promise<T> {
    const provider = this.registry.provider(providerId);
    if (!provider) throw new NotFoundError('Provider');
    assertSupported(provider, call);
    const plugin = this.registry.location(provider.plugin.name);
    if (!plugin) throw new NotFoundError('Provider');
    const timeoutMs = call.timeoutMs ?? (call.kind === 'verify' ? this.config.plugins.verifyTimeoutMs : this.config.plugins.callTimeoutMs);
    const deadline = Date.now() + timeoutMs;
    const request: CallRequest = {
      providerId,
      kind: call.kind,
      ...(call.name === undefined ? {} : { name: call.name }),
      ...(call.input === undefined ? {} : { input: call.input }),
      context: call.context,
    };
    const tags = { plugin: plugin.name, provider: providerId, kind: call.kind, ...(call.name ? { name: call.name } : {}) };
    assertCallShape({ input: call.input, context: call.context });
    const hooks: CallHooks = {
      http: (httpRequest, signal) => this.providerHttp.perform(provider, call.context, httpRequest, deadline, signal),
      log: (level, message, fields) => this.logger[level === 'info' ? 'log' : level]({ ...fields, ...tags }, message),
      ...(call.kind === 'action' && call.storeCredentials ? { storeCredentials: call.storeCredentials } : {}),
    };
    let result: unknown;
    try {
      result = await this.execute(plugin, request, timeoutMs, hooks);
    } catch (error) {
      throw this.toAppError(error, tags);
    }
    const excess = exceedsShape(result, CALL_LIMITS);
    if (excess) throw this.toAppError({ code: 'wire_limit', message: `the result ${describeExcess(excess.limit, CALL_LIMITS)}` }, tags);
    return result as T;
  }

  private toAppError(error: unknown, tags: Record<string, string>): AppError {
    if (error instanceof AppError) return error;
    // Raised here, before sending: the request was too large to hand over (the plugin's own are 502s).
    if (error instanceof WireLimitError) return new ValidationFailedError(`The call to the provider plugin could not be sent: ${error.message}`);
    if (error instanceof CallDeadlineError || (error as Partial<WireError> | undefined)?.code === 'call_deadline') {
      this.logger.warn(tags, 'plugin call passed its deadline');
      return new ProviderTimeoutError('The provider plugin did not answer in time');
    }
    const { code, message, retryAfterSeconds } = (error ?? {}) as Partial<WireError>;
    if (code === 'provider_rate_limited') return new ProviderRateLimitedError(retryAfterSeconds ?? 60);
    if (code === 'provider_rejected') return new ProviderRefusalError(typeof message === 'string' && message ? message : 'The provider refused the request');
    this.logger.warn({ ...tags, code, error: message }, 'plugin call failed');
    return new ProviderError();
  }
}

/** A call's input and context stay within what any message to a plugin may hold, whichever runner runs it. */
function assertCallShape(parts: Record<string, unknown>): void {
  for (const [part, value] of Object.entries(parts)) {
    const excess = exceedsShape(value, CALL_LIMITS);
    if (excess) {
      const path = [part, excess.at].filter(Boolean).join('.');
      throw new ValidationFailedError(`The ${part} for the provider plugin ${describeExcess(excess.limit, CALL_LIMITS)}`, [
        { path, message: describeExcess(excess.limit, CALL_LIMITS) },
      ]);
    }
  }
}

function assertSupported(provider: RegisteredProvider, call: ProviderCall): void {
  const supported =
    (call.kind === 'action' && provider.actions.some((action) => action.name === call.name)) ||
    (call.kind === 'onEvent' && call.name !== undefined && provider.events.includes(call.name)) ||
    (call.kind === 'sync' && provider.sync !== null) ||
    ((call.kind === 'webhookVerify' || call.kind === 'webhookToEvents' || call.kind === 'webhookReply') && provider.webhook) ||
    call.kind === 'verify' ||
    call.kind === 'healthCheck';
  if (!supported) {
    throw new NotFoundError(call.kind === 'action' ? 'Action' : call.kind === 'onEvent' ? 'Event handler' : call.kind === 'sync' ? 'Sync' : 'Webhook');
  }
}
