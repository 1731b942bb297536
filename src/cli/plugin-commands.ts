import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SDK_VERSION } from '../sdk/index.js';
import {
  describeInChildProcess,
  integrityOf,
  InvalidPluginError,
  isCompatible,
  packPlugin,
  type PluginDto,
  PluginLoadError,
  PluginRunner,
  PluginsService,
  readManifest,
  SigningError,
  signPlugin,
  UnsafeArchiveError,
  validateDescription,
  verifyPlugin,
} from '../modules/plugins/index.js';
import { withApp } from './app-commands.js';
import { CliError } from './runtime.js';

const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** The Plugboard package this CLI belongs to (for the scaffold's `plugboard/sdk` link). */
function plugboardRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'plugboard') return dir;
    dir = dirname(dir);
  }
  throw new CliError('cannot find the Plugboard package this command belongs to');
}

function scaffold(name: string, providerId: string, title: string): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(
      {
        name,
        version: '0.1.0',
        description: `${title} provider for Plugboard`,
        type: 'module',
        main: 'index.js',
        scripts: { test: 'node --test' },
        plugboard: { apiVersion: `^${SDK_VERSION}` },
      },
      null,
      2,
    )}\n`,
    'index.js': `import { definePlugin, readJson } from 'plugboard/sdk';

export default definePlugin({
  providers: [
    {
      id: '${providerId}',
      name: '${title}',
      category: 'other',
      description: 'Connects ${title} to Plugboard.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          properties: { apiKey: { type: 'string', title: 'API key', minLength: 1, secret: true } },
          additionalProperties: false,
        },
      },
      settingsSchema: { type: 'object', properties: {}, additionalProperties: false },
      // ctx.http sends credentials (Authorization: Bearer {apiKey}) only to URLs under baseUrl.
      baseUrl: 'https://api.example.com/v1',
      // Where the API puts its error message: refusals (4xx) show it to the user, the key redacted.
      errors: { message: '/error/message' },

      // Declared: a request, and where in the answer the display name and metadata are (JSON pointers).
      verify: { request: { path: '/me' }, displayName: '/name', metadata: { accountId: '/id' } },

      actions: {
        // Declared: the path is filled from the input, whose schema must declare every {field}.
        getItem: {
          description: 'One item by id',
          inputSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } }, additionalProperties: false },
          request: { path: '/items/{id}' },
          result: '/data',
        },
        // Code, for what is not one request: readJson maps statuses to refusals, rate limits and outages.
        ping: {
          description: 'Checks that the API answers',
          inputSchema: { type: 'object', properties: {}, additionalProperties: false },
          async run(ctx) {
            const { status } = await readJson(await ctx.http('/ping'), ctx);
            return { ok: status === 'ok' };
          },
        },
      },
    },
  ],
});
`,
    'test/plugin.test.js': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHarness } from 'plugboard/sdk/testing';
import plugin from '../index.js';

test('verify sends the API key and names the account', async () => {
  const harness = createHarness(plugin, {
    credentials: { apiKey: 'key_123' },
    http: { 'GET /me': { body: { id: 'acct_1', name: 'Example Inc' } } },
  });
  assert.deepEqual(await harness.verify(), { displayName: 'Example Inc', metadata: { accountId: 'acct_1' } });
  assert.equal(harness.requests[0].url, 'https://api.example.com/v1/me');
  assert.equal(harness.requests[0].headers.authorization, 'Bearer key_123');
});

test("verify refuses a key the API refuses, with the API's message", async () => {
  const harness = createHarness(plugin, { credentials: { apiKey: 'bad_key' }, http: () => ({ status: 401, body: { error: { message: 'Unknown key bad_key' } } }) });
  await assert.rejects(harness.verify(), { code: 'provider_rejected', message: 'Unknown key [redacted]' });
});

test('getItem requests the item named by the input', async () => {
  const harness = createHarness(plugin, { credentials: { apiKey: 'key_123' }, http: { 'GET /items/it_1': { body: { data: { id: 'it_1' } } } } });
  assert.deepEqual(await harness.action('getItem', { id: 'it_1' }), { id: 'it_1' });
});

test('ping reports whether the API answers', async () => {
  const harness = createHarness(plugin, { credentials: { apiKey: 'key_123' }, http: { 'GET /ping': { body: { status: 'ok' } } } });
  assert.deepEqual(await harness.action('ping'), { ok: true });
});
`,
    '.gitignore': 'node_modules/\n*.tgz\n',
    'README.md': `# ${title} provider for Plugboard

\`\`\`sh
npm test                                                  # unit tests against an HTTP stub
plugboard plugin validate .                               # what the host checks when it loads the plugin
plugboard plugin sign . --key publisher.pem --publisher <you>
plugboard plugin pack .                                   # ${name.replace(/^@/, '').replace('/', '-')}-0.1.0.tgz and its integrity
\`\`\`
`,
  };
}

