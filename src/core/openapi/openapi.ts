import { Global, Injectable, Module, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { completeDocument } from './document-completion.js';
import { ERROR_CODES } from './problems.js';

/** The security schemes routes name: member JWTs and API keys, both as bearer tokens. */
export const MEMBER_JWT_SCHEME = 'memberJwt';
export const API_KEY_SCHEME = 'apiKey';
/** The browser's token of a hosted connect session (`cs_…`), good for the /v1/connect routes only. */
export const CONNECT_SESSION_SCHEME = 'connectSession';

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is the machine-readable reason; branch on it, never on `detail`.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', example: 'https://plugboard.dev/problems/not_found' },
    title: { type: 'string', example: 'Not Found' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', example: 'Webhook endpoint not found' },
    code: { type: 'string', enum: [...ERROR_CODES] },
    errors: {
      type: 'array',
      description: 'validation_failed: each bad field',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
    requestId: { type: 'string', description: 'The X-Request-Id of the request; quote it when reporting a problem' },
    reason: { type: 'string', description: 'unauthenticated: why the credentials were refused (key_revoked, token_invalid, …)' },
    permission: { type: 'string', description: 'permission_denied: the permission the caller lacks' },
    plan: { type: 'string', description: "plan_limit: the account's plan" },
    feature: { type: 'string', description: 'plan_limit: the plan feature that refused' },
    limit: { type: ['integer', 'null'], description: 'plan_limit: the limit reached (null: not included at all)' },
  },
};

/**
 * The tags operations carry, one each, in the order readers meet them. A module whose routes need a new
 * tag adds it here; the linters refuse an operation with an undeclared tag.
 */
export const OPENAPI_TAGS: { name: string; description: string }[] = [
  { name: 'Me', description: 'Who is calling: role, permissions, plan, limits and usage.' },
  { name: 'Accounts', description: 'Accounts of this installation (instance administrators only).' },
  { name: 'Members', description: "The account's team members and their roles." },
  { name: 'Roles', description: 'Built-in and custom roles, and the permission catalog.' },
  { name: 'API keys', description: 'Live and test API keys: created, listed, rolled and revoked; the key itself is shown once.' },
  { name: 'Audit log', description: 'Who changed what, when, with which member or key.' },
  { name: 'Providers', description: 'The providers loaded from plugins, with their schemas and actions, and whether the plan allows them.' },
  {
    name: 'Integrations',
    description: "The account's default shared connection of each provider, addressed by provider id: connect, configure, sync, call actions, proxy.",
  },
  {
    name: 'Provider operations',
    description:
      'One operation per loaded provider and action, typed with the provider’s own schemas: the same routes as the Integrations ones with `{provider}` and `{action}` filled in.',
  },
  { name: 'Connections', description: 'Connections by id: several per provider, owned by the account, a member or an end user.' },
  { name: 'Connect sessions', description: 'Hosted connect sessions: an end user connects a provider in a browser without a Plugboard account.' },
  { name: 'Provider callbacks', description: 'Public routes providers and calendar apps call: the OAuth callback, inbound webhooks and feeds.' },
  { name: 'Events', description: 'The event catalog, publishing events and reading them back.' },
  { name: 'Webhooks', description: 'Webhook endpoints, their signing secrets, deliveries, retries and recovery.' },
  {
    name: 'Console',
    description: 'Signing in to the web console at /console: one-time links that become session cookies, with a CSRF token for unsafe requests.',
  },
  { name: 'Single sign-on', description: 'Sign people in with an identity provider connected as an integration (google_sso, microsoft_sso).' },
  { name: 'Plugins', description: 'Installed plugins and the marketplace (instance administrators only).' },
  {
    name: 'Webhook events',
    description: 'What Plugboard POSTs to your webhook endpoints, one entry per event type, signed per Standard Webhooks (see the `webhooks` section).',
  },
];

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

/**
 * The OpenAPI 3.1 document of the running application, deterministic for the drift check. `servers` is
 * PUBLIC_URL (the committed document: its default, http://localhost:3000).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = app.get<AppConfig>(APP_CONFIG, { strict: false });
  const builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Plugboard API')
    .setDescription(
      [
        'Connect third-party services, receive signed webhooks and call the API with live and test keys.',
        '',
        '- **Authentication**: `Authorization: Bearer <token>`, a member JWT or an API key (`pb_live_…`, `pb_test_…`). Members act in test mode with `Plugboard-Mode: test`.',
        '- **Errors** are RFC 9457 `application/problem+json` with a machine-readable `code`.',
        '- **Lists** take `?limit=` (1–100) and `?cursor=` and answer `{ data, nextCursor }`.',
        '- **Retries**: send `Idempotency-Key` on POST; the same key and body within 24 h replays the first answer. Honour `Retry-After` on 429 and 503.',
        '- **Webhooks** are signed per Standard Webhooks; their payloads are in the `webhooks` section.',
        '',
        'Read this document at `/reference` (ReDoc), try it at `/docs` (Swagger UI), or fetch it at `/openapi.json` to generate a client.',
      ].join('\n'),
    )
    .setVersion('1')
    .setContact('Plugboard operator', config.publicUrl, '')
    .setLicense('Proprietary: the terms of the Plugboard installation that serves this document', `${config.publicUrl}/reference`)
    .addServer(config.publicUrl, 'This Plugboard installation (PUBLIC_URL)')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A member JWT (HS256 with AUTH_JWT_SECRET, or your identity provider’s keys)' },
      MEMBER_JWT_SCHEME,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'pb_live_… or pb_test_…', description: 'An API key: `pb_live_…` or `pb_test_…`' },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'cs_…', description: 'A connect session token (`cs_…`), for the /v1/connect routes only' },
      CONNECT_SESSION_SCHEME,
    );
  for (const tag of OPENAPI_TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (controllerKey, methodKey) => `${methodKey}${controllerKey.replace(/Controller$/, '')}`,
  });
  if (document.info.contact) delete (document.info.contact as { email?: string }).email;
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = PROBLEM_SCHEMA;
  app.get(OpenApiContributions, { strict: false }).applyTo(document);
  completeDocument(document);
  return document;
}

export { completeDocument } from './document-completion.js';
