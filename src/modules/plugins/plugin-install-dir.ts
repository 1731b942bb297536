import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LEDGER = '.plugboard-installed.json';

/**
 * The first PLUGINS_DIR, where installed plugins are unpacked: one folder per plugin, plus a ledger
 * of the folders Plugboard owns (so an uninstall never touches plugins an operator put there by hand).
 * Work in progress lives in dot-folders, which the loader ignores.
 */
export class PluginInstallDir {
  constructor(readonly root: string) {}

  /** `@acme/crm` → `acme__crm`. */
  folderOf(name: string): string {
    return name.replace(/^@/, '').replace(/\//g, '__');
  }

  pathOf(name: string): string {
    return join(this.root, this.folderOf(name));
  }

  /** A fresh scratch folder inside the root (same filesystem, so renames are atomic). */
  staging(): string {
    mkdirSync(this.root, { recursive: true });
    const dir = join(this.root, `.staging-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    return dir;
  }

  /** Names Plugboard installed here. */
  owned(): string[] {
    const file = join(this.root, LEDGER);
    if (!existsSync(file)) return [];
    try {
      const names = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Moves `from` into the plugin's folder; an existing folder is moved to `previous` first. */
  place(name: string, from: string, previous: string): boolean {
    const target = this.pathOf(name);
    const hadPrevious = existsSync(target);
    if (hadPrevious) renameSync(target, previous);
    renameSync(from, target);
    this.record(name, true);
    return hadPrevious;
  }

  remove(name: string): void {
    rmSync(this.pathOf(name), { recursive: true, force: true });
    this.record(name, false);
  }

  record(name: string, owned: boolean): void {
    const names = new Set(this.owned());
    if (owned) names.add(name);
    else names.delete(name);
    mkdirSync(this.root, { recursive: true });
    writeFileSync(join(this.root, LEDGER), `${JSON.stringify([...names].sort(), null, 2)}\n`);
  }
}
