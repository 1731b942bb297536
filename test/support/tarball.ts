import { gzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  /** Default: a regular file. */
  type?: 'file' | 'directory' | 'symlink' | 'hardlink';
  content?: string | Buffer;
  linkTarget?: string;
  /** Declared size, when it should differ from the content (oversize claims). */
  size?: number;
}

const TYPE_FLAGS = { file: '0', hardlink: '1', symlink: '2', directory: '5' } as const;

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  const write = (value: string, offset: number, length: number) => block.write(value, offset, length, 'utf8');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  write(entry.path, 0, 100);
  write(octal(entry.type === 'directory' ? 0o755 : 0o644, 8), 100, 8);
  write(octal(0, 8), 108, 8);
  write(octal(0, 8), 116, 8);
  write(octal(size, 12), 124, 12);
  write(octal(0, 12), 136, 12);
  write('        ', 148, 8);
  write(TYPE_FLAGS[entry.type ?? 'file'], 156, 1);
  write(entry.linkTarget ?? '', 157, 100);
  write('ustar\0', 257, 6);
  write('00', 263, 2);
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/**
 * A gzipped tarball written byte by byte, so tests can build archives that tar libraries refuse to
 * create: `..` paths, absolute paths, links.
 */
export function tarball(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? '');
    blocks.push(header(entry, entry.size ?? (entry.type === 'file' || entry.type === undefined ? content.length : 0)));
    if (content.length > 0) blocks.push(content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
