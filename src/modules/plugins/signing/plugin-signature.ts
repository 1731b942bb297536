import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical-json.js';

export const SIGNATURE_FILE = 'plugboard.sig';
const PUBLISHER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface SignatureFile {
  name: string;
  version: string;
  publisher: string;
  files: Record<string, string>;
  signature: string;
}

export type SignatureCheck = { status: 'verified'; publisher: string } | { status: 'unsigned' } | { status: 'invalid'; publisher?: string; reason: string };

export class SigningError extends Error {}

function bundledDependencies(dir: string): Set<string> {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bundleDependencies?: unknown; bundledDependencies?: unknown };
    const bundled = pkg.bundleDependencies ?? pkg.bundledDependencies;
    return new Set(Array.isArray(bundled) ? bundled.filter((name): name is string => typeof name === 'string') : []);
  } catch {
    return new Set();
  }
}

/**
 * Regular files under `dir` except the signature, as `/`-separated relative paths → SHA-256 hex.
 * Anything else (a symbolic link, a socket) is reported in `irregular`. With `packageOnly`, the files
 * a plugin ships (what sign and pack cover): development folders (node_modules except the
 * bundleDependencies, .git) are left out, as npm pack does. Verification always covers everything.
 */
export function hashPluginFiles(dir: string, options: { packageOnly?: boolean } = {}): { files: Record<string, string>; irregular: string[] } {
  const files: Record<string, string> = {};
  const irregular: string[] = [];
  const bundled = options.packageOnly ? bundledDependencies(dir) : new Set<string>();
  const skipped = (path: string) => {
    if (!options.packageOnly) return false;
    const [top, scopeOrName, scoped] = path.split('/');
    if (top === '.git') return true;
    if (top !== 'node_modules' || scopeOrName === undefined) return false;
    if (!scopeOrName.startsWith('@')) return !bundled.has(scopeOrName);
    return scoped !== undefined && !bundled.has(`${scopeOrName}/${scoped}`);
  };
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (path === SIGNATURE_FILE || skipped(path)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        files[path] = createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex');
      else irregular.push(path);
    }
  };
  walk('');
  return { files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))), irregular };
}

function readPackage(dir: string): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
  if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') throw new SigningError('package.json needs a name and a version');
  return { name: pkg.name, version: pkg.version };
}

/** `plugboard plugin sign`: writes plugboard.sig for the directory with an ed25519 private key. */
export function signPlugin(dir: string, privateKeyPem: string, publisher: string): SignatureFile {
  if (!PUBLISHER.test(publisher)) throw new SigningError('the publisher name must be letters, digits, ".", "_" or "-"');
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new SigningError('the key is not a PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningError(`the key must be ed25519 (got ${key.asymmetricKeyType})`);
  const { files, irregular } = hashPluginFiles(dir, { packageOnly: true });
  if (irregular.length > 0) throw new SigningError(`only regular files can be signed: ${irregular.join(', ')}`);
  const unsigned = { ...readPackage(dir), publisher, files };
  const signature = sign(null, Buffer.from(canonicalJson(unsigned)), key).toString('base64');
  const document: SignatureFile = { ...unsigned, signature };
  writeFileSync(join(dir, SIGNATURE_FILE), `${JSON.stringify(document, null, 2)}\n`);
  return document;
}

/**
 * Checks a plugin directory's signature against the trusted publishers' keys (`<publisher>.pem`,
 * ed25519 SPKI). Verified only when the signature checks and the directory holds exactly the signed
 * files with the signed hashes.
 */
export function verifyPlugin(dir: string, trustedPublishersDir: string): SignatureCheck {
  const file = join(dir, SIGNATURE_FILE);
  if (!existsSync(file)) return { status: 'unsigned' };
  if (!lstatSync(file).isFile()) return { status: 'invalid', reason: `${SIGNATURE_FILE} is not a regular file` };
  let document: SignatureFile;
  try {
    document = JSON.parse(readFileSync(file, 'utf8')) as SignatureFile;
  } catch {
    return { status: 'invalid', reason: `${SIGNATURE_FILE} is not valid JSON` };
  }
  const { publisher, signature, files } = document ?? ({} as SignatureFile);
  if (typeof publisher !== 'string' || !PUBLISHER.test(publisher) || typeof signature !== 'string' || typeof files !== 'object' || files === null) {
    return { status: 'invalid', reason: `${SIGNATURE_FILE} is malformed` };
  }
  const keyFile = join(trustedPublishersDir, `${publisher}.pem`);
  if (!existsSync(keyFile)) return { status: 'invalid', publisher, reason: `unknown publisher "${publisher}"` };
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(keyFile));
  } catch {
    return { status: 'invalid', publisher, reason: `the key of publisher "${publisher}" is unreadable` };
  }
  const { signature: _signature, ...unsigned } = document;
  let valid: boolean;
  try {
    valid = key.asymmetricKeyType === 'ed25519' && verify(null, Buffer.from(canonicalJson(unsigned)), key, Buffer.from(signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return { status: 'invalid', publisher, reason: 'the signature does not match' };
  let pkg: { name: string; version: string };
  try {
    pkg = readPackage(dir);
  } catch {
    return { status: 'invalid', publisher, reason: 'package.json is unreadable' };
  }
  if (pkg.name !== document.name || pkg.version !== document.version) {
    return { status: 'invalid', publisher, reason: `signed for ${document.name}@${document.version}, not ${pkg.name}@${pkg.version}` };
  }
  const actual = hashPluginFiles(dir);
  if (actual.irregular.length > 0) return { status: 'invalid', publisher, reason: `unsigned entries: ${actual.irregular.join(', ')}` };
  const signedPaths = Object.keys(files);
  const changed = signedPaths.filter((path) => actual.files[path] !== files[path]);
  const extra = Object.keys(actual.files).filter((path) => !(path in files));
  if (changed.length > 0 || extra.length > 0) {
    const parts = [changed.length ? `changed or missing: ${changed.join(', ')}` : '', extra.length ? `not signed: ${extra.join(', ')}` : ''].filter(Boolean);
    return { status: 'invalid', publisher, reason: `files differ from the signature (${parts.join('; ')})` };
  }
  return { status: 'verified', publisher };
}
