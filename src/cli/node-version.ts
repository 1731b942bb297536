import semver from 'semver';

/** The `engines.node` range of package.json (node-version.spec.ts keeps them equal). */
export const SUPPORTED_NODE = '>=22.17';

const SHELL_SAFE = /^[\w@%+=:,./-]+$/;

/**
 * The line a process started on an unsupported Node prints before exiting, or undefined on a supported
 * one. npm runs `npx plugboard` with node_modules/.bin first on the PATH, hence on the Node 24 of the
 * `node` devDependency whatever Node the machine has.
 */
export function unsupportedNodeLine(version: string, args: string[]): string | undefined {
  if (semver.satisfies(version, SUPPORTED_NODE)) return undefined;
  const command = ['npx', 'plugboard', ...args].map((arg) => (SHELL_SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
  return `plugboard: this is Node ${version}, and Plugboard needs Node ${SUPPORTED_NODE}: run \`${command}\` in the Plugboard directory (npm runs it on the Node 24 that \`npm ci\` installed), or install Node 22.17 or later`;
}
