import type { OpenAPIObject } from '@nestjs/swagger';
import { CODES_BY_STATUS, ERROR_CODES, type ErrorCodeName, PROBLEM_EXAMPLES } from './problems.js';
import { sample } from './schema-sample.js';

type Json = Record<string, unknown>;
type Schema = Json;

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const PROBLEM_REF = '#/components/schemas/Problem';

/** Request headers every operation reads, and the response headers it answers with. */
const PARAMETERS: Record<string, Json> = {
  RequestId: {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      'Your correlation id (1 to 128 letters, digits, `_`, `.`, `:` or `-`), echoed in the answer and in every log line of the request; a UUID is generated when it is absent or another shape',
    schema: { type: 'string', pattern: '^[\\w.:-]{1,128}$' },
  },
  PlugboardMode: {
    name: 'Plugboard-Mode',
    in: 'header',
    required: false,
    description:
      'The mode to act in, `live` or `test` (any case). Members act in live mode unless they send `test`; an API key acts in its own mode, and sending the other is 401 `key_wrong_mode`.',
    schema: { type: 'string', enum: ['live', 'test'] },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a POST safe to retry: the same key and body within 24 hours replays the first successful answer (with `Idempotent-Replayed: true`); the same key with another body is 409 `conflict`.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
};

const HEADERS: Record<string, Json> = {
  RequestId: { description: 'The request id: yours, echoed, or generated', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
  RateLimitLimit: { description: 'Requests this account may make per minute (RATE_LIMIT_PER_MINUTE)', schema: { type: 'integer', minimum: 0 } },
  RateLimitRemaining: { description: 'Requests left in the current minute', schema: { type: 'integer', minimum: 0 } },
  IdempotentReplayed: {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
};

const parameterRef = (name: keyof typeof PARAMETERS) => ({ $ref: `#/components/parameters/${name}` });
const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });
const exampleRef = (code: ErrorCodeName) => ({ $ref: `#/components/examples/${code}` });

const problemContent = (codes: ErrorCodeName[]) => ({
  'application/problem+json': { schema: { $ref: PROBLEM_REF }, examples: Object.fromEntries(codes.map((code) => [code, exampleRef(code)])) },
});

/** The errors most operations can answer, described once. */
const SHARED_RESPONSES: Record<string, { status: string; description: string; codes: ErrorCodeName[] }> = {
  ValidationFailed: { status: '400', description: 'The request is malformed or fails validation; `errors` lists each bad field', codes: ['validation_failed'] },
  Unauthenticated: { status: '401', description: 'Missing, malformed, expired or revoked credentials; `reason` says which', codes: ['unauthenticated'] },
  PlanLimit: { status: '402', description: "The account's plan does not include this; `plan`, `feature` and `limit` say what", codes: ['plan_limit'] },
  PermissionDenied: { status: '403', description: 'The caller may not do this: `permission` names what it lacks', codes: ['permission_denied'] },
  NotFound: { status: '404', description: 'No such resource in this account (or it belongs to another)', codes: ['not_found'] },
  Conflict: {
    status: '409',
    description: 'The change conflicts with the current state, or the Idempotency-Key was used with another body',
    codes: ['conflict'],
  },
  PayloadTooLarge: { status: '413', description: 'The request body is larger than BODY_LIMIT', codes: ['payload_too_large'] },
  RateLimited: {
    status: '429',
    description: 'Too many requests for the account, or from this address (public routes and failed authentications); wait for Retry-After',
    codes: ['rate_limited'],
  },
  Unavailable: { status: '503', description: 'A dependency (database, queue) is unavailable; wait for Retry-After', codes: ['unavailable'] },
};

function sharedResponses(): Json {
  return Object.fromEntries(
    Object.entries(SHARED_RESPONSES).map(([name, { status, description, codes }]) => [
      name,
      {
        description,
        headers: {
          'X-Request-Id': headerRef('RequestId'),
          ...(status === '429' || status === '503' ? { 'Retry-After': headerRef('RetryAfter') } : {}),
        },
        content: problemContent(codes),
      },
    ]),
  );
}

const responseRef = (name: keyof typeof SHARED_RESPONSES) => ({ $ref: `#/components/responses/${name}` });

/**
 * Completes what decorators and contributors leave out, the same way for every operation (idempotent:
 * run again after plugins change): public routes' empty `security`, the headers every operation reads
 * and answers with, the errors any operation can answer, problem examples per code, request and
 * response examples built from the schemas, open objects typed as such, and request-side defaults that
 * type generators do not take for required fields.
 */
export function completeDocument(document: OpenAPIObject): void {
  const components = (document.components ??= {}) as Json;
  components.parameters = { ...(components.parameters ?? {}), ...PARAMETERS };
  components.headers = { ...(components.headers ?? {}), ...HEADERS };
  components.responses = { ...(components.responses ?? {}), ...sharedResponses() };
  components.examples = {
    ...(components.examples ?? {}),
    ...Object.fromEntries(ERROR_CODES.map((code) => [code, { summary: code, value: PROBLEM_EXAMPLES[code] }])),
  };
  const schemas = (components.schemas ?? {}) as Record<string, Schema>;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Json | undefined>)[method];
      if (operation) completeOperation(document, path, method, operation);
    }
  }
  const webhooks = (document as { webhooks?: Record<string, Record<string, Json>> }).webhooks ?? {};
  for (const item of Object.values(webhooks)) for (const operation of Object.values(item)) operation.security ??= [];
  for (const schema of Object.values(schemas)) openEmptyObjects(schema);
  for (const item of Object.values(document.paths)) openEmptyObjects(item);
  wrapRequestDefaults(document, schemas);
  pruneUnused(document, components);
}

