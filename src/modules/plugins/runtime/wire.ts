/** Messages between the host and a plugin's child process (IPC, advanced serialisation). */
import type { CallRequest, WireError } from './call.js';
import type { PluginDescription } from './description.js';
import type { WireHttpRequest, WireHttpResponse } from './plugin-fetch.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type HostMessage =
  | { type: 'call'; id: number; request: CallRequest; timeoutMs: number }
  | { type: 'abort'; id: number }
  | { type: 'http-result'; id: number; response?: WireHttpResponse; error?: WireError }
  | { type: 'ping'; id: number };

export type ChildMessage =
  | { type: 'ready'; description: PluginDescription }
  | { type: 'load-failed'; error: WireError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'http'; id: number; callId: number; request: WireHttpRequest }
  | { type: 'log'; callId: number; level: LogLevel; message: string; fields?: Record<string, unknown> }
  | { type: 'pong'; id: number };
