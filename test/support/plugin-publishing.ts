import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { integrityOf, packPlugin } from '../../src/modules/plugins/packaging/plugin-archive.js';
import { signPlugin } from '../../src/modules/plugins/signing/plugin-signature.js';
import { FIXTURE_PLUGINS, tempDir } from './plugin-fixtures.js';

export interface Publisher {
  name: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

export function newPublisher(name: string): Publisher {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    name,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A TRUSTED_PUBLISHERS_DIR holding these publishers' public keys. */
export function trustedPublishersDir(...publishers: Publisher[]): string {
  const dir = tempDir('plugboard-trusted-');
  for (const publisher of publishers) writeFileSync(join(dir, `${publisher.name}.pem`), publisher.publicKeyPem);
  return dir;
}

/** A copy of a fixture plugin, optionally at another version, signed, and tampered with after signing. */
export function preparePlugin(
  fixture: string,
  options: { version?: string; apiVersion?: string; signer?: Publisher; tamper?: boolean } = {},
  into = tempDir('plugboard-src-'),
): string {
  const dir = join(into, fixture);
  mkdirSync(into, { recursive: true });
  cpSync(join(FIXTURE_PLUGINS, fixture), dir, { recursive: true });
  const pkgFile = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  if (options.version) pkg.version = options.version;
  if (options.apiVersion) pkg.plugboard.apiVersion = options.apiVersion;
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  if (options.signer) signPlugin(dir, options.signer.privateKeyPem, options.signer.name);
  if (options.tamper) writeFileSync(join(dir, 'index.js'), `${readFileSync(join(dir, 'index.js'), 'utf8')}\n// changed after signing\n`);
  return dir;
}

export interface CatalogEntry {
  name: string;
  version: string;
  apiVersion?: string;
  providers?: string[];
  publisher?: string;
  tarball: string;
  integrity: string;
}

/** Writes a tarball of `dir` into `catalogDir` and returns its catalog entry (tarball relative to the index). */
export async function publish(dir: string, catalogDir: string, overrides: Partial<CatalogEntry> = {}): Promise<CatalogEntry> {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const bytes = await packPlugin(dir);
  const file = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
  writeFileSync(join(catalogDir, file), bytes);
  return {
    name: pkg.name,
    version: pkg.version,
    apiVersion: pkg.plugboard.apiVersion,
    providers: [],
    tarball: file,
    integrity: integrityOf(bytes),
    ...overrides,
  };
}

export function writeCatalog(catalogDir: string, entries: CatalogEntry[]): string {
  const file = join(catalogDir, 'marketplace.json');
  writeFileSync(
    file,
    JSON.stringify({ plugins: entries.map((entry) => ({ description: `${entry.name} for tests`, apiVersion: '^1.0.0', providers: [], ...entry })) }, null, 2),
  );
  return file;
}
