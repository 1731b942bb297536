import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { completeDocument, OpenApiContributions } from '../../core/openapi/openapi.js';
import type { JSONSchema } from '../../sdk/index.js';
import { PluginRegistry, type RegisteredProvider } from './plugin-registry.js';

const MARKER = 'x-plugboard-provider';

const pascal = (value: string) =>
  value
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');

/**
 * A plugin's JSON Schema (draft-07) as an OpenAPI 3.1 schema (2020-12): `secret` fields become write-only
 * passwords, and `dependencies` becomes `dependentRequired` or `dependentSchemas`.
 */
function toOpenApiSchema(schema: JSONSchema): Record<string, unknown> {
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === '$schema' || key === '$id') continue;
      // Property names are names, not keywords: a field may be called `secret` (Yotpo's is).
      if ((key === 'properties' || key === 'patternProperties') && item && typeof item === 'object' && !Array.isArray(item)) {
        out[key] = Object.fromEntries(Object.entries(item as Record<string, unknown>).map(([name, property]) => [name, convert(property)]));
        continue;
      }
      if (key === 'secret') {
        if (item === true) Object.assign(out, { writeOnly: true, format: 'password', 'x-secret': true });
        continue;
      }
      if (key === 'dependencies' && item && typeof item === 'object') {
        for (const [property, dependency] of Object.entries(item as Record<string, unknown>)) {
          const target = Array.isArray(dependency) ? 'dependentRequired' : 'dependentSchemas';
          out[target] = { ...(out[target] ?? {}), [property]: convert(dependency) };
        }
        continue;
      }
      out[key] = convert(item);
    }
    namePropertiesAlternativesRequire(out);
    return out;
  };
  return convert(schema) as Record<string, unknown>;
}

/**
 * `anyOf: [{ required: ['name'] }, { required: ['company'] }]` (one of these fields), and the same in
 * `if`, `then`, `else` and `not`, names properties the enclosing schema defines. Linters that read such a
 * subschema alone (Redocly's no-required-schema-properties-undefined) take them for undefined, so each
 * subschema also names them, with the `true` schema: the same constraints.
 */
function namePropertiesAlternativesRequire(schema: Record<string, unknown>): void {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (properties) nameRequired(schema, new Set(Object.keys(properties)), true);
}

const SUBSCHEMA_KEYWORDS = ['anyOf', 'oneOf', 'allOf', 'if', 'then', 'else', 'not'];

