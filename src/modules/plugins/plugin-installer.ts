import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { ConflictError, PluginRejectedError } from '../../core/errors/app-errors.js';
import type { PluginInstallation } from './entities/plugin-installation.entity.js';
import { MarketplaceService } from './marketplace/marketplace.service.js';
import { integrityOf, matchesIntegrity, UnsafeArchiveError, unpackPluginArchive } from './packaging/plugin-archive.js';
import { PluginInstallDir } from './plugin-install-dir.js';
import { PluginLoader } from './plugin-loader.js';
import { InvalidPluginError, isCompatible } from './plugin-manifest.js';
import { PluginRecord, PluginRegistry } from './plugin-registry.js';
import { PluginRunner } from './runner/plugin-runner.js';

/** A plugin this process has just installed, with the archive every other replica will unpack. */
export interface InstalledPlugin {
  record: PluginRecord;
  archive: Uint8Array;
  integrity: string;
}

/**
 * The install pipeline: resolving a source in the marketplace, downloading it, checking its integrity,
 * unpacking it safely, checking manifest, apiVersion and signature, and loading it — or leaving the
 * previous state exactly as it was. Also unpacks on this replica what PostgreSQL says is installed.
 */
@Injectable()
export class PluginInstaller {
  private readonly logger = new Logger('Plugins');

  constructor(
    private readonly registry: PluginRegistry,
    private readonly loader: PluginLoader,
    private readonly runner: PluginRunner,
    private readonly marketplace: MarketplaceService,
    private readonly installDir: PluginInstallDir,
  ) {}

  /** Installs (or upgrades) from a marketplace name@version, a tarball URL or a path; loaded when this returns. */
  async install(source: string): Promise<InstalledPlugin> {
    const { location, entry } = await this.marketplace.resolveSource(source);
    if (entry && !isCompatible(entry.apiVersion))
      throw new PluginRejectedError(`incompatible apiVersion: ${entry.name}@${entry.version} supports ${entry.apiVersion}`);
    const archive = await this.marketplace.download(location);
    if (entry && !matchesIntegrity(archive, entry.integrity)) {
      throw new PluginRejectedError(`integrity mismatch: the tarball of ${entry.name}@${entry.version} is not the one the marketplace lists`);
    }
    const record = await this.unpackAndLoad(archive, entry ? { name: entry.name, version: entry.version } : undefined);
    return { record, archive, integrity: integrityOf(archive) };
  }

  /**
   * Unpacks the archives PostgreSQL lists that this replica lacks and (with `prune`, given every row)
   * removes the installs it no longer lists.
   */
  async materialize(rows: PluginInstallation[], prune = true): Promise<void> {
    const installed = rows.filter((row) => row.integrity && row.archive);
    for (const row of installed) {
      const dir = this.installDir.pathOf(row.name);
      if (this.installedVersion(dir) === row.version) continue;
      if (!matchesIntegrity(row.archive!, row.integrity!)) {
        this.logger.error({ plugin: row.name }, 'the stored archive does not match its integrity; not installed');
        continue;
      }
      const staging = this.installDir.staging();
      try {
        await unpackPluginArchive(row.archive!, join(staging, 'package'));
        this.installDir.place(row.name, join(staging, 'package'), join(staging, 'previous'));
      } catch (error) {
        this.logger.error({ plugin: row.name, err: error }, 'the stored archive could not be unpacked');
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    if (!prune) return;
    const listed = new Set(installed.map((row) => row.name));
    for (const name of this.installDir.owned()) if (!listed.has(name)) this.installDir.remove(name);
  }

  /**
   * Unpacks an archive next to the plugins, checks it, puts it in place and loads it. A refusal
   * (unsafe archive, manifest, apiVersion, signature, a plugin that does not load) leaves the previous
   * state exactly as it was.
   */
  private async unpackAndLoad(archive: Uint8Array, expected?: { name: string; version: string }): Promise<PluginRecord> {
    const staging = this.installDir.staging();
    const unpacked = join(staging, 'package');
    const previous = join(staging, 'previous');
    try {
      try {
        await unpackPluginArchive(archive, unpacked);
      } catch (error) {
        if (error instanceof UnsafeArchiveError) throw new PluginRejectedError(error.message);
        throw error;
      }
      let checked: ReturnType<PluginLoader['check']>;
      try {
        checked = this.loader.check(unpacked, 'installed');
      } catch (error) {
        if (error instanceof InvalidPluginError) throw new PluginRejectedError(error.message);
        throw error;
      }
      if (checked.refusal) throw new PluginRejectedError(checked.refusal);
      const { name, version } = checked.manifest;
      if (expected && (expected.name !== name || expected.version !== version)) {
        throw new PluginRejectedError(`the tarball holds ${name}@${version}, not ${expected.name}@${expected.version}`);
      }
      const existing = this.registry.get(name);
      if (existing && existing.source !== 'installed') throw new ConflictError(`A ${existing.source} plugin named ${name} is already present`);
      const hadPrevious = this.installDir.place(name, unpacked, previous);
      const record = await this.loader.loadOne(this.installDir.pathOf(name), 'installed');
      if (record.state === 'loaded') return record;
      await this.runner.unload(name);
      this.registry.remove(name);
      rmSync(this.installDir.pathOf(name), { recursive: true, force: true });
      if (hadPrevious) {
        renameSync(previous, this.installDir.pathOf(name));
        if (existing) await this.loader.loadOne(this.installDir.pathOf(name), 'installed', existing.state === 'disabled' ? existing.providers : undefined);
      } else this.installDir.record(name, false);
      throw new PluginRejectedError(`the plugin does not load: ${record.error}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  private installedVersion(dir: string): string | undefined {
    try {
      return this.loader.check(dir, 'installed').manifest.version;
    } catch {
      return undefined;
    }
  }
}
