import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** docs/architecture.md and the boundary configuration that `npm run lint` enforces say the same. */
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
  forbidden: { name: string; from: { path: string }; to: { path?: string } }[];
};
const modules = readdirSync('src/modules', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** What each module may use, from its layer rule: every other module but those the rule forbids. */
function allowedByConfig(): Record<string, string[]> {
  const allowed: Record<string, string[]> = {};
  for (const module of modules) {
    const rule = config.forbidden.find((candidate) => candidate.name === `layer-${module}`);
    if (!rule) continue;
    const forbidden = /^\^src\/modules\/\(([^)]*)\)\/$/.exec(rule.to.path ?? '')?.[1].split('|') ?? [];
    allowed[module] = modules.filter((other) => other !== module && !forbidden.includes(other));
  }
  return allowed;
}

/** The "may use" column of the module table in docs/architecture.md. */
function allowedByDocs(): Record<string, string[]> {
  const allowed: Record<string, string[]> = {};
  for (const line of readFileSync('docs/architecture.md', 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length !== 6 || !modules.includes(cells[1])) continue;
    allowed[cells[1]] =
      cells[4] === '—'
        ? []
        : cells[4]
            .split(',')
            .map((name) => name.trim())
            .sort();
  }
  return allowed;
}

describe('architecture', () => {
  it('gives every module an index.ts and a layer', () => {
    for (const module of modules) {
      expect([module, readdirSync(`src/modules/${module}`).includes('index.ts')]).toEqual([module, true]);
      expect([module, config.forbidden.some((rule) => rule.name === `layer-${module}`)]).toEqual([module, true]);
    }
  });

  it('documents exactly the dependencies the layers allow', () => {
    const fromConfig = allowedByConfig();
    for (const module of modules) fromConfig[module]?.sort();
    expect(allowedByDocs()).toEqual(fromConfig);
  });
});