function nameRequired(node: unknown, defined: Set<string>, root = false): void {
  if (Array.isArray(node)) return node.forEach((item) => nameRequired(item, defined));
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (!root && Array.isArray(schema.required)) {
    const own = (schema.properties ?? {}) as Record<string, unknown>;
    const missing = schema.required.filter((name): name is string => typeof name === 'string' && defined.has(name) && !(name in own));
    if (missing.length > 0) schema.properties = { ...own, ...Object.fromEntries(missing.map((name) => [name, true])) };
  }
  for (const keyword of SUBSCHEMA_KEYWORDS) if (keyword in schema) nameRequired(schema[keyword], defined);
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * Named components for what each loaded provider accepts and returns — `Provider<Id>Credentials`,
 * `Provider<Id>Settings`, `Provider<Id>ConnectionInputs`, `Provider<Id>Action<Name>Input` and
 * `…Output` — and the operations that take them: for each provider its connect operation (`PUT
 * /v1/integrations/{id}`, or its OAuth start) and one operation per action, the generic routes with
 * `{provider}` and `{action}` filled in, so typed clients get each provider's own types. Replaces those
 * of earlier calls.
 */
export function applyProviderSchemas(document: OpenAPIObject, providers: RegisteredProvider[]): void {
  document.components ??= {};
  const schemas = (document.components.schemas ??= {}) as Record<string, Record<string, unknown>>;
  for (const [name, schema] of Object.entries(schemas)) if (schema && MARKER in schema) delete schemas[name];
  const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
  for (const [path, item] of Object.entries(paths)) if (Object.values(item).some((operation) => operation && MARKER in operation)) delete paths[path];
  for (const provider of [...providers].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const prefix = `Provider${pascal(provider.id)}`;
    const add = (suffix: string, schema: JSONSchema, description: string) => {
      schemas[`${prefix}${suffix}`] = { ...toOpenApiSchema(schema), description, [MARKER]: provider.id };
      return `${prefix}${suffix}`;
    };
    const credentials =
      provider.auth.type === 'api_key' || provider.auth.type === 'basic'
        ? add(
            'Credentials',
            provider.auth.credentialsSchema,
            `Credentials of ${provider.name} (PUT /v1/integrations/${provider.id}); secret fields are never returned`,
          )
        : undefined;
    const settings = provider.settingsSchema ? add('Settings', provider.settingsSchema, `Settings of ${provider.name}`) : undefined;
    const inputs = provider.connectionInputs
      ? add('ConnectionInputs', provider.connectionInputs, `Values entered before connecting ${provider.name}; kept in the connection's metadata`)
      : undefined;
    const operation = (operationId: string, summary: string, description: string, body: Record<string, unknown>, response: Record<string, unknown>) => ({
      operationId,
      summary,
      description,
      tags: ['Provider operations'],
      security: [{ memberJwt: [] }, { apiKey: [] }],
      'x-permission': 'integrations.manage',
      [MARKER]: provider.id,
      requestBody: { required: true, content: { 'application/json': { schema: body } } },
      responses: {
        '200': response,
        '404': problem('not_found: no connected integration of this provider in this account and mode'),
        '422': problem('provider_rejected: the provider refused the credentials or the input; its message is in `detail`'),
        '429': problem('rate_limited: too many requests for this account; provider_rate_limited: the provider’s budget is spent. See Retry-After'),
        '502': problem('provider_error: the provider failed or answered garbage'),
        '504': problem('provider_timeout: the provider or plugin did not answer in time'),
      },
    });
    const optional = (name: string | undefined, key: string) => (name ? { [key]: ref(name) } : {});
    const base = `/v1/integrations/${provider.id}`;
    if (provider.auth.type === 'oauth2') {
      paths[`${base}/oauth/start`] = {
        post: operation(
          `start${pascal(provider.id)}OAuth`,
          `${provider.name}: start connecting by OAuth`,
          `Starts connecting ${provider.name} by OAuth 2.0 (POST /v1/integrations/{provider}/oauth/start with its types): answers the URL to send the browser to.`,
          {
            type: 'object',
            required: ['returnUrl'],
            properties: {
              returnUrl: { type: 'string', description: 'Relative, or with an origin in ALLOWED_RETURN_ORIGINS', example: '/settings/integrations' },
              ...optional(settings, 'settings'),
              ...optional(inputs, 'inputs'),
              oauthApp: ref('OAuthAppDto'),
            },
          },
          { description: 'The provider URL to send the browser to', content: { 'application/json': { schema: ref('OAuthStartedDto') } } },
        ),
      };
    } else {
      paths[base] = {
        put: operation(
          `connect${pascal(provider.id)}`,
          `${provider.name}: connect`,
          `Connects ${provider.name} (PUT /v1/integrations/{provider} with its types): the credentials are verified with the provider, then stored encrypted.`,
          {
            type: 'object',
            ...(credentials ? { required: ['credentials'] } : {}),
            properties: {
              ...optional(credentials, 'credentials'),
              ...optional(settings, 'settings'),
              autoSync: { type: 'boolean' },
              ...optional(inputs, 'inputs'),
            },
          },
          { description: 'Connected (or saved)', content: { 'application/json': { schema: ref('IntegrationDto') } } },
        ),
      };
    }
    for (const action of provider.actions) {
      const input = add(
        `Action${pascal(action.name)}Input`,
        action.inputSchema,
        `Input of ${provider.name}'s action "${action.name}" (POST /v1/integrations/${provider.id}/actions/${action.name}): ${action.description}`,
      );
      const output = action.outputSchema
        ? add(`Action${pascal(action.name)}Output`, action.outputSchema, `What ${provider.name}'s action "${action.name}" returns`)
        : undefined;
      paths[`${base}/actions/${action.name}`] = {
        post: operation(
          `run${pascal(provider.id)}${pascal(action.name)}`,
          `${provider.name}: ${action.name}`,
          `${action.description.replace(/\.$/, '')}. Runs ${provider.name}'s action "${action.name}" (POST /v1/integrations/{provider}/actions/{action} with its types) on the account's default connection of ${provider.name}.`,
          {
            type: 'object',
            ...(Array.isArray(action.inputSchema.required) && action.inputSchema.required.length > 0 ? { required: ['input'] } : {}),
            properties: { input: ref(input) },
          },
          {
            description: "The action's output",
            content: {
              'application/json': {
                schema: output ? ref(output) : { description: `What ${provider.name}'s action "${action.name}" returns (it declares no output schema)` },
              },
            },
          },
        ),
      };
    }
  }
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/** How long after a change of the loaded plugins the served document is brought up to date. */
const REFRESH_DELAY_MS = 100;

/**
 * Keeps every document built from this application showing the providers loaded now (it registers in
 * its constructor: the document is built before modules initialise and load plugins).
 */
@Injectable()
export class PluginOpenApi {
  private readonly documents = new Set<OpenAPIObject>();

  constructor(registry: PluginRegistry, openApi: OpenApiContributions) {
    openApi.register((document) => {
      this.documents.add(document);
      applyProviderSchemas(document, registry.providers());
    });
    // The served document follows installs, enables and disables: once per burst of changes (start-up
    // loads every plugin one after the other; redoing the whole document after each would cost seconds).
    let pending: NodeJS.Timeout | undefined;
    registry.onChange(() => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        for (const document of this.documents) {
          applyProviderSchemas(document, registry.providers());
          completeDocument(document);
        }
      }, REFRESH_DELAY_MS);
      pending.unref();
    });
  }
}
