import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Inject, Injectable } from '@nestjs/common';
import semver from 'semver';
import { APP_CONFIG } from '../../../core/config/config.module.js';
import type { AppConfig } from '../../../core/config/config.js';
import { NotFoundError, PluginRejectedError, UnavailableError } from '../../../core/errors/app-errors.js';
import { SafeHttpClient } from '../../../core/http/safe-http.js';
import { MAX_ARCHIVE_BYTES } from '../packaging/plugin-archive.js';
import { isCompatible } from '../plugin-manifest.js';
import { createSchemaCompiler } from '../plugin-registry.js';

export interface MarketplaceEntry {
  name: string;
  version: string;
  description?: string;
  publisher?: string;
  apiVersion: string;
  providers: string[];
  /** Absolute: an https: or file: URL. */
  tarball: string;
  integrity: string;
}

/** Where an install's archive comes from, and what it must be. */
export interface ArchiveSource {
  location: string;
  /** The catalog entry, when installing from the marketplace (name, version and integrity checked). */
  entry?: MarketplaceEntry;
}

const INDEX_SCHEMA = {
  type: 'object',
  required: ['plugins'],
  properties: {
    plugins: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'version', 'apiVersion', 'providers', 'tarball', 'integrity'],
        properties: {
          name: { type: 'string', minLength: 1 },
          version: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          publisher: { type: 'string' },
          apiVersion: { type: 'string', minLength: 1 },
          providers: { type: 'array', items: { type: 'string' } },
          tarball: { type: 'string', minLength: 1 },
          integrity: { type: 'string', pattern: '^sha512-' },
        },
      },
    },
  },
};
const validateIndex = createSchemaCompiler().compile(INDEX_SCHEMA);

/** The marketplace catalog (MARKETPLACE_INDEX) and the download of plugin archives. */
@Injectable()
export class MarketplaceService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly http: SafeHttpClient,
  ) {}

  /** Every catalog entry, by name then newest version first. */
  async entries(): Promise<MarketplaceEntry[]> {
    const index = this.config.plugins.marketplaceIndex;
    let raw: string;
    try {
      raw = /^https?:/.test(index)
        ? new TextDecoder().decode(await this.download(index))
        : await readFile(index.startsWith('file:') ? fileURLToPath(index) : index, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new UnavailableError('The marketplace index cannot be read');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new UnavailableError('The marketplace index is not valid JSON');
    }
    if (!validateIndex(parsed)) throw new UnavailableError('The marketplace index does not have the expected shape');
    const base = /^[a-z]+:/.test(index) ? index : pathToFileURL(index).href;
    return (parsed as { plugins: MarketplaceEntry[] }).plugins
      .map((entry) => ({ ...entry, tarball: isAbsolute(entry.tarball) ? pathToFileURL(entry.tarball).href : new URL(entry.tarball, base).href }))
      .sort((a, b) => (a.name === b.name ? compareVersions(b.version, a.version) : a.name < b.name ? -1 : 1));
  }

  /** `name@version`, or `name` for the newest version this host can run. */
  async find(spec: string): Promise<MarketplaceEntry> {
    const at = spec.lastIndexOf('@');
    const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
    const candidates = (await this.entries()).filter((entry) => entry.name === name);
    const entry = version
      ? candidates.find((candidate) => candidate.version === version)
      : (candidates.find((candidate) => isCompatible(candidate.apiVersion)) ?? candidates[0]);
    if (!entry) throw new NotFoundError('Marketplace entry');
    return entry;
  }

  /** Resolves what `POST /v1/plugins` was given: a tarball URL or absolute path, else a marketplace entry. */
  async resolveSource(source: string): Promise<ArchiveSource> {
    if (/^(https|file):/i.test(source)) return { location: source };
    if (/^http:/i.test(source) && this.config.allowPrivateNetwork) return { location: source };
    if (/^[a-z][a-z0-9+.-]*:/i.test(source)) throw new PluginRejectedError('A tarball URL must be https: or file:');
    if (isAbsolute(source)) return { location: pathToFileURL(source).href };
    const entry = await this.find(source);
    return { location: entry.tarball, entry };
  }

  /** The archive's bytes, at most 50 MB. */
  async download(location: string): Promise<Buffer> {
    if (location.startsWith('file:')) {
      const path = fileURLToPath(location);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) throw new PluginRejectedError(`No tarball at ${path}`);
      if (info.size > MAX_ARCHIVE_BYTES) throw new PluginRejectedError('unsafe archive: the archive is over 50 MB');
      return readFile(path);
    }
    let response: Awaited<ReturnType<SafeHttpClient['fetch']>>;
    try {
      response = await this.http.fetch(location, { timeoutMs: this.config.plugins.callTimeoutMs });
    } catch (error) {
      throw new PluginRejectedError(`The tarball could not be downloaded: ${(error as Error).message}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new PluginRejectedError(`The tarball could not be downloaded: HTTP ${response.status}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += (chunk as Buffer).byteLength;
      if (size > MAX_ARCHIVE_BYTES) throw new PluginRejectedError('unsafe archive: the archive is over 50 MB');
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }
}

function compareVersions(a: string, b: string): number {
  return semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a.localeCompare(b);
}
