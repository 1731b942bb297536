import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { SDK_VERSION } from '../../sdk/index.js';
import { InvalidPluginError, isCompatible, type PluginManifest, readManifest } from './plugin-manifest.js';
import { hostGroup, PluginRecord, PluginRegistry, PluginSource } from './plugin-registry.js';
import type { PluginDescription } from './runtime/description.js';
import { PluginLoadError, PluginRunner } from './runner/plugin-runner.js';
import { verifyPlugin, type SignatureCheck } from './signing/plugin-signature.js';

export interface PluginCandidate {
  dir: string;
  source: PluginSource;
}

export interface LoadOptions {
  /** Plugins the database says are disabled (with their providers when last loaded): recorded, not run. */
  disabled?: ReadonlyMap<string, string[]>;
  /** Names installed through Plugboard (source `installed`). */
  installed?: ReadonlySet<string>;
  /** Only the repository's plugins/ (what the committed OpenAPI document describes). */
  bundledOnly?: boolean;
}

/** What a plugin's checks concluded before it is admitted to the registry. */
interface Prepared {
  record: PluginRecord;
  description?: PluginDescription;
  /** Another plugin already has this package name: kept as a separate failed record. */
  shadowed?: boolean;
}

/**
 * Finds plugins in the repository's plugins/ and each PLUGINS_DIR, checks each one (manifest,
 * apiVersion, signature policy, definition), starts it in the runner and records the outcome. A
 * plugin's failure is its own: it is recorded as `failed` with the reason and loading goes on.
 */
