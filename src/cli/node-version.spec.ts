import { readFileSync } from 'node:fs';
import { SUPPORTED_NODE, unsupportedNodeLine } from './node-version.js';

describe('unsupportedNodeLine', () => {
  it('checks the range package.json declares', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    expect(SUPPORTED_NODE).toBe(pkg.engines.node);
  });

  it('accepts a supported Node', () => {
    expect(unsupportedNodeLine('22.17.0', ['serve'])).toBeUndefined();
    expect(unsupportedNodeLine('24.21.0', ['serve'])).toBeUndefined();
  });

  it('names the Node found, the Node needed and the same command through npx, quoted for the shell', () => {
    expect(unsupportedNodeLine('20.20.2', ['accounts', 'create', '--name', "Acme's Team", '--owner', 'user_1'])).toBe(
      "plugboard: this is Node 20.20.2, and Plugboard needs Node >=22.17: run `npx plugboard accounts create --name 'Acme'\\''s Team' --owner user_1` " +
        'in the Plugboard directory (npm runs it on the Node 24 that `npm ci` installed), or install Node 22.17 or later',
    );
  });
});