/** Shared responses and problem examples no operation uses are left out (a linter reports unused components). */
function pruneUnused(document: OpenAPIObject, components: Json): void {
  const text = JSON.stringify({ paths: document.paths, webhooks: (document as { webhooks?: unknown }).webhooks, responses: components.responses });
  for (const kind of ['responses', 'examples'] as const) {
    const owned = kind === 'responses' ? Object.keys(SHARED_RESPONSES) : [...ERROR_CODES];
    const entries = components[kind] as Json;
    for (const name of owned) if (!text.includes(`"#/components/${kind}/${name}"`)) delete entries[name];
  }
}

function completeOperation(document: OpenAPIObject, path: string, method: (typeof METHODS)[number], operation: Json): void {
  const security = operation.security as unknown[] | undefined;
  if (!security || security.length === 0) operation.security = [];
  const secured = (operation.security as unknown[]).length > 0;
  // Connect session routes are `public` to Plugboard's roles but need the session's token.
  const accountRoute = secured && !['instance_admin', 'public'].includes(String(operation['x-permission']));
  const changes = method !== 'get';

  const parameters = ((operation.parameters as Json[] | undefined) ?? []).filter(
    (parameter) => !('$ref' in parameter && String(parameter.$ref).startsWith('#/components/parameters/')),
  );
  for (const parameter of parameters) withoutPrefilledExample(parameter);
  const common = [
    parameterRef('RequestId'),
    ...(accountRoute ? [parameterRef('PlugboardMode')] : []),
    ...(method === 'post' ? [parameterRef('IdempotencyKey')] : []),
  ];
  operation.parameters = [...parameters, ...common];

  const responses = operation.responses as Record<string, Json>;
  const defaults: Record<string, Json> = {
    '400': responseRef('ValidationFailed'),
    ...(secured ? { '401': responseRef('Unauthenticated') } : {}),
    ...(accountRoute ? { '402': responseRef('PlanLimit') } : {}),
    ...(secured && operation['x-permission'] !== 'public' ? { '403': responseRef('PermissionDenied') } : {}),
    ...(path.includes('{') ? { '404': responseRef('NotFound') } : {}),
    ...(changes ? { '409': responseRef('Conflict') } : {}),
    ...(changes ? { '413': responseRef('PayloadTooLarge') } : {}),
    '429': responseRef('RateLimited'),
    '503': responseRef('Unavailable'),
  };
  for (const [status, response] of Object.entries(defaults)) responses[status] ??= response;

  for (const [status, response] of Object.entries(responses)) {
    if ('$ref' in response) continue;
    const headers = (response.headers as Json | undefined) ?? {};
    headers['X-Request-Id'] = headerRef('RequestId');
    if (status === '429' || status === '503') headers['Retry-After'] = headerRef('RetryAfter');
    if (accountRoute) {
      headers['RateLimit-Limit'] = headerRef('RateLimitLimit');
      headers['RateLimit-Remaining'] = headerRef('RateLimitRemaining');
    }
    if (method === 'post' && status.startsWith('2')) headers['Idempotent-Replayed'] = headerRef('IdempotentReplayed');
    response.headers = headers;
    const content = response.content as Record<string, Json> | undefined;
    if (!content) continue;
    const problem = content['application/problem+json'];
    if (problem && !problem.examples) problem.examples = problemExamples(status, typeof response.description === 'string' ? response.description : '');
    const json = content['application/json'];
    if (json?.schema && status.startsWith('2') && json.example === undefined && json.examples === undefined) {
      const example = sample(document, json.schema as Schema);
      if (example !== undefined) json.example = example;
    }
  }

  const body = (operation.requestBody as { content?: Record<string, Json> } | undefined)?.content?.['application/json'];
  if (body?.schema && body.example === undefined && body.examples === undefined) {
    const example = sample(document, body.schema as Schema);
    if (example !== undefined) body.example = example;
  }
}

