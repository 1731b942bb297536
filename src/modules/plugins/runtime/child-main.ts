/**
 * Entry point of a plugin's child process. Runs under Node's permission model (reads limited to the
 * plugin's directory, this runtime and the SDK) with no inherited environment. It resolves
 * `plugboard/sdk` to the host's SDK, then starts the runtime. Only node: imports here, because module
 * resolution hooks must be in place before anything else is imported.
 */
import { registerHooks } from 'node:module';

const sdk = process.env.PLUGBOARD_SDK_URL!;
const sdkTesting = process.env.PLUGBOARD_SDK_TESTING_URL!;
const runtimeBase = new URL('./', import.meta.url).href;
const sdkBase = new URL('./', sdk).href;
// Run from TypeScript sources (tests, development), sibling imports name `.js` files that are `.ts`.
const fromSources = import.meta.url.endsWith('.ts');

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'plugboard/sdk') return { url: sdk, shortCircuit: true };
    if (specifier === 'plugboard/sdk/testing') return { url: sdkTesting, shortCircuit: true };
    const parent = context.parentURL ?? '';
    if (fromSources && specifier.startsWith('.') && specifier.endsWith('.js') && (parent.startsWith(runtimeBase) || parent.startsWith(sdkBase))) {
      return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
    }
    return nextResolve(specifier, context);
  },
});

await import(new URL(fromSources ? './child-runtime.ts' : './child-runtime.js', import.meta.url).href);
