import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { create, Parser, type ReadEntry } from 'tar';
import { hashPluginFiles, SIGNATURE_FILE } from '../signing/plugin-signature.js';

/** Largest archive accepted, compressed or unpacked. */
export const MAX_ARCHIVE_BYTES = 50 * 1024 * 1024;

/** The archive is refused: unsafe, oversize or not a plugin tarball. The message says why. */
export class UnsafeArchiveError extends Error {}

/** `sha512-<base64>`, as npm writes it in `integrity`. */
export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Whether bytes match an `integrity` value (SRI: any listed sha512 matches). */
export function matchesIntegrity(bytes: Uint8Array, integrity: string): boolean {
  const actual = integrityOf(bytes);
  return integrity
    .split(/\s+/)
    .filter((part) => part.startsWith('sha512-'))
    .some((part) => part.split('?')[0] === actual);
}

interface ArchiveFile {
  path: string;
  mode: number;
  content: Buffer;
}

/** The path inside `package/`, or a reason to refuse the entry. */
function entryPath(raw: string): string | { refusal: string } {
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw) || raw.startsWith('\\')) return { refusal: `absolute path ${raw}` };
  const segments = raw.replace(/\\/g, '/').split('/');
  if (segments.includes('..')) return { refusal: `path with .. (${raw})` };
  const normal = posix.normalize(raw.replace(/\\/g, '/')).replace(/\/$/, '');
  if (normal !== 'package' && !normal.startsWith('package/')) return { refusal: `entry outside package/ (${raw})` };
  return normal.slice('package/'.length);
}

/**
 * Reads a gzipped plugin tarball (`package/…`, as npm pack writes it) into memory, refusing absolute
 * paths, `..`, links and special files, and anything over 50 MB unpacked — before a byte is written.
 */
export async function readPluginArchive(archive: Uint8Array): Promise<ArchiveFile[]> {
  if (archive.byteLength > MAX_ARCHIVE_BYTES) throw new UnsafeArchiveError('the archive is over 50 MB');
  let tarball: Buffer;
  try {
    tarball = gunzipSync(archive, { maxOutputLength: MAX_ARCHIVE_BYTES + 1024 * 1024 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new UnsafeArchiveError('the archive is over 50 MB unpacked');
    throw new UnsafeArchiveError('the archive is not a gzipped tarball');
  }
  const files: ArchiveFile[] = [];
  let refusal: string | undefined;
  let total = 0;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const path = entryPath(entry.path);
      if (typeof path !== 'string') refusal ??= path.refusal;
      else if (entry.type === 'SymbolicLink' || entry.type === 'Link') refusal ??= `link ${entry.path}`;
      else if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile' && entry.type !== 'Directory') {
        refusal ??= `special entry ${entry.path} (${entry.type})`;
      }
      total += entry.size ?? 0;
      if (total > MAX_ARCHIVE_BYTES) refusal ??= 'the archive is over 50 MB unpacked';
      if (refusal || entry.type === 'Directory' || typeof path !== 'string' || path === '') {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => files.push({ path, mode: (entry.mode ?? 0o644) & 0o111 ? 0o755 : 0o644, content: Buffer.concat(chunks) }));
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', (error: Error) => reject(new UnsafeArchiveError(`the archive is not a valid tarball: ${error.message}`)));
    parser.on('warn', (code: string, message: string | Error) => {
      refusal ??= `the archive is not a valid tarball: ${typeof message === 'string' ? message : message.message} (${code})`;
    });
    parser.on('end', () => resolve());
    parser.end(tarball);
  });
  if (refusal) throw new UnsafeArchiveError(`unsafe archive: ${refusal}`);
  if (!files.some((file) => file.path === 'package.json')) throw new UnsafeArchiveError('the archive has no package/package.json');
  return files;
}

/** Writes an archive's files under `dir` (which becomes the plugin directory). */
export async function unpackPluginArchive(archive: Uint8Array, dir: string): Promise<void> {
  const files = await readPluginArchive(archive);
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const target = join(dir, ...file.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, { mode: file.mode, flag: 'wx' });
  }
}

/**
 * `plugboard plugin pack`: a gzipped tarball of the plugin's package files (the ones `sign` covers,
 * and the signature) under `package/`, as npm pack lays it out. Returns the bytes.
 */
export async function packPlugin(dir: string): Promise<Buffer> {
  const { files, irregular } = hashPluginFiles(dir, { packageOnly: true });
  if (irregular.length > 0) throw new UnsafeArchiveError(`only regular files can be packed: ${irregular.join(', ')}`);
  const paths = [...Object.keys(files), ...(existsSync(join(dir, SIGNATURE_FILE)) ? [SIGNATURE_FILE] : [])].sort();
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd: dir, prefix: 'package', portable: true, noDirRecurse: true, mtime: new Date('1985-10-26T08:15:00Z') }, paths);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
