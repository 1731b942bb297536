// Runs every test/bench/*.bench.js in name order (or those named on the command line: an exact name, else a prefix) against the built app.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.js'))
  // A name picks the bench of exactly that name (`api` is not `api-keys`), else every bench it begins.
  .filter(
    (file, _index, files) =>
      only.length === 0 || only.some((name) => (files.includes(`${name}.bench.js`) ? file === `${name}.bench.js` : file.startsWith(name))),
  )
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, [join(dir, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