/** `plugboard plugin new <name>`: a plugin package with a provider and a test that pass out of the box. */
export function newPlugin(name: string, into = process.cwd()): string {
  if (!NPM_NAME.test(name)) throw new CliError(`"${name}" is not a valid npm package name (lower case, digits, - . _ ~, optional @scope/)`);
  const dir = resolve(into, basename(name));
  if (existsSync(dir)) throw new CliError(`${dir} already exists`);
  const bare = basename(name).replace(/^plugboard-(plugin-)?/, '');
  const providerId = bare.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'provider';
  const title =
    bare
      .split(/[^a-z0-9]+/)
      .filter(Boolean)
      .map((word) => word[0].toUpperCase() + word.slice(1))
      .join(' ') || 'Provider';
  for (const [file, content] of Object.entries(scaffold(name, providerId, title))) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  // The SDK for tests: this Plugboard, linked (node_modules is never signed or packed).
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(plugboardRoot(), join(dir, 'node_modules', 'plugboard'), 'dir');
  return dir;
}

export interface ValidationReport {
  name: string;
  version: string;
  apiVersion: string;
  compatible: boolean;
  signature: string;
  providers: Array<{ id: string; name: string; category: string; auth: string; actions: string[]; sync: boolean; webhook: boolean }>;
}

/** `plugboard plugin validate <dir>`: loads the plugin in a sandboxed process and checks what the host checks. */
export async function validatePlugin(
  directory: string,
  trustedPublishersDir = resolve(process.env.TRUSTED_PUBLISHERS_DIR || 'config/trusted-publishers'),
): Promise<ValidationReport> {
  try {
    const manifest = readManifest(resolve(directory));
    if (!isCompatible(manifest.apiVersion))
      throw new CliError(`incompatible apiVersion: the plugin supports ${manifest.apiVersion}, this Plugboard's SDK is ${SDK_VERSION}`);
    const description = await describeInChildProcess(
      { name: manifest.name, version: manifest.version, dir: manifest.dir, entry: manifest.entry },
      { memoryMb: 256, loadTimeoutMs: 10_000, livenessTimeoutMs: 1000, restartBackoffMs: 0, restartBackoffMaxMs: 0, idleMs: 10_000 },
      {
        exited: () => undefined,
        output: (_plugin, _level, line) => console.error(`plugin: ${line}`),
        refused: (_plugin, reason) => console.error(`plugin: ${reason}`),
      },
    );
    validateDescription(description);
    const signature = verifyPlugin(manifest.dir, trustedPublishersDir);
    return {
      name: manifest.name,
      version: manifest.version,
      apiVersion: manifest.apiVersion,
      compatible: true,
      signature:
        signature.status === 'invalid' ? `invalid (${signature.reason})` : signature.status === 'verified' ? `verified (${signature.publisher})` : 'unsigned',
      providers: description.providers.map((provider) => ({
        id: provider.id,
        name: provider.name,
        category: provider.category,
        auth: provider.auth.type,
        actions: provider.actions.map((action) => action.name),
        sync: provider.sync !== null,
        webhook: provider.webhook,
      })),
    };
  } catch (error) {
    if (error instanceof InvalidPluginError || error instanceof PluginLoadError) throw new CliError(`invalid plugin: ${error.message}`);
    throw error;
  }
}

/** `plugboard plugin sign <dir> --key <pem> --publisher <name>`. */
export function signPluginDir(directory: string, keyFile: string, publisher: string): { file: string; files: number } {
  try {
    const signed = signPlugin(resolve(directory), readFileSync(resolve(keyFile), 'utf8'), publisher);
    return { file: join(resolve(directory), 'plugboard.sig'), files: Object.keys(signed.files).length };
  } catch (error) {
    if (error instanceof SigningError || (error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError((error as Error).message);
    throw error;
  }
}

/** `plugboard plugin pack <dir> [--out DIR]`: the tarball, and the catalog entry that lists it. */
export async function packPluginDir(directory: string, outDir = process.cwd()) {
  try {
    const manifest = readManifest(resolve(directory));
    const bytes = await packPlugin(manifest.dir);
    const file = resolve(outDir, `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`);
    writeFileSync(file, bytes);
    return { file, size: bytes.length, integrity: integrityOf(bytes), name: manifest.name, version: manifest.version, apiVersion: manifest.apiVersion };
  } catch (error) {
    if (error instanceof InvalidPluginError || error instanceof UnsafeArchiveError) throw new CliError(error.message);
    throw error;
  }
}

/** The plugins as a server would load them (installations converged), without starting the rest. */
async function withPlugins<T>(command: string, work: (plugins: PluginsService) => Promise<T>): Promise<T> {
  return withApp(command, async (app) => {
    const plugins = app.get(PluginsService);
    await plugins.onModuleInit();
    try {
      return await work(plugins);
    } finally {
      await app.get(PluginRunner).close();
    }
  });
}

/** `plugboard plugins install <source>`: recorded in PostgreSQL; running replicas pick it up at their next start. */
export function installPlugin(source: string): Promise<PluginDto> {
  return withPlugins('plugins install', (plugins) => plugins.install('system', { source }));
}

/** `plugboard plugins list`. */
export function listPlugins(): Promise<PluginDto[]> {
  return withPlugins('plugins list', (plugins) => Promise.resolve(plugins.list({ limit: 100_000 }).data));
}

export function formatPluginTable(plugins: PluginDto[]): string {
  const rows = [
    ['NAME', 'VERSION', 'STATE', 'SIGNATURE', 'SOURCE', 'PROVIDERS', 'ERROR'],
    ...plugins.map((plugin) => [plugin.name, plugin.version, plugin.state, plugin.signature, plugin.source, plugin.providers.join(','), plugin.error ?? '']),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
