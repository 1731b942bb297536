import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { ErrorObject } from 'ajv';
import semver from 'semver';
import { PROVIDER_CATEGORIES, SDK_VERSION } from '../../sdk/index.js';
import { createSchemaCompiler } from './plugin-registry.js';
import type { PluginDescription } from './runtime/description.js';

export interface PluginManifest {
  name: string;
  version: string;
  description?: string;
  /** The semver range of SDK versions the plugin supports. */
  apiVersion: string;
  /** The plugin's directory (real path). */
  dir: string;
  /** The entry file (absolute, inside dir). */
  entry: string;
}

/** The manifest or definition is not acceptable; the message says why, for `GET /v1/plugins`. */
export class InvalidPluginError extends Error {}

const NPM_NAME = '^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$';

const PACKAGE_SCHEMA = {
  type: 'object',
  required: ['name', 'version', 'type', 'plugboard'],
  properties: {
    name: { type: 'string', pattern: NPM_NAME, maxLength: 214 },
    version: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    type: { const: 'module' },
    main: { type: 'string', minLength: 1 },
    exports: {},
    plugboard: {
      type: 'object',
      required: ['apiVersion'],
      properties: { apiVersion: { type: 'string', minLength: 1 } },
    },
  },
  anyOf: [{ required: ['main'] }, { required: ['exports'] }],
};

const schemaObject = { type: 'object' };
/** How credentials are applied to requests (`auth.apply`): header and query templates, HTTP Basic. */
const authApplication = {
  type: 'object',
  additionalProperties: false,
  properties: {
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    query: { type: 'object', additionalProperties: { type: 'string' } },
    basic: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      properties: { username: { type: 'string' }, password: { type: 'string' } },
    },
  },
};
const PROVIDER_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'category', 'description', 'auth'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9_]+$', maxLength: 64 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    category: { enum: PROVIDER_CATEGORIES },
    description: { type: 'string', maxLength: 2000 },
    rateLimits: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        required: ['requests', 'windowMs', 'scope'],
        properties: {
          requests: { type: 'integer', minimum: 1 },
          windowMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
          scope: { enum: ['connection', 'account', 'app'] },
          accountKey: { type: 'string', minLength: 1 },
          match: { type: 'array', items: { type: 'string', pattern: '^[A-Z]+ /' } },
        },
      },
    },
    auth: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['oauth2', 'api_key', 'basic', 'none'] } },
      allOf: [
        {
          if: { properties: { type: { const: 'oauth2' } } },
          then: {
            required: ['authorizationUrl', 'tokenUrl', 'scopes'],
            properties: {
              authorizationUrl: { type: 'string', pattern: '^https?://' },
              tokenUrl: { type: 'string', pattern: '^https?://' },
              scopes: { type: 'array', items: { type: 'string' } },
              scopeSeparator: { type: 'string' },
              pkce: { type: 'boolean' },
              authorizationParams: { type: 'object', additionalProperties: { type: 'string' } },
              refresh: { type: 'boolean' },
              assumedLifetimeSeconds: { type: 'integer', minimum: 60 },
              tokenMetadata: {
                type: 'object',
                additionalProperties: {
                  oneOf: [
                    { type: 'string', pattern: '^/' },
                    {
                      type: 'object',
                      additionalProperties: false,
                      required: ['pointer', 'pattern'],
                      properties: { pointer: { type: 'string', pattern: '^/' }, pattern: { type: 'string', format: 'regex' } },
                    },
                  ],
                },
              },
              apply: authApplication,
              clientIdParameter: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
              codeParameter: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
              tokenRequest: {
                type: 'object',
                additionalProperties: false,
                required: ['body'],
                properties: {
                  body: { type: 'object', additionalProperties: { type: 'string' } },
                  result: { type: 'string', pattern: '^/' },
                },
              },
              callbackHmac: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
            },
            // A token from a provider-specific exchange cannot be refreshed the RFC 6749 way.
            dependentSchemas: { tokenRequest: { required: ['refresh'], properties: { refresh: { const: false } } } },
          },
        },
        {
          if: { properties: { type: { enum: ['api_key', 'basic'] } } },
          then: {
            required: ['credentialsSchema'],
            properties: {
              credentialsSchema: schemaObject,
              apply: authApplication,
              token: {
                type: 'object',
                additionalProperties: false,
                required: ['url'],
                properties: {
                  url: { type: 'string', pattern: '^https?://' },
                  grant: { enum: ['client_credentials'] },
                  clientAuth: { enum: ['basic', 'body'] },
                  scopes: { type: 'array', items: { type: 'string' } },
                  method: { type: 'string', pattern: '^[A-Z]+$' },
                  headers: { type: 'object', additionalProperties: { type: 'string' } },
                  body: { type: 'object', additionalProperties: { type: 'string' } },
                  form: { type: 'boolean' },
                  accessToken: { type: 'string', pattern: '^(/.*)?$' },
                  expiresIn: { type: 'string', pattern: '^(/.*)?$' },
                  assumedLifetimeSeconds: { type: 'integer', minimum: 60 },
                },
              },
            },
          },
        },
      ],
    },
    settingsSchema: schemaObject,
    connectionInputs: schemaObject,
    baseUrl: { type: 'string', pattern: '^(https?://|\\{\\+[\\w.-]+\\})' },
    actions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'inputSchema'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', maxLength: 100 },
          description: { type: 'string' },
          inputSchema: schemaObject,
          outputSchema: schemaObject,
        },
      },
    },
    sync: {
      type: ['object', 'null'],
      properties: { defaultFrequency: { type: 'string', pattern: '^\\d+(ms|s|m|h|d)$' } },
    },
  },
};
const DEFINITION_SCHEMA = { type: 'object', required: ['providers'], properties: { providers: { type: 'array', minItems: 1, items: PROVIDER_SCHEMA } } };

