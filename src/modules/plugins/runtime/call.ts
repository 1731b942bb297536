/**
 * One call into a provider, identical in a child process and in-process. Erasable TypeScript only:
 * loaded as-is by sandboxed children.
 */
import {
  compileProvider,
  type CodeProvider,
  type IntegrationInfo,
  type PluginContext,
  type PluginDefinition,
  type ProviderDefinition,
} from '../../../sdk/index.js';

export type CallKind = 'verify' | 'healthCheck' | 'action' | 'sync' | 'webhookVerify' | 'webhookToEvents' | 'webhookReply' | 'onEvent';

export interface CallContext {
  credentials: Record<string, unknown>;
  settings: Record<string, unknown>;
  integration: IntegrationInfo;
  /** The account's own OAuth client the connection uses, when not the operator's: `app` rate limits are per client. */
  oauthClientId?: string;
}

export interface CallRequest {
  providerId: string;
  kind: CallKind;
  /** The action name for `action`, the event type for `onEvent`. */
  name?: string;
  input?: unknown;
  context: CallContext;
}

/** An error as it crosses a process boundary: recognised by `code`, never by class. */
export interface WireError {
  code?: string;
  message: string;
  /** A rate limit's `Retry-After`, in seconds (the SDK's ProviderRateLimitedError). */
  retryAfterSeconds?: number;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof Error || (typeof error === 'object' && error !== null)) {
    const { code, message, retryAfterSeconds } = error as { code?: unknown; message?: unknown; retryAfterSeconds?: unknown };
    return {
      ...(typeof code === 'string' ? { code } : {}),
      message: typeof message === 'string' ? message : 'the plugin threw an object without a message',
      ...(typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds) ? { retryAfterSeconds } : {}),
    };
  }
  return { message: String(error) };
}

/** Raised inside the runtime when the host asks for something the provider does not have. */
export class UnsupportedCallError extends Error {
  readonly code = 'unsupported_call';
}

/** Declarations compiled once per provider (SDK 1.1); code providers come out as they went in. */
const compiled = new WeakMap<ProviderDefinition, CodeProvider>();

export async function executeCall(definition: PluginDefinition, request: CallRequest, ctx: PluginContext): Promise<unknown> {
  const declared: ProviderDefinition | undefined = definition.providers.find((candidate) => candidate.id === request.providerId);
  if (!declared) throw new UnsupportedCallError(`this plugin has no provider "${request.providerId}"`);
  let provider = compiled.get(declared);
  if (!provider) compiled.set(declared, (provider = compileProvider(declared)));
  const missing = (what: string) => new UnsupportedCallError(`provider "${provider.id}" has no ${what}`);
  switch (request.kind) {
    case 'verify':
      return provider.verify ? ((await provider.verify(ctx)) ?? {}) : {};
    case 'healthCheck':
      if (provider.healthCheck) await provider.healthCheck(ctx);
      return null;
    case 'action': {
      const action = request.name === undefined ? undefined : provider.actions?.[request.name];
      if (!action || !Object.hasOwn(provider.actions ?? {}, request.name!)) throw missing(`action "${request.name}"`);
      return action.run(ctx, request.input);
    }
    case 'sync':
      if (!provider.sync) throw missing('sync');
      return (await provider.sync.run(ctx, request.input as { highWaterMarks?: Record<string, string> } | undefined)) ?? {};
    case 'webhookVerify':
      if (!provider.webhook) throw missing('webhook');
      return (await provider.webhook.verify(ctx, request.input as never)) === true;
    case 'webhookToEvents':
      if (!provider.webhook) throw missing('webhook');
      return (await provider.webhook.toEvents(ctx, request.input as never)) ?? [];
    case 'webhookReply':
      if (!provider.webhook) throw missing('webhook');
      return (await provider.webhook.reply?.(ctx, request.input as never)) ?? null;
    case 'onEvent': {
      const handler = request.name === undefined ? undefined : provider.onEvent?.[request.name];
      if (!handler || !Object.hasOwn(provider.onEvent ?? {}, request.name!)) throw missing(`onEvent handler for "${request.name}"`);
      await handler(ctx, request.input as never);
      return null;
    }
    default:
      throw new UnsupportedCallError(`unknown call kind "${String(request.kind)}"`);
  }
}
