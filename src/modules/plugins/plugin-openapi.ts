import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { OpenApiContributions } from '../../core/openapi/openapi.js';
import type { JSONSchema } from '../../sdk/index.js';
import { PluginRegistry, type RegisteredProvider } from './plugin-registry.js';

const MARKER = 'x-plugboard-provider';

const pascal = (value: string) =>
  value
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');

/** A plugin's JSON Schema as an OpenAPI 3.1 schema: `secret` fields become write-only passwords. */
function toOpenApiSchema(schema: JSONSchema): Record<string, unknown> {
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (key === '$schema' || key === '$id') continue;
      if (key === 'secret') {
        if (item === true) Object.assign(out, { writeOnly: true, format: 'password', 'x-secret': true });
        continue;
      }
      out[key] = convert(item);
    }
    return out;
  };
  return convert(schema) as Record<string, unknown>;
}

/**
 * Named components for what each loaded provider accepts: `Provider<Id>Credentials`,
 * `Provider<Id>Settings` and `Provider<Id>Action<Name>Input`. Replaces those of earlier calls.
 */
export function applyProviderSchemas(document: OpenAPIObject, providers: RegisteredProvider[]): void {
  document.components ??= {};
  const schemas = (document.components.schemas ??= {}) as Record<string, Record<string, unknown>>;
  for (const [name, schema] of Object.entries(schemas)) if (schema && MARKER in schema) delete schemas[name];
  for (const provider of [...providers].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const prefix = `Provider${pascal(provider.id)}`;
    const add = (suffix: string, schema: JSONSchema, description: string) => {
      schemas[`${prefix}${suffix}`] = { ...toOpenApiSchema(schema), description, [MARKER]: provider.id };
    };
    if (provider.auth.type === 'api_key' || provider.auth.type === 'basic') {
      add(
        'Credentials',
        provider.auth.credentialsSchema,
        `Credentials of ${provider.name} (PUT /v1/integrations/${provider.id}); secret fields are never returned`,
      );
    }
    if (provider.settingsSchema) add('Settings', provider.settingsSchema, `Settings of ${provider.name}`);
    for (const action of provider.actions) {
      add(
        `Action${pascal(action.name)}Input`,
        action.inputSchema,
        `Input of ${provider.name}'s action "${action.name}" (POST /v1/integrations/${provider.id}/actions/${action.name}): ${action.description}`,
      );
      if (action.outputSchema) add(`Action${pascal(action.name)}Output`, action.outputSchema, `What ${provider.name}'s action "${action.name}" returns`);
    }
  }
}

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
    // The served document follows installs, enables and disables.
    registry.onChange(() => {
      for (const document of this.documents) applyProviderSchemas(document, registry.providers());
    });
  }
}
