import { readdirSync, writeFileSync } from 'node:fs';
import { MIGRATIONS_DIR } from '../core/database/orm-options.js';

/** Rewrites migrations/index.ts so it lists every migration file, oldest first. */
export function writeMigrationIndex(): void {
  const names = readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^Migration\d+.*\.ts$/.test(file))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
  const lines = [
    '// The migrations applied by `plugboard migrate`, oldest first. `plugboard migrate --create` rewrites this file.',
    "import type { MigrationObject } from '@mikro-orm/core';",
    ...names.map((name) => `import { ${name} } from './${name}.js';`),
    '',
    'export const migrationsList: MigrationObject[] = [',
    ...names.map((name) => `  { name: '${name}', class: ${name} },`),
    '];',
    '',
  ];
  writeFileSync(`${MIGRATIONS_DIR}/index.ts`, lines.join('\n'));
}
