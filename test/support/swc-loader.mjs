// Lets a child process run the TypeScript sources directly (`node --import ./test/support/swc-loader.mjs
// src/main.ts`), compiled by SWC exactly as Jest compiles them, so tests can spawn real worker processes
// without a build.
import { register } from 'node:module';

register('./swc-hooks.mjs', import.meta.url);
