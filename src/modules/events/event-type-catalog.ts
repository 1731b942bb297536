import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { type FieldError, ValidationFailedError } from '../../core/errors/app-errors.js';
import { assertJsonShape, jsonLimits } from '../../core/json/json-limits.js';
import type { ShapeLimits } from '../../core/json/json-shape.js';
import { OpenApiContributions } from '../../core/openapi/openapi.js';
import { BUILTIN_EVENT_TYPES, type EventTypeDefinition, type JsonSchema } from './builtin-event-types.js';

/** A dotted event type name such as `session.started`. */
export const EVENT_TYPE_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export interface CatalogEntry extends EventTypeDefinition {
  source: 'builtin' | 'operator';
}

export class EventTypeFileError extends Error {}

const addFormats = formats as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * Every event type this installation knows, each with the JSON Schema its `data` must satisfy:
 * the built-in types plus one `<type>.json` JSON Schema per file in EVENT_TYPES_DIR. A bad file stops
 * start-up with its name and the problem.
 */
@Injectable()
export class EventTypeCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly dataLimits: ShapeLimits;

  constructor(@Inject(APP_CONFIG) config: AppConfig, openApi: OpenApiContributions) {
    this.dataLimits = jsonLimits(config.jsonMaxKeys);
    const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
    for (const definition of BUILTIN_EVENT_TYPES) this.add(ajv, { ...definition, source: 'builtin' });
    for (const entry of loadOperatorTypes(config.eventTypesDir)) {
      if (this.entries.has(entry.type)) throw new EventTypeFileError(`${entry.type}.json: "${entry.type}" is a built-in event type`);
      this.add(ajv, entry);
    }
    openApi.register((document) => {
      const webhooks: Record<string, unknown> = {};
      for (const entry of this.list()) webhooks[entry.type] = webhookOperation(entry);
      (document as { webhooks?: Record<string, unknown> }).webhooks = webhooks;
    });
  }

  list(): CatalogEntry[] {
    return [...this.entries.values()];
  }

  get(type: string): CatalogEntry | undefined {
    return this.entries.get(type);
  }

  has(type: string): boolean {
    return this.entries.has(type);
  }

  /**
   * Throws 400 with every schema violation (paths under `data`) when `data` does not fit the type,
   * or naming the limit when it is deeper or larger than any accepted JSON (before ajv recurses).
   */
  assertValid(type: string, data: unknown): void {
    const validate = this.validators.get(type);
    if (!validate) {
      throw new ValidationFailedError('Unknown event type', [{ path: 'event', message: `"${type}" is not in GET /v1/event-types` }]);
    }
    assertJsonShape(data, this.dataLimits, 'data', 'data');
    if (validate(data)) return;
    const errors: FieldError[] = (validate.errors ?? []).map((error) => ({
      path: ['data', ...error.instancePath.split('/').filter(Boolean)].join('.'),
      message: error.message ?? 'is invalid',
    }));
    throw new ValidationFailedError(`data does not match the schema of ${type}`, errors);
  }

  private add(ajv: Ajv2020, entry: CatalogEntry): void {
    try {
      this.validators.set(entry.type, ajv.compile(entry.schema));
    } catch (error) {
      throw new EventTypeFileError(`${entry.type}: invalid JSON Schema: ${(error as Error).message}`);
    }
    this.entries.set(entry.type, entry);
  }
}

function loadOperatorTypes(dir: string): CatalogEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const type = file.slice(0, -'.json'.length);
      if (!EVENT_TYPE_NAME.test(type)) {
        throw new EventTypeFileError(`${join(dir, file)}: the file name must be the event type, e.g. order.shipped.json`);
      }
      let schema: JsonSchema;
      try {
        schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as JsonSchema;
      } catch (error) {
        throw new EventTypeFileError(`${join(dir, file)}: ${(error as Error).message}`);
      }
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
        throw new EventTypeFileError(`${join(dir, file)}: must hold a JSON Schema object`);
      }
      const examples = schema.examples;
      return {
        type,
        description: typeof schema.description === 'string' ? schema.description : type,
        schema,
        example: Array.isArray(examples) && isRecord(examples[0]) ? examples[0] : {},
        publishedBy: 'host' as const,
        source: 'operator' as const,
      };
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The envelope every outbound webhook request carries, with this type's payload as `data`. */
export function envelopeSchema(entry: EventTypeDefinition): JsonSchema {
  return {
    type: 'object',
    required: ['id', 'event', 'timestamp', 'accountId', 'livemode', 'data'],
    properties: {
      id: { type: 'string', format: 'uuid', description: 'The event id; equals the webhook-id header' },
      event: { type: 'string', const: entry.type },
      timestamp: { type: 'string', format: 'date-time', description: 'When the event was published' },
      accountId: { type: 'string', format: 'uuid' },
      livemode: { type: 'boolean' },
      data: entry.schema,
    },
  };
}

function webhookOperation(entry: CatalogEntry): Record<string, unknown> {
  const header = (description: string) => ({ required: true, schema: { type: 'string' }, description });
  return {
    post: {
      operationId: `on${entry.type
        .split(/[._]/)
        .map((word) => word[0].toUpperCase() + word.slice(1))
        .join('')}`,
      summary: entry.type,
      description: `${entry.description} Signed per Standard Webhooks; verify the raw body before parsing it.`,
      tags: ['Webhook events'],
      // Plugboard calls you: no Plugboard credentials; verify the webhook-signature header instead.
      security: [],
      parameters: [
        { in: 'header', name: 'webhook-id', ...header('The event id: the same on every retry and every endpoint') },
        { in: 'header', name: 'webhook-timestamp', ...header('Unix seconds when this attempt was signed') },
        { in: 'header', name: 'webhook-signature', ...header('v1,<base64 HMAC-SHA256>, space-separated during secret rotation') },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: envelopeSchema(entry), example: exampleEnvelope(entry) } } },
      responses: {
        '2XX': { description: 'Any 2xx acknowledges the delivery' },
        '410': { description: 'Gone: the endpoint is disabled at once' },
        '429': { description: 'Retried after Retry-After' },
        '503': { description: 'Retried after Retry-After' },
        default: { description: 'Any other answer (3xx included) or no answer is retried on the schedule' },
      },
    },
  };
}

function exampleEnvelope(entry: EventTypeDefinition): Record<string, unknown> {
  return {
    id: '2f6c1b4e-8d3a-4f7e-9a1b-0c2d4e6f8a9b',
    event: entry.type,
    timestamp: '2026-01-01T12:00:00.000Z',
    accountId: '7d9e2a1c-3b4f-4c5d-8e6f-1a2b3c4d5e6f',
    livemode: true,
    data: entry.example,
  };
}
