import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PluginContext } from './index.js';
import { readInChunks, type FileChunk, type ReadInChunksOptions } from './index.js';

/** How the local server answers one path. */
interface Served {
  data: Buffer;
  etag?: string;
  lastModified?: string;
  /** false: every GET answers 200 with the whole file. */
  ranges?: boolean;
  /** Ranged answers carry at most this many bytes. */
  maxRange?: number;
  /** Content-Range says `*` for the size. */
  unsized?: boolean;
  /** Answers this status (no body) instead. */
  status?: number;
  /** Moves every range answer this many bytes off what was asked. */
  skew?: number;
  /** After its first answer the file is replaced (another ETag). */
  changes?: boolean;
  /** Ranges from this byte on answer 416 while Content-Range still names the whole size. */
  endsAt?: number;
}

const files = new Map<string, Served>();
const seen: Array<{ path: string; range?: string; ifRange?: string; status: number }> = [];
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    const file = files.get(path);
    const range = request.headers.range;
    const ifRange = request.headers['if-range'] as string | undefined;
    const answer = (status: number, body: Buffer = Buffer.alloc(0), headers: Record<string, string> = {}) => {
      seen.push({ path, ...(range ? { range } : {}), ...(ifRange ? { ifRange } : {}), status });
      response.writeHead(status, { 'content-length': String(body.length), ...headers }).end(body);
      if (file?.changes && status < 300) Object.assign(file, { changes: false, etag: '"v2"', data: Buffer.from(file.data).reverse() });
    };
    if (!file) return answer(404);
    if (file.status) return answer(file.status);
    const validators = { ...(file.etag ? { etag: file.etag } : {}), ...(file.lastModified ? { 'last-modified': file.lastModified } : {}) };
    const headers = { 'content-type': 'video/mp4', ...validators };
    const asked = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
    const current = ifRange === undefined || ifRange === file.etag || ifRange === file.lastModified;
    if (file.ranges === false || !asked || !current) return answer(200, file.data, headers);
    const size = file.data.length;
    const start = Number(asked[1]) + (file.skew ?? 0);
    if (start >= size || start >= (file.endsAt ?? size)) return answer(416, undefined, { 'content-range': `bytes */${size}` });
    const end = Math.min(Number(asked[2]), size - 1, start + (file.maxRange ?? size) - 1);
    return answer(206, file.data.subarray(start, end + 1), { ...headers, 'content-range': `bytes ${start}-${end}/${file.unsized ? '*' : size}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The plugin context's HTTP client, as plain fetch. */
const ctx: Pick<PluginContext, 'http'> = { http: (url, init) => fetch(url, { method: init?.method, headers: init?.headers }) };

let next = 0;
/** Serves `data` at a fresh path; answers its URL. */
function serve(data: Buffer, options: Omit<Served, 'data'> = {}): string {
  const path = `/file-${(next += 1)}`;
  files.set(path, { etag: `"v1-${next}"`, ...options, data });
  return `${origin}${path}`;
}
const bytes = (size: number) => Buffer.from(Array.from({ length: size }, (_, index) => index % 251));
const requestsTo = (url: string) => seen.filter((request) => request.path === new URL(url).pathname);

async function readAll(url: string, options: ReadInChunksOptions = { chunkSize: 1000 }): Promise<FileChunk[]> {
  const chunks: FileChunk[] = [];
  for await (const chunk of readInChunks(ctx, url, options)) chunks.push({ ...chunk, bytes: Uint8Array.from(chunk.bytes) });
  return chunks;
}
const shape = (chunks: FileChunk[]) => chunks.map(({ offset, bytes, total, last }) => ({ offset, size: bytes.length, total, last }));
const joined = (chunks: FileChunk[]) => Buffer.concat(chunks.map((chunk) => chunk.bytes));
/** The chunks of a 2500-byte file read 1000 bytes at a time. */
const OF_2500 = [
  { offset: 0, size: 1000, total: 2500, last: false },
  { offset: 1000, size: 1000, total: 2500, last: false },
  { offset: 2000, size: 500, total: 2500, last: true },
];

describe('readInChunks', () => {
  it('reads a file of known size one range per chunk, with If-Range from the second request on', async () => {
    const data = bytes(2500);
    const url = serve(data);
    const chunks = await readAll(url);
    expect(shape(chunks)).toEqual(OF_2500);
    expect(joined(chunks)).toEqual(data);
    expect(chunks.every((chunk) => chunk.contentType === 'video/mp4')).toBe(true);
    const etag = files.get(new URL(url).pathname)!.etag;
    expect(requestsTo(url)).toEqual([
      { path: expect.any(String), range: 'bytes=0-999', status: 206 },
      { path: expect.any(String), range: 'bytes=1000-1999', ifRange: etag, status: 206 },
      { path: expect.any(String), range: 'bytes=2000-2999', ifRange: etag, status: 206 },
    ]);
  });

  it('reads only as far as the caller goes', async () => {
    const url = serve(bytes(5000));
    for await (const chunk of readInChunks(ctx, url, { chunkSize: 1000 })) {
      expect(chunk.offset).toBe(0);
      break;
    }
    expect(requestsTo(url)).toHaveLength(1);
  });

  it('asks again for the rest of a range the server shortened, so every chunk but the last is whole', async () => {
    const data = bytes(2100);
    const url = serve(data, { maxRange: 400 });
    const chunks = await readAll(url);
    expect(shape(chunks).map(({ size }) => size)).toEqual([1000, 1000, 100]);
    expect(joined(chunks)).toEqual(data);
    expect(requestsTo(url).map((request) => request.range)).toEqual([
      'bytes=0-999',
      'bytes=400-999',
      'bytes=800-999',
      'bytes=1000-1999',
      'bytes=1400-1999',
      'bytes=1800-1999',
      'bytes=2000-2999',
    ]);
  });

  it('reads one chunk ahead when the server does not say the size, and takes 416 as the end', async () => {
    const exact = serve(bytes(2000), { unsized: true });
    expect(shape(await readAll(exact))).toEqual([
      { offset: 0, size: 1000, total: undefined, last: false },
      { offset: 1000, size: 1000, total: 2000, last: true },
    ]);
    expect(requestsTo(exact).map((request) => [request.range, request.status])).toEqual([
      ['bytes=0-999', 206],
      ['bytes=1000-1999', 206],
      ['bytes=2000-2999', 416],
    ]);

    const uneven = serve(bytes(1500), { unsized: true });
    expect(shape(await readAll(uneven))).toEqual([
      { offset: 0, size: 1000, total: 1500, last: false },
      { offset: 1000, size: 500, total: 1500, last: true },
    ]);
    const short = serve(bytes(600), { unsized: true });
    expect(shape(await readAll(short))).toEqual([{ offset: 0, size: 600, total: 600, last: true }]);
    expect(requestsTo(short).map((request) => [request.range, request.status])).toEqual([
      ['bytes=0-999', 206],
      ['bytes=600-999', 416],
    ]);
  });

  it('cuts the one answer of a server without range support into chunks', async () => {
    const data = bytes(2500);
    const url = serve(data, { ranges: false });
    const chunks = await readAll(url);
    expect(shape(chunks)).toEqual(OF_2500);
    expect(joined(chunks)).toEqual(data);
    expect(requestsTo(url)).toHaveLength(1);
  });

  it('refuses a file that changes midway instead of mixing two versions', async () => {
    const url = serve(bytes(2500), { changes: true });
    await expect(readAll(url, { chunkSize: 1000, label: 'recording' })).rejects.toThrow('the recording changed while it was being copied');
    expect(requestsTo(url).map((request) => request.status)).toEqual([206, 200]);
  });

  it('names the file by Last-Modified in If-Range when its ETag is weak', async () => {
    const lastModified = 'Tue, 03 Mar 2026 10:00:00 GMT';
    const url = serve(bytes(1500), { etag: 'W/"weak"', lastModified });
    await readAll(url);
    expect(requestsTo(url).map((request) => request.ifRange)).toEqual([undefined, lastModified]);
  });

  it('refuses an empty file, whether the server answers ranges or not', async () => {
    for (const ranges of [true, false]) {
      await expect(readAll(serve(Buffer.alloc(0), { ranges }), { chunkSize: 1000, label: 'recording' })).rejects.toMatchObject({
        code: 'provider_rejected',
        message: 'The recording is empty: there is nothing to copy.',
      });
    }
  });

  it('refuses a 4xx (shown to the user), fails on a 5xx and on a range other than the one asked', async () => {
    const host = new URL(origin).host;
    await expect(readAll(`${origin}/missing`)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: `The file could not be downloaded: ${host} answered HTTP 404.`,
    });
    const failing = readAll(serve(bytes(10), { status: 503 }));
    await expect(failing).rejects.toThrow(`the file server ${host} answered HTTP 503`);
    await expect(failing).rejects.not.toHaveProperty('code');
    await expect(readAll(serve(bytes(2000), { skew: 1 }))).rejects.toThrow('the file server answered another range than the one asked for');
  });

  it('fails on a server that answers nothing more while naming a larger size, instead of asking forever', async () => {
    await expect(readAll(serve(bytes(2500), { endsAt: 1000 }))).rejects.toThrow('the file server sent nothing at byte 1000 of 2500');
  });

  it('wants a whole, positive chunk size', async () => {
    for (const chunkSize of [0, -1, 1.5, Number.NaN]) {
      await expect(readAll(serve(bytes(10)), { chunkSize })).rejects.toThrow(RangeError);
    }
  });
});
