/**
 * Messages between the host and a plugin host process: v8 serialisations (structured clone), each
 * behind a 4-byte length, on a pipe of their own (the child's fd 3). Not Node's IPC channel: its
 * parser throws out of the event loop when a message is too deep to deserialise, which kills the
 * receiving process, host or child. Here every message is bounded before it is sent and checked
 * when it arrives, and a bad one is reported, never thrown. Erasable TypeScript only.
 */
import { deserialize, serialize } from 'node:v8';
import { exceedsShape, type ShapeLimits } from '../../../core/json/json-shape.js';
import type { CallRequest, WireError } from './call.js';
import type { WireHttpRequest, WireHttpResponse } from './plugin-fetch.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type HostMessage =
  | { type: 'call'; id: number; plugin: string; request: CallRequest; timeoutMs: number }
  /** Answered with `result` (the plugin's PluginDescription) or `error` (code `load_failed` or `invalid_definition`). */
  | { type: 'describe'; id: number; plugin: string }
  | { type: 'abort'; id: number }
  | { type: 'http-result'; id: number; response?: WireHttpResponse; error?: WireError }
  | { type: 'ping'; id: number };

export type ChildMessage =
  /** The runtime is up; plugins are imported on their first call. */
  | { type: 'ready' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'http'; id: number; callId: number; request: WireHttpRequest }
  | { type: 'log'; callId: number; level: LogLevel; message: string; fields?: Record<string, unknown> }
  | { type: 'store-credentials'; callId: number; values: Record<string, unknown> }
  | { type: 'pong'; id: number };

/**
 * Any one message: room for a call's payload (CALL_LIMITS) inside its envelope, and far below the
 * ~1,000 levels at which v8's deserialiser runs out of stack.
 */
export const WIRE_LIMITS: ShapeLimits = { maxDepth: 64, maxEntries: 4_000_000 };

/** A call's input, context and result each: accepted JSON (32 levels) inside a few levels of wrapping (feed events, webhook requests). */
export const CALL_LIMITS: ShapeLimits = { maxDepth: 48, maxEntries: 2_000_000 };

/** Above the 25 MB a `ctx.http` response may have. */
export const WIRE_MAX_BYTES = 32 * 1024 * 1024;

const HEADER_BYTES = 4;

/** A message that may not cross: too deep, too large, or holding what cannot be cloned. */
export class WireLimitError extends Error {
  readonly code = 'wire_limit';
}

/** What passing `limits` means, for error messages. */
export function describeExcess(limit: 'depth' | 'entries', limits: ShapeLimits): string {
  return limit === 'depth' ? `is nested deeper than ${limits.maxDepth} levels` : `holds more than ${limits.maxEntries} keys and items`;
}

/** The bytes to write for `message`; throws WireLimitError when it may not cross. */
export function encodeMessage(message: HostMessage | ChildMessage): Buffer {
  const excess = exceedsShape(message, WIRE_LIMITS);
  if (excess) throw new WireLimitError(`the message ${describeExcess(excess.limit, WIRE_LIMITS)}`);
  let payload: Buffer;
  try {
    payload = serialize(message);
  } catch (error) {
    throw new WireLimitError(`the message cannot be sent: ${(error as Error).message}`);
  }
  if (payload.length > WIRE_MAX_BYTES) throw new WireLimitError(`the message is larger than ${WIRE_MAX_BYTES} bytes`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

/**
 * Splits the byte stream into messages. A frame longer than WIRE_MAX_BYTES is skipped unread; one that
 * does not deserialise, passes WIRE_LIMITS or is not a message is reported to `onRefused`. Both
 * continue with the next frame.
 */
export class MessageDecoder<T extends { type: string }> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private skipping = 0;
  private readonly onMessage: (message: T) => void;
  private readonly onRefused: (error: WireLimitError) => void;

  constructor(onMessage: (message: T) => void, onRefused: (error: WireLimitError) => void) {
    this.onMessage = onMessage;
    this.onRefused = onRefused;
  }

  push(chunk: Buffer): void {
    if (this.skipping > 0) {
      const skipped = Math.min(this.skipping, chunk.length);
      this.skipping -= skipped;
      chunk = chunk.subarray(skipped);
    }
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= HEADER_BYTES) {
      if (this.chunks[0].length < HEADER_BYTES) this.joined();
      const end = HEADER_BYTES + this.chunks[0].readUInt32BE(0);
      if (end - HEADER_BYTES > WIRE_MAX_BYTES) {
        const bytes = this.joined();
        const dropped = Math.min(bytes.length, end);
        this.skipping = end - dropped;
        this.keep(bytes.subarray(dropped));
        this.onRefused(new WireLimitError(`a message larger than ${WIRE_MAX_BYTES} bytes was skipped`));
      } else if (this.buffered < end) {
        return;
      } else {
        const bytes = this.joined();
        this.keep(bytes.subarray(end));
        this.deliver(bytes.subarray(HEADER_BYTES, end));
      }
    }
  }

  /** The buffered bytes as one buffer (joined only once a whole frame is there, so each byte is copied once). */
  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  private deliver(payload: Buffer): void {
    let message: unknown;
    try {
      message = deserialize(payload);
    } catch (error) {
      this.onRefused(new WireLimitError(`a message could not be read: ${(error as Error).message}`));
      return;
    }
    const excess = exceedsShape(message, WIRE_LIMITS);
    if (excess) this.onRefused(new WireLimitError(`a message ${describeExcess(excess.limit, WIRE_LIMITS)}`));
    else if (typeof (message as Partial<T> | null)?.type !== 'string') this.onRefused(new WireLimitError('a message without a type was skipped'));
    else this.onMessage(message as T);
  }
}
