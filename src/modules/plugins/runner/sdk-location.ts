import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Running from TypeScript sources (tests): sibling files are `.ts`, not `.js`. */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');
const extension = FROM_SOURCES ? '.ts' : '.js';

/** The host's SDK, which `plugboard/sdk` resolves to for every plugin. */
export function sdkUrls(): { sdk: string; testing: string; dir: string } {
  const sdk = new URL(`../../../sdk/index${extension}`, import.meta.url);
  return { sdk: sdk.href, testing: new URL(`../../../sdk/testing${extension}`, import.meta.url).href, dir: dirname(fileURLToPath(sdk)) };
}

/** The child-process runtime: its entry file, its directory and the files it imports from elsewhere (readable by children). */
export function childRuntime(): { main: string; dir: string; files: string[] } {
  const main = fileURLToPath(new URL(`../runtime/child-main${extension}`, import.meta.url));
  return { main, dir: dirname(main), files: [fileURLToPath(new URL(`../../../core/json/json-shape${extension}`, import.meta.url))] };
}
