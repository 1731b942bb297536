/**
 * The plugin host inside a child process: holds the plugins it was started for (one publisher's, or one
 * unsigned plugin), imports each on its first call or description, each from its own entry in its own
 * module scope, and runs calls. Credentials arrive with each call and live only in that call's context.
 */
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from '../../../sdk/index.js';
import { executeCall, toWireError, type CallRequest } from './call.js';
import { describeDefinition, type PluginDescription } from './description.js';
import { createPluginHttp, type WireHttpRequest, type WireHttpResponse } from './plugin-fetch.js';
import { encodeMessage, MessageDecoder, type ChildMessage, type HostMessage, type LogLevel } from './wire.js';

/** The pipe to the host (see wire.ts). */
const channel = new Socket({ fd: 3, readable: true, writable: true });

/** Throws WireLimitError, before anything is written, when the message may not cross. */
const send = (message: ChildMessage) => channel.write(encodeMessage(message));

/** Matches the host's CallDeadlineError by code. */
class DeadlineError extends Error {
  readonly code = 'call_deadline';
}

const running = new Map<number, AbortController>();
const pendingHttp = new Map<number, { resolve: (response: WireHttpResponse) => void; reject: (error: Error) => void }>();
let nextHttpId = 1;

function httpTransport(callId: number) {
  return (request: WireHttpRequest, signal: AbortSignal) => {
    const id = nextHttpId++;
    // A request that may not cross (a body over the wire's size) fails here, for this plugin call only.
    const frame = encodeMessage({ type: 'http', id, callId, request });
    return new Promise<WireHttpResponse>((resolve, reject) => {
      const onAbort = () => {
        pendingHttp.delete(id);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      pendingHttp.set(id, {
        resolve: (response) => {
          signal.removeEventListener('abort', onAbort);
          resolve(response);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      channel.write(frame);
    });
  };
}

function logger(callId: number) {
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    try {
      send({
        type: 'log',
        callId,
        level,
        message: String(message),
        ...(fields ? { fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown> } : {}),
      });
    } catch (error) {
      // Fields too deep, large or circular to log must not fail the plugin's call.
      send({ type: 'log', callId, level, message: String(message), fields: { fieldsDropped: (error as Error).message } });
    }
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Matches the host's expectations by code: the plugin's code could not be imported. */
class LoadFailedError extends Error {
  readonly code = 'load_failed';
}

/** name → entry file, as the host started this process. */
const entries = new Map(Object.entries(JSON.parse(process.env.PLUGBOARD_PLUGINS ?? '{}') as Record<string, string>));
const loaded = new Map<string, Promise<{ definition: PluginDefinition; description: PluginDescription }>>();

function load(plugin: string) {
  let pending = loaded.get(plugin);
  if (!pending) {
    const entry = entries.get(plugin);
    pending = (async () => {
      if (!entry) throw new LoadFailedError(`this host does not hold the plugin ${plugin}`);
      let exported: unknown;
      try {
        exported = ((await import(pathToFileURL(entry).href)) as { default?: unknown }).default;
      } catch (error) {
        throw new LoadFailedError((error as Error)?.message ?? String(error));
      }
      return { definition: exported as PluginDefinition, description: describeDefinition(exported) };
    })();
    loaded.set(plugin, pending);
  }
  return pending;
}

async function describe(id: number, plugin: string): Promise<void> {
  try {
    send({ type: 'result', id, value: (await load(plugin)).description });
  } catch (error) {
    send({ type: 'error', id, error: toWireError(error) });
  }
}

async function run(id: number, plugin: string, request: CallRequest, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  const timer = setTimeout(() => controller.abort(new DeadlineError('the call deadline passed')), timeoutMs);
  try {
    const { definition } = await load(plugin);
    const ctx = {
      ...request.context,
      http: createPluginHttp(httpTransport(id), controller.signal),
      log: logger(id),
      signal: controller.signal,
      ...(request.kind === 'action'
        ? {
            storeCredentials: (values: Record<string, unknown>) =>
              send({ type: 'store-credentials', callId: id, values: JSON.parse(JSON.stringify(values)) as Record<string, unknown> }),
          }
        : {}),
    };
    const value = await executeCall(definition, request, ctx);
    send({ type: 'result', id, value });
  } catch (error) {
    // Whatever a plugin throws once its deadline passed is the deadline's doing.
    const deadlinePassed = controller.signal.aborted && controller.signal.reason instanceof DeadlineError;
    send({ type: 'error', id, error: deadlinePassed ? toWireError(controller.signal.reason) : toWireError(error) });
  } finally {
    clearTimeout(timer);
    running.delete(id);
  }
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case 'call':
      void run(message.id, message.plugin, message.request, message.timeoutMs);
      return;
    case 'describe':
      void describe(message.id, message.plugin);
      return;
    case 'abort':
      running.get(message.id)?.abort(new DeadlineError('the call deadline passed'));
      return;
    case 'http-result': {
      const pending = pendingHttp.get(message.id);
      if (!pending) return;
      pendingHttp.delete(message.id);
      if (message.response) pending.resolve(message.response);
      else
        pending.reject(
          Object.assign(new Error(message.error?.message ?? 'request failed'), {
            code: message.error?.code,
            retryAfterSeconds: message.error?.retryAfterSeconds,
          }),
        );
      return;
    }
    case 'ping':
      send({ type: 'pong', id: message.id });
      return;
  }
}

// A message that cannot be read is skipped and reported on stderr (the host logs it): never fatal.
const decoder = new MessageDecoder<HostMessage>(handle, (error) => process.stderr.write(`plugin runtime: ${error.message}\n`));
channel.on('data', (chunk: Buffer) => decoder.push(chunk));
// The host going away ends the child.
channel.on('close', () => process.exit(0));
send({ type: 'ready' });
