import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURE_PLUGINS = resolve('test/fixtures/plugins');

/** A fresh directory. */
export function tempDir(prefix = 'plugboard-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A plugin directory holding copies of the named fixtures, loaded in the order given (folders are
 * numbered so the loader's by-name order is the order of `fixtures`).
 */
export function pluginDir(fixtures: string[], dir = tempDir('plugboard-plugins-')): string {
  mkdirSync(dir, { recursive: true });
  fixtures.forEach((fixture, index) => cpSync(join(FIXTURE_PLUGINS, fixture), join(dir, `${String(index).padStart(2, '0')}-${fixture}`), { recursive: true }));
  return dir;
}

/** Environment for a test app that loads exactly these plugin directories, with short deadlines. */
export function pluginEnv(dir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    BUNDLED_PLUGINS_DIR: tempDir('plugboard-bundled-'),
    PLUGINS_DIR: dir,
    PLUGIN_CALL_TIMEOUT_MS: '1500',
    PLUGIN_VERIFY_TIMEOUT_MS: '5000',
    PLUGIN_RESTART_BACKOFF_MS: '10',
    PLUGIN_RESTART_BACKOFF_MAX_MS: '100',
    PLUGIN_SIGNATURE_POLICY: 'warn',
    ...overrides,
  };
}
