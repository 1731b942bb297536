/**
 * Reading a large file at a URL chunk by chunk (`readInChunks`), for plugins that copy files (a
 * session's recording) somewhere else. `ctx.http` hands a plugin whole, size-capped answers, so a
 * file larger than one answer is read as consecutive byte ranges (RFC 9110 `Range`), at most one
 * chunk each. Imports only the contract and Node, and uses only erasable TypeScript, so the plugin
 * host can load it in a sandboxed child process as it is.
 */
import type { PluginContext } from './contract.js';
import { ProviderRejectedError } from './contract.js';

/** One chunk of a file read by `readInChunks`. */
export interface FileChunk {
  /** Where the chunk starts in the file. */
  offset: number;
  /** `chunkSize` bytes; fewer only in the last chunk. */
  bytes: Uint8Array;
  /** The file's size: known on the last chunk, and on earlier ones when the server says it. */
  total: number | undefined;
  /** Whether this is the file's last chunk. */
  last: boolean;
  /** The `Content-Type` the server answered with. */
  contentType: string | undefined;
}

export interface ReadInChunksOptions {
  /** The size of every chunk but the last, in bytes (within what `ctx.http` reads in one answer). */
  chunkSize: number;
  /** What the file is, in error messages ("The recording could not be downloaded: …"); default `file`. */
  label?: string;
}

/** What is known of the file being read: the validator and type of its first answer. */
interface Source {
  url: string;
  label: string;
  validator?: string;
  contentType?: string;
}

/** Bytes read from `start`; `whole` when the server ignored the range and answered the whole file. */
interface Piece {
  bytes: Uint8Array;
  total: number | undefined;
  whole?: boolean;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
const EMPTY = new Uint8Array(0);

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

/**
 * One ranged GET. `If-Range` with the first answer's validator (a strong ETag, else Last-Modified)
 * makes a file that changes midway fail instead of mixing two versions: the server answers the whole
 * new file (200), which is refused past the first range.
 */
async function fetchRange(ctx: Pick<PluginContext, 'http'>, source: Source, start: number, length: number): Promise<Piece> {
  const headers: Record<string, string> = { range: `bytes=${start}-${start + length - 1}`, 'accept-encoding': 'identity' };
  if (source.validator) headers['if-range'] = source.validator;
  const response = await ctx.http(source.url, { headers });
  const status = response.status;
  if (status === 206) {
    const match = CONTENT_RANGE.exec(response.headers.get('content-range') ?? '');
    if (!match || Number(match[1]) !== start || Number(match[2]) < start)
      throw new Error(`the ${source.label} server answered another range than the one asked for`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== Number(match[2]) - start + 1) throw new Error(`the ${source.label} server sent another number of bytes than its Content-Range says`);
    const etag = response.headers.get('etag');
    source.validator ??= etag && !etag.startsWith('W/') ? etag : (response.headers.get('last-modified') ?? undefined);
    source.contentType ??= response.headers.get('content-type') ?? undefined;
    return { bytes, total: match[3] === '*' ? undefined : Number(match[3]) };
  }
  if (status === 416) {
    await response.arrayBuffer();
    const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
    return { bytes: EMPTY, total: total === undefined ? start : Number(total) };
  }
  if (status === 200) {
    // No range support: the host has read the whole (size-capped) answer already.
    if (start !== 0) throw new Error(`the ${source.label} changed while it was being copied`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    source.contentType ??= response.headers.get('content-type') ?? undefined;
    return { bytes, total: bytes.length, whole: true };
  }
  await response.arrayBuffer();
  const where = new URL(source.url).host;
  if (status >= 400 && status < 500) throw new ProviderRejectedError(`The ${source.label} could not be downloaded: ${where} answered HTTP ${status}.`);
  throw new Error(`the ${source.label} server ${where} answered HTTP ${status}`);
}

/** `length` bytes from `start` (fewer only at the end), in as many ranged GETs as the server needs. */
async function readChunk(ctx: Pick<PluginContext, 'http'>, source: Source, start: number, length: number): Promise<Piece> {
  const parts: Uint8Array[] = [];
  let got = 0;
  let total: number | undefined;
  while (got < length) {
    const piece = await fetchRange(ctx, source, start + got, length - got);
    if (piece.whole) return piece;
    total = piece.total;
    if (piece.bytes.length === 0) break;
    parts.push(piece.bytes);
    got += piece.bytes.length;
    if (total !== undefined && start + got >= total) break;
  }
  return { bytes: parts.length === 1 ? parts[0] : concat(parts, got), total };
}

/**
 * The file at `url` as consecutive chunks of `chunkSize` bytes, read with `ctx.http` one chunk at a
 * time as the caller asks for them, so a file of any size is copied holding at most two chunks (one
 * read ahead, only when the server does not say the total size).
 *
 * Each chunk is a ranged GET (`Range`, and `If-Range` after the first answer); a server that answers
 * a shorter range is asked for the rest, one that answers 416 has no more, and one without range
 * support (200, the whole file) has its answer cut into chunks. Refused: an empty file and a 4xx
 * answer (ProviderRejectedError, shown to the user); a file that changes midway, a server that
 * answers other ranges than asked, and a 5xx answer (plain errors).
 *
 * ```js
 * for await (const chunk of readInChunks(ctx, url, { chunkSize: 8 * 1024 * 1024, label: 'recording' })) {
 *   await send(chunk.bytes, chunk.offset, chunk.last ? chunk.total : undefined);
 * }
 * ```
 */
export async function* readInChunks(ctx: Pick<PluginContext, 'http'>, url: string, options: ReadInChunksOptions): AsyncGenerator<FileChunk> {
  const { chunkSize, label = 'file' } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a whole number of bytes, at least 1 (got ${chunkSize})`);
  const source: Source = { url, label };
  const empty = () => new ProviderRejectedError(`The ${label} is empty: there is nothing to copy.`);
  let offset = 0;
  let ahead: Piece | undefined;
  for (;;) {
    const piece = ahead ?? (await readChunk(ctx, source, offset, chunkSize));
    ahead = undefined;
    if (piece.whole) {
      if (piece.bytes.length === 0) throw empty();
      for (let at = 0; at < piece.bytes.length; at += chunkSize) {
        const bytes = piece.bytes.subarray(at, at + chunkSize);
        yield { bytes, offset: at, total: piece.total, last: at + bytes.length >= piece.bytes.length, contentType: source.contentType };
      }
      return;
    }
    if (offset === 0 && piece.bytes.length === 0) throw empty();
    // Nothing more, yet a larger size named: asking again would never end.
    if (piece.bytes.length === 0 && piece.total !== undefined && piece.total > offset) {
      throw new Error(`the ${label} server sent nothing at byte ${offset} of ${piece.total}`);
    }
    const end = offset + piece.bytes.length;
    let total = piece.total;
    if (total === undefined && piece.bytes.length === chunkSize) {
      ahead = await readChunk(ctx, source, end, chunkSize);
      if (ahead.bytes.length === 0) {
        total = end;
        ahead = undefined;
      } else total = ahead.total;
    } else if (total === undefined) total = end;
    const last = total !== undefined && end >= total;
    yield { bytes: piece.bytes, offset, total, last, contentType: source.contentType };
    if (last) return;
    offset = end;
  }
}
