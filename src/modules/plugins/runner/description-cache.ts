import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SDK_VERSION } from '../../../sdk/index.js';
import type { PluginDescription, PluginLocation } from '../runtime/description.js';

const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
/**
 * The code that builds descriptions and the code that validates them: a Plugboard upgrade that changes
 * either describes and validates every plugin again.
 */
const DESCRIPTION_CODE = [`../runtime/description${extension}`, `../plugin-manifest${extension}`].map((path) => fileURLToPath(new URL(path, import.meta.url)));

/**
 * Validated plugin descriptions kept on this replica's disk (DATA_DIR), keyed by the plugin's files
 * (path, size, modification time), its entry, the SDK version and the describer and validator, so a
 * start-up neither runs plugin code nor checks its schemas again unless a plugin or Plugboard changed.
 * Only the runner writes here, and only a description that passed validation.
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
    const code = DESCRIPTION_CODE.map((file) => statSync(file)).flatMap(({ size, mtimeMs }) => [size, mtimeMs]);
    hash.update(JSON.stringify([SDK_VERSION, ...code, plugin.name, plugin.version, relative(plugin.dir, plugin.entry)]));
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
