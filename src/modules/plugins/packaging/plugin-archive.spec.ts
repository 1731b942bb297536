import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarball } from '../../../../test/support/tarball.js';
import { integrityOf, matchesIntegrity, packPlugin, readPluginArchive, unpackPluginArchive } from './plugin-archive.js';

const pkg = JSON.stringify({ name: 'p', version: '1.0.0', type: 'module', main: 'index.js', plugboard: { apiVersion: '^1.0.0' } });

describe('plugin archives', () => {
  it('packs every file under package/ and unpacks it byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pack-'));
    writeFileSync(join(dir, 'package.json'), pkg);
    writeFileSync(join(dir, 'index.js'), 'export default {};\n');
    const archive = await packPlugin(dir);
    const files = await readPluginArchive(archive);
    expect(files.map((file) => file.path).sort()).toEqual(['index.js', 'package.json']);
    const out = join(mkdtempSync(join(tmpdir(), 'unpack-')), 'plugin');
    await unpackPluginArchive(archive, out);
    expect(readFileSync(join(out, 'index.js'), 'utf8')).toBe('export default {};\n');
  });

  it('checks sha512 integrity as npm writes it', () => {
    const bytes = Buffer.from('archive');
    expect(integrityOf(bytes)).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
    expect(matchesIntegrity(bytes, integrityOf(bytes))).toBe(true);
    expect(matchesIntegrity(bytes, integrityOf(Buffer.from('other')))).toBe(false);
    expect(matchesIntegrity(bytes, 'sha1-abc')).toBe(false);
  });

  it.each([
    ['a .. path', [{ path: 'package/../../evil.js', content: 'x' }], /path with \.\./],
    ['an absolute path', [{ path: '/etc/evil', content: 'x' }], /absolute path/],
    ['a symbolic link', [{ path: 'package/link', type: 'symlink' as const, linkTarget: '/etc/passwd' }], /link package\/link/],
    ['a hard link', [{ path: 'package/hard', type: 'hardlink' as const, linkTarget: 'package/package.json' }], /link package\/hard/],
    ['an entry outside package/', [{ path: 'other/file.js', content: 'x' }], /outside package/],
  ])('refuses %s before writing anything', async (_name, entries, reason) => {
    const archive = tarball([{ path: 'package/package.json', content: pkg }, ...entries]);
    await expect(readPluginArchive(archive)).rejects.toThrow(reason);
  });

  it('refuses archives over 50 MB unpacked, and bytes that are not a gzipped tarball', async () => {
    const huge = gzipSync(Buffer.alloc(52 * 1024 * 1024));
    await expect(readPluginArchive(huge)).rejects.toThrow(/over 50 MB unpacked/);
    await expect(readPluginArchive(Buffer.from('plain text'))).rejects.toThrow(/not a gzipped tarball/);
  });
});