/**
 * Swagger UI's "Try it out" fills optional parameters with their examples: a filter example would
 * silently narrow the answer (`category=payment`), a header one change the mode. Optional query and
 * header parameters keep their example in the description only.
 */
function withoutPrefilledExample(parameter: Json): void {
  if (parameter.required === true || (parameter.in !== 'query' && parameter.in !== 'header')) return;
  const schema = parameter.schema as Json | undefined;
  const example = parameter.example ?? schema?.example;
  if (example === undefined) return;
  delete parameter.example;
  if (schema) delete schema.example;
  const text = `For example \`${typeof example === 'string' ? example : JSON.stringify(example)}\`.`;
  parameter.description = typeof parameter.description === 'string' ? `${parameter.description.replace(/\.?$/, '.')} ${text}` : text;
}

/** Examples of the codes a response can carry: those its description names, else its status's usual ones. */
function problemExamples(status: string, description: string): Json {
  const named = ERROR_CODES.filter((code) => new RegExp(`\\b${code}\\b`).test(description) && String(PROBLEM_EXAMPLES[code].status) === status);
  const codes: ErrorCodeName[] = named.length > 0 ? named : (CODES_BY_STATUS[status] ?? []);
  return Object.fromEntries(codes.map((code) => [code, exampleRef(code)]));
}

/** `{ type: 'object' }` with nothing else says "any object"; typed clients read it as "no keys" unless told. */
function openEmptyObjects(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(openEmptyObjects);
  if (!node || typeof node !== 'object') return;
  const schema = node as Json;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (
    types.includes('object') &&
    !['properties', 'additionalProperties', 'patternProperties', 'allOf', 'oneOf', 'anyOf', '$ref', 'const', 'enum'].some((key) => key in schema)
  ) {
    schema.additionalProperties = true;
  }
  for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples' && key !== 'default') openEmptyObjects(value);
}

/**
 * A property with a `default` in a request schema may be left out: the server fills it in. Generators
 * such as openapi-typescript take a defaulted property of a named schema for one every value has (true
 * of responses), so in schemas that only requests use the default moves one level down, into an
 * `allOf` of the property's schema: the same JSON Schema, and the property stays optional in the types.
 */
function wrapRequestDefaults(document: OpenAPIObject, schemas: Record<string, Schema>): void {
  const answered = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const ref = (node as Json).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      if (answered.has(name)) return;
      answered.add(name);
      visit(schemas[name]);
    }
    for (const value of Object.values(node)) visit(value);
  };
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Json | undefined>)[method];
      if (operation) visit(operation.responses);
    }
  }
  const webhooks = (document as { webhooks?: unknown }).webhooks;
  visit(webhooks);
  for (const [name, schema] of Object.entries(schemas)) if (!answered.has(name)) wrapDefaults(schema);
}

function wrapDefaults(schema: unknown): void {
  if (Array.isArray(schema)) return schema.forEach(wrapDefaults);
  if (!schema || typeof schema !== 'object') return;
  const node = schema as Json;
  const properties = node.properties as Record<string, Json> | undefined;
  if (properties) {
    for (const [key, property] of Object.entries(properties)) {
      if (property && typeof property === 'object' && property.default !== undefined) {
        const { description, ...rest } = property;
        properties[key] = { description: description ?? `Defaults to ${JSON.stringify(rest.default)}`, allOf: [rest] };
      }
    }
  }
  for (const [key, value] of Object.entries(node)) if (key !== 'example' && key !== 'examples' && key !== 'default') wrapDefaults(value);
}
