import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';

/** The project's one set of SWC options (.swcrc), as Jest uses them. */
const { $schema, ...options } = JSON.parse(await readFile(new URL('../../.swcrc', import.meta.url), 'utf8'));

/** Sources import `./x.js`; in the source tree that file is `./x.ts`. */
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
    if (relative && specifier.endsWith('.js')) return next(`${specifier.slice(0, -3)}.ts`, context);
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const filename = fileURLToPath(url);
  const { code } = await swc.transform(await readFile(filename, 'utf8'), { ...options, swcrc: false, filename });
  return { format: 'module', source: code, shortCircuit: true };
}
