import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SDK_VERSION } from '../../../sdk/index.js';
import type { PluginDescription, PluginLocation } from '../runtime/description.js';

/** The code that builds descriptions: a Plugboard upgrade that changes it describes every plugin again. */
const DESCRIBER = fileURLToPath(new URL(`../runtime/description${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/**
 * Plugin descriptions kept on this replica's disk (DATA_DIR), keyed by the plugin's files (path, size,
 * modification time), its entry, the SDK version and the describer, so a start-up runs no plugin code
 * unless a plugin changed. A description is data the plugin's code produced: the host validates it
 * again on every load, cached or not.
 */
export class DescriptionCache {
  constructor(
    private readonly dir: string,
    private readonly onWriteError: (error: Error) => void,
  ) {}

  get(plugin: PluginLocation): PluginDescription | undefined {
    try {
      return JSON.parse(readFileSync(this.path(plugin), 'utf8')) as PluginDescription;
    } catch {
      return undefined;
    }
  }

  set(plugin: PluginLocation, description: PluginDescription): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const path = this.path(plugin);
      // Written aside and renamed: a replica reading it never sees half a file.
      writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(description));
      renameSync(`${path}.${process.pid}.tmp`, path);
    } catch (error) {
      this.onWriteError(error as Error);
    }
  }

  private path(plugin: PluginLocation): string {
    const hash = createHash('sha256');
    const describer = statSync(DESCRIBER);
    hash.update(JSON.stringify([SDK_VERSION, describer.size, describer.mtimeMs, plugin.name, plugin.version, relative(plugin.dir, plugin.entry)]));
    const files = readdirSync(plugin.dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    for (const file of files) {
      const { size, mtimeMs } = statSync(file);
      hash.update(JSON.stringify([relative(plugin.dir, file), size, mtimeMs]));
    }
    return join(this.dir, `${hash.digest('hex')}.json`);
  }
}
