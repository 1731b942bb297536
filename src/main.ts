#!/usr/bin/env node
import { unsupportedNodeLine } from './cli/node-version.js';

// Checked before the application loads: on an older Node its dependencies fail without saying why.
const unsupported = unsupportedNodeLine(process.versions.node, process.argv.slice(2));
if (unsupported) {
  console.error(unsupported);
  process.exit(1);
}
const { run } = await import('./cli/cli.js');
await run(process.argv.slice(2));
