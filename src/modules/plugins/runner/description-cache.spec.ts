import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginDescription } from '../runtime/description.js';
import { DescriptionCache } from './description-cache.js';

const description = (name: string): PluginDescription => ({
  providers: [
    {
      id: 'p',
      name,
      category: 'other',
      description: '',
      auth: { type: 'none' },
      verify: false,
      healthCheck: false,
      actions: [],
      events: [],
      sync: null,
      webhook: false,
    },
  ],
});

describe('DescriptionCache', () => {
  const root = mkdtempSync(join(tmpdir(), 'plugboard-description-cache-'));
  const dir = join(root, 'plugin');
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'index.js'), 'export default {}');
  writeFileSync(join(dir, 'lib', 'client.js'), 'export {}');
  const plugin = { name: 'p', version: '1.0.0', dir, entry: join(dir, 'index.js') };
  const failures: Error[] = [];
  const cache = new DescriptionCache(join(root, 'cache'), (error) => failures.push(error));

  it('returns what was stored for the same files, and nothing once any file changes', () => {
    expect(cache.get(plugin)).toBeUndefined();
    cache.set(plugin, description('first'));
    expect(cache.get(plugin)).toEqual(description('first'));
    expect(cache.get({ ...plugin, version: '1.0.1' })).toBeUndefined();
    writeFileSync(join(dir, 'lib', 'client.js'), 'export const changed = true;');
    expect(cache.get(plugin)).toBeUndefined();
    cache.set(plugin, description('second'));
    utimesSync(join(dir, 'index.js'), new Date(), new Date(Date.now() + 5000));
    expect(cache.get(plugin)).toBeUndefined();
    expect(failures).toEqual([]);
  });

  it('reports, and survives, a directory it cannot write', () => {
    const blocked = new DescriptionCache(join(dir, 'index.js', 'cache'), (error) => failures.push(error));
    blocked.set(plugin, description('x'));
    expect(failures).toHaveLength(1);
    expect(blocked.get(plugin)).toBeUndefined();
  });
});