@Injectable()
export class PluginLoader {
  private readonly logger = new Logger('Plugins');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: PluginRegistry,
    private readonly runner: PluginRunner,
  ) {}

  /** Plugin directories in load order: plugins/ first, then each PLUGINS_DIR, each by folder name. */
  discover(bundledOnly = false): PluginCandidate[] {
    const roots: Array<[string, PluginSource]> = [
      [this.config.plugins.bundledDir, 'bundled'],
      ...(bundledOnly ? [] : this.config.plugins.dirs.map((dir): [string, PluginSource] => [dir, 'directory'])),
    ];
    const seen = new Set<string>();
    const candidates: PluginCandidate[] = [];
    for (const [root, source] of roots) {
      if (seen.has(root) || !existsSync(root)) continue;
      seen.add(root);
      for (const dir of packageDirs(root)) candidates.push({ dir, source });
    }
    return candidates;
  }

  /** Loads every discovered plugin: described concurrently (the runner bounds its processes), admitted in load order. */
  async loadAll(options: LoadOptions = {}): Promise<PluginRecord[]> {
    const candidates = this.discover(options.bundledOnly);
    const claimed = new Map<string, string>();
    const prepared: Array<Promise<Prepared>> = [];
    for (const candidate of candidates) {
      let manifest: PluginManifest | undefined;
      let failure: string | undefined;
      try {
        manifest = readManifest(candidate.dir);
      } catch (error) {
        failure = (error as Error).message;
      }
      const name = manifest?.name ?? candidate.dir;
      const taken = manifest ? claimed.get(manifest.name) : undefined;
      if (taken) failure = `a plugin named ${name} is already loaded from ${taken}`;
      else if (manifest) claimed.set(manifest.name, manifest.dir);
      const source = manifest && options.installed?.has(manifest.name) ? 'installed' : candidate.source;
      prepared.push(
        failure !== undefined
          ? Promise.resolve({ record: this.failedRecord(name, manifest, source, failure), shadowed: taken !== undefined })
          : this.prepare(manifest!, source, options.disabled?.get(manifest!.name)),
      );
    }
    const records: PluginRecord[] = [];
    for (const pending of prepared) records.push(await this.admit(await pending));
    return records;
  }

  /** Loads (or reloads) one plugin directory and records it; used by install and enable. */
  async loadOne(dir: string, source: PluginSource, disabled?: string[]): Promise<PluginRecord> {
    let manifest: PluginManifest;
    try {
      manifest = readManifest(dir);
    } catch (error) {
      return this.admit({ record: this.failedRecord(dir, undefined, source, (error as Error).message) });
    }
    await this.runner.unload(manifest.name);
    this.registry.remove(manifest.name);
    return this.admit(await this.prepare(manifest, source, disabled));
  }

  /** Checks a plugin short of running it: manifest, apiVersion and the signature under the policy. */
  check(dir: string, source: PluginSource): { manifest: PluginManifest; signature: SignatureCheck; refusal?: string } {
    const manifest = readManifest(dir);
    const signature = verifyPlugin(manifest.dir, this.config.plugins.trustedPublishersDir);
    if (!isCompatible(manifest.apiVersion)) {
      return { manifest, signature, refusal: `incompatible apiVersion: the plugin supports ${manifest.apiVersion}, this host's SDK is ${SDK_VERSION}` };
    }
    if (source !== 'bundled' && this.config.plugins.signaturePolicy === 'required' && signature.status !== 'verified') {
      return { manifest, signature, refusal: signature.status === 'unsigned' ? 'signature: unsigned' : `signature: invalid (${signature.reason})` };
    }
    return { manifest, signature };
  }

  /** `disabled`: the providers of a plugin the database says is disabled (recorded, not run). */
  private async prepare(manifest: PluginManifest, source: PluginSource, disabled?: string[]): Promise<Prepared> {
    const { signature, refusal } = this.check(manifest.dir, source);
    const base = this.baseRecord(manifest, source, signature);
    if (refusal) return { record: { ...base, state: 'failed', error: refusal } };
    if (signature.status !== 'verified' && source !== 'bundled' && this.config.plugins.signaturePolicy === 'warn') {
      this.logger.warn(
        { plugin: manifest.name, signature: signature.status, reason: 'reason' in signature ? signature.reason : undefined },
        'loading a plugin whose signature is not verified',
      );
    }
    if (disabled) return { record: { ...base, state: 'disabled', providers: disabled } };
    try {
      const description = await this.runner.load({ name: manifest.name, version: manifest.version, dir: manifest.dir, entry: manifest.entry, host: base.host });
      return { record: { ...base, state: 'loaded', providers: description.providers.map((provider) => provider.id) }, description };
    } catch (error) {
      if (error instanceof PluginLoadError || error instanceof InvalidPluginError) return { record: { ...base, state: 'failed', error: error.message } };
      throw error;
    }
  }

  /** Records the outcome; a loaded plugin whose provider id is taken is unloaded and failed. */
  private async admit({ record, description, shadowed }: Prepared): Promise<PluginRecord> {
    if (record.state === 'loaded' && description) {
      const conflict = this.registry.conflictFor(description.providers.map((provider) => provider.id));
      if (conflict) {
        await this.runner.unload(record.name);
        record = { ...record, state: 'failed', error: `provider id "${conflict.id}" is already provided by plugin ${conflict.plugin}` };
      }
    }
    if (record.state === 'failed') this.logger.warn({ plugin: record.name, error: record.error }, 'plugin not loaded');
    if (shadowed) this.registry.addShadowed(record);
    else this.registry.put(record, record.state === 'loaded' ? description?.providers : []);
    return record;
  }

  private baseRecord(manifest: PluginManifest, source: PluginSource, signature: SignatureCheck): Omit<PluginRecord, 'state'> & { host: string } {
    const publisher = 'publisher' in signature ? signature.publisher : undefined;
    return {
      name: manifest.name,
      version: manifest.version,
      providers: [],
      signature: signature.status,
      ...('publisher' in signature && signature.publisher ? { publisher: signature.publisher } : {}),
      source,
      dir: manifest.dir,
      entry: manifest.entry,
      host: hostGroup({ name: manifest.name, source, signature: signature.status, ...(publisher ? { publisher } : {}) }, this.config.plugins.hostsPerPublisher),
    };
  }

  private failedRecord(name: string, manifest: PluginManifest | undefined, source: PluginSource, error: string): PluginRecord {
    return {
      name,
      version: manifest?.version ?? '',
      state: 'failed',
      error,
      providers: [],
      signature: 'unsigned',
      source,
      ...(manifest ? { dir: manifest.dir } : {}),
    };
  }
}

/** Package directories under a plugin root: `<root>/<name>` and `<root>/@scope/<name>`, by folder name. */
function packageDirs(root: string): string[] {
  const byName = (entries: string[]) => [...entries].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const dirs: string[] = [];
  const visible = (path: string) =>
    readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  for (const name of byName(visible(root))) {
    if (name.startsWith('@') && !existsSync(join(root, name, 'package.json'))) {
      for (const inner of byName(visible(join(root, name)))) dirs.push(join(root, name, inner));
    } else dirs.push(join(root, name));
  }
  return dirs;
}
