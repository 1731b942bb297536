import { Global, Injectable, Module, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The security schemes routes name: member JWTs and API keys, both as bearer tokens. */
export const MEMBER_JWT_SCHEME = 'memberJwt';
export const API_KEY_SCHEME = 'apiKey';

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: {
      type: 'string',
      enum: [
        'validation_failed',
        'unauthenticated',
        'plan_limit',
        'permission_denied',
        'not_found',
        'conflict',
        'payload_too_large',
        'provider_rejected',
        'plugin_rejected',
        'invalid_state',
        'invalid_request',
        'rate_limited',
        'provider_rate_limited',
        'internal',
        'provider_error',
        'unavailable',
        'provider_timeout',
      ],
    },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
    requestId: { type: 'string' },
    permission: { type: 'string' },
    plan: { type: 'string' },
    feature: { type: 'string' },
    limit: { type: ['integer', 'null'] },
  },
};

/** Adds to the generated document what decorators cannot say (plugin schemas, webhook payloads). */
export type OpenApiContributor = (document: OpenAPIObject) => void;

/** The application's contributors: modules register theirs when they initialise. */
@Injectable()
export class OpenApiContributions {
  private readonly contributors: OpenApiContributor[] = [];

  register(contributor: OpenApiContributor): void {
    this.contributors.push(contributor);
  }

  applyTo(document: OpenAPIObject): void {
    for (const contribute of this.contributors) contribute(document);
  }
}

@Global()
@Module({ providers: [OpenApiContributions], exports: [OpenApiContributions] })
export class OpenApiModule {}

/** The OpenAPI 3.1 document of the running application, deterministic for the drift check. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Plugboard API')
    .setDescription(
      'Connect third-party services, receive signed webhooks and call the API with live and test keys. ' +
        'Errors are RFC 9457 application/problem+json; lists are cursor-paginated.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Member JWT' }, MEMBER_JWT_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key: pb_live_… or pb_test_…' }, API_KEY_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = PROBLEM_SCHEMA;
  app.get(OpenApiContributions, { strict: false }).applyTo(document);
  addCommonResponses(document);
  return document;
}

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * The errors any operation can answer, whatever its module declared: bad input (400), credentials and
 * permissions on secured routes (401, 403), another account's
 * or a missing id (404), plan refusals on account routes (402), conflicts on changes (409), bodies over
 * BODY_LIMIT (413), rate limits per account and per client address (429) and an unavailable dependency
 * (503). Declared responses win.
 */
function addCommonResponses(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const secured = (operation.security?.length ?? 0) > 0;
      const accountRoute = secured && (operation as { 'x-permission'?: unknown })['x-permission'] !== 'instance_admin';
      const changes = method !== 'get';
      const common: Record<string, ReturnType<typeof problemResponse>> = {
        '400': problemResponse('The request is malformed or fails validation; `errors` lists each bad field'),
        ...(secured ? { '401': problemResponse('Missing, malformed, expired or revoked credentials') } : {}),
        ...(accountRoute ? { '402': problemResponse("The account's plan does not include this") } : {}),
        ...(secured ? { '403': problemResponse('The caller may not do this (role, membership or instance administration)') } : {}),
        ...(path.includes('{') ? { '404': problemResponse('No such resource in this account (or it belongs to another)') } : {}),
        ...(changes ? { '409': problemResponse('The change conflicts with the current state, or the Idempotency-Key was used with another body') } : {}),
        ...(changes ? { '413': problemResponse('The request body is larger than BODY_LIMIT') } : {}),
        '429': problemResponse(
          accountRoute
            ? 'Too many requests for this account, or failed authentications from this address; see Retry-After'
            : secured
              ? 'Too many failed authentications from this address; see Retry-After'
              : 'Too many requests from this address (PUBLIC_RATE_LIMIT_PER_MINUTE); see Retry-After',
        ),
        '503': problemResponse('A dependency (database, queue) is unavailable; see Retry-After'),
      };
      for (const [status, response] of Object.entries(common)) operation.responses[status] ??= response;
    }
  }
}
