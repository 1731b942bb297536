import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiResponse } from '@nestjs/swagger';
import { API_KEY_SCHEME, MEMBER_JWT_SCHEME } from '../../core/openapi/openapi.js';
import type { Permission } from './permissions.js';

export const ACCESS_RULE = 'plugboard:access';

export type AccessRule = { kind: 'permission'; permissions: readonly Permission[] } | { kind: 'account' } | { kind: 'instance_admin' };

/** A documented problem+json response. */
export const problem = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/**
 * Account route: the caller (member or API key) needs `permission`, or any one of several; also
 * documents it in OpenAPI (`x-permission`, alternatives separated by `|`).
 */
export function Authorize(...permissions: [Permission, ...Permission[]]) {
  const documented = permissions.join('|');
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'permission', permissions } satisfies AccessRule),
    ApiBearerAuth(MEMBER_JWT_SCHEME),
    ApiBearerAuth(API_KEY_SCHEME),
    ApiExtension('x-permission', documented),
    problem(401, 'Missing, malformed, expired or revoked credentials'),
    problem(403, `The caller lacks ${permissions.map((permission) => `"${permission}"`).join(' or ')}`),
  );
}

/** Account route open to any member or key of the account (e.g. GET /v1/me). */
export function AuthorizeAccount() {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'account' } satisfies AccessRule),
    ApiBearerAuth(MEMBER_JWT_SCHEME),
    ApiBearerAuth(API_KEY_SCHEME),
    ApiExtension('x-permission', 'account'),
    problem(401, 'Missing, malformed, expired or revoked credentials'),
  );
}

/** Instance route: a member JWT with `instance_admin: true`. */
export function InstanceAdmin() {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'instance_admin' } satisfies AccessRule),
    ApiBearerAuth(MEMBER_JWT_SCHEME),
    ApiExtension('x-permission', 'instance_admin'),
    problem(401, 'Missing, malformed or expired token'),
    problem(403, 'The token is not an instance administrator'),
  );
}
