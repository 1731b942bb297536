/**
 * The plugin host inside a child process: loads the one plugin it was started for, describes it, and
 * runs calls. Credentials arrive with each call and live only in that call's context.
 */
import { pathToFileURL } from 'node:url';
import type { PluginDefinition } from '../../../sdk/index.js';
import { executeCall, toWireError, type CallRequest } from './call.js';
import { describeDefinition } from './description.js';
import { createPluginHttp, type WireHttpRequest, type WireHttpResponse } from './plugin-fetch.js';
import type { ChildMessage, HostMessage, LogLevel } from './wire.js';

const send = (message: ChildMessage) => process.send!(message);

/** Matches the host's CallDeadlineError by code. */
class DeadlineError extends Error {
  readonly code = 'call_deadline';
}

const running = new Map<number, AbortController>();
const pendingHttp = new Map<number, { resolve: (response: WireHttpResponse) => void; reject: (error: Error) => void }>();
let nextHttpId = 1;

function httpTransport(callId: number) {
  return (request: WireHttpRequest, signal: AbortSignal) =>
    new Promise<WireHttpResponse>((resolve, reject) => {
      const id = nextHttpId++;
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
      send({ type: 'http', id, callId, request });
    });
}

function logger(callId: number) {
  const at = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) =>
    send({ type: 'log', callId, level, message: String(message), ...(fields ? { fields: JSON.parse(JSON.stringify(fields)) } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function run(definition: PluginDefinition, id: number, request: CallRequest, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  const timer = setTimeout(() => controller.abort(new DeadlineError('the call deadline passed')), timeoutMs);
  try {
    const ctx = {
      ...request.context,
      http: createPluginHttp(httpTransport(id), controller.signal),
      log: logger(id),
      signal: controller.signal,
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

async function main(): Promise<void> {
  let definition: PluginDefinition;
  try {
    const module = (await import(pathToFileURL(process.env.PLUGBOARD_PLUGIN_ENTRY!).href)) as { default?: unknown };
    const description = describeDefinition(module.default);
    definition = module.default as PluginDefinition;
    send({ type: 'ready', description });
  } catch (error) {
    // The host ends this process once it has the message; exiting here could lose it.
    process.channel?.ref();
    send({ type: 'load-failed', error: toWireError(error) });
    return;
  }
  process.on('message', (message: HostMessage) => {
    switch (message.type) {
      case 'call':
        void run(definition, message.id, message.request, message.timeoutMs);
        return;
      case 'abort':
        running.get(message.id)?.abort(new DeadlineError('the call deadline passed'));
        return;
      case 'http-result': {
        const pending = pendingHttp.get(message.id);
        if (!pending) return;
        pendingHttp.delete(message.id);
        if (message.response) pending.resolve(message.response);
        else pending.reject(Object.assign(new Error(message.error?.message ?? 'request failed'), { code: message.error?.code }));
        return;
      }
      case 'ping':
        send({ type: 'pong', id: message.id });
        return;
    }
  });
  // The host going away ends the child.
  process.on('disconnect', () => process.exit(0));
}

await main();