const ajv = createSchemaCompiler();
const validatePackage = ajv.compile(PACKAGE_SCHEMA);
const validateDefinition = ajv.compile(DEFINITION_SCHEMA);

function describeErrors(subject: string, errors: ErrorObject[] | null | undefined): string {
  const lines = (errors ?? [])
    .filter((error) => error.keyword !== 'if')
    .map((error) => `${subject}${error.instancePath.replace(/\//g, '.')} ${error.message ?? 'is invalid'}`);
  return [...new Set(lines)].join('; ');
}

function entryOf(pkg: { main?: string; exports?: unknown }): string | undefined {
  const pick = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const conditions = value as Record<string, unknown>;
      return pick(conditions['.'] ?? conditions.import ?? conditions.node ?? conditions.default);
    }
    return undefined;
  };
  return pick(pkg.exports) ?? pkg.main;
}

/** Reads and validates a plugin directory's package.json. */
export function readManifest(directory: string): PluginManifest {
  const dir = realpathSync(directory);
  const file = join(dir, 'package.json');
  if (!existsSync(file)) throw new InvalidPluginError('package.json is missing');
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new InvalidPluginError('package.json is not valid JSON');
  }
  if (!validatePackage(pkg)) throw new InvalidPluginError(describeErrors('package.json', validatePackage.errors));
  const version = pkg.version as string;
  if (!semver.valid(version)) throw new InvalidPluginError(`package.json version "${version}" is not a semver version`);
  const apiVersion = (pkg.plugboard as { apiVersion: string }).apiVersion;
  if (!semver.validRange(apiVersion)) throw new InvalidPluginError(`plugboard.apiVersion "${apiVersion}" is not a semver range`);
  const entryPath = entryOf(pkg);
  if (!entryPath) throw new InvalidPluginError('package.json names no entry file (main or exports)');
  const entry = resolve(dir, entryPath);
  const inside = relative(dir, entry);
  if (inside.startsWith('..') || inside.startsWith(sep) || !existsSync(entry) || !statSync(entry).isFile()) {
    throw new InvalidPluginError(`the entry file ${entryPath} is missing or outside the plugin`);
  }
  if (realpathSync(entry) !== entry && relative(dir, realpathSync(entry)).startsWith('..')) {
    throw new InvalidPluginError(`the entry file ${entryPath} links outside the plugin`);
  }
  return {
    name: pkg.name as string,
    version,
    ...(typeof pkg.description === 'string' ? { description: pkg.description } : {}),
    apiVersion,
    dir,
    entry,
  };
}

/** Whether a plugin declaring this apiVersion range can run on this host's SDK. */
export function isCompatible(apiVersion: string): boolean {
  return semver.validRange(apiVersion) !== null && semver.satisfies(SDK_VERSION, apiVersion, { includePrerelease: true });
}

/** Validates a described definition: its data, and that every JSON Schema in it is a valid schema. */
export function validateDescription(description: PluginDescription): void {
  if (!validateDefinition(description)) throw new InvalidPluginError(describeErrors('definition', validateDefinition.errors));
  const seen = new Set<string>();
  const problems: string[] = [];
  // A compiler of its own: plugins may reuse $ids another plugin's schemas declare. The meta-schema
  // check runs once per schema in the shared compiler, whose meta-schema is compiled once.
  const compiler = createSchemaCompiler({ checked: true });
  for (const [index, provider] of description.providers.entries()) {
    if (seen.has(provider.id)) problems.push(`provider id "${provider.id}" is declared twice`);
    seen.add(provider.id);
    const schemas: Array<[string, unknown]> = [
      ...(provider.auth.type === 'api_key' || provider.auth.type === 'basic'
        ? [['auth.credentialsSchema', provider.auth.credentialsSchema] as [string, unknown]]
        : []),
      ...(provider.settingsSchema ? [['settingsSchema', provider.settingsSchema] as [string, unknown]] : []),
      ...(provider.connectionInputs ? [['connectionInputs', provider.connectionInputs] as [string, unknown]] : []),
      ...provider.actions.flatMap((action) => [
        [`actions.${action.name}.inputSchema`, action.inputSchema] as [string, unknown],
        ...(action.outputSchema ? [[`actions.${action.name}.outputSchema`, action.outputSchema] as [string, unknown]] : []),
      ]),
    ];
    for (const [path, schema] of schemas) {
      try {
        if (!ajv.validateSchema(schema as object)) throw new Error(ajv.errorsText(ajv.errors));
        compiler.compile(schema as object);
      } catch (error) {
        problems.push(`providers[${index}].${path} is not a valid JSON Schema: ${(error as Error).message}`);
      }
    }
  }
  if (problems.length > 0) throw new InvalidPluginError(problems.join('; '));
}
