import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiParam, ApiResponse } from '@nestjs/swagger';
import { problem } from '../../rbac/index.js';

/** What a route that calls the provider can answer besides its own result. */
export const ProviderCallResponses = () =>
  applyDecorators(
    problem(422, 'provider_rejected: the provider refused the credentials or the input; its message is in `detail`'),
    problem(429, 'rate_limited: too many requests for this account; provider_rate_limited: the provider’s budget is spent. See Retry-After'),
    problem(502, 'provider_error: the provider failed or answered garbage'),
    problem(504, 'provider_timeout: the provider or plugin did not answer in time'),
  );

/** How the proxy's nested path is sent and read; the same text in the document and in the README. */
export const PROXY_PATH_DESCRIPTION =
  'The provider path under its base URL, e.g. `users/me/calendarList`. Send its slashes as they are or percent-encoded (`users%2Fme%2FcalendarList`, as typed clients do): both reach the same path. Each segment is percent-decoded once and encoded again before it is forwarded, so `%3F`, `%23` and `%25` stay data, never a query or a fragment; dot segments are resolved and may not leave the base path. The query string is forwarded as it is.';

/** A proxy route: the nested path parameter, any body, and the provider's answer as it came. */
export const ProxyRoute = (method: 'get' | 'post' | 'put' | 'patch' | 'delete') =>
  applyDecorators(
    ApiParam({ name: 'path', description: PROXY_PATH_DESCRIPTION, schema: { type: 'string', minLength: 1 }, example: 'users/me/calendarList' }),
    ...(method === 'get' || method === 'delete'
      ? []
      : [
          ApiConsumes('application/json', 'application/octet-stream'),
          ApiBody({ required: false, description: 'Forwarded as it is, with its Content-Type', schema: { description: 'Any body the provider takes' } }),
        ]),
    ApiOkResponse({
      description: "The provider's answer: its status (any below 500), body and Content-Type, with its ETag, Last-Modified, Retry-After and Link headers",
      content: {
        'application/json': { schema: { type: 'object', additionalProperties: true }, example: { kind: 'calendar#calendarList', items: [] } },
        'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      },
    }),
    ApiResponse({ status: 'default', description: 'Any other status the provider answered below 500, passed on with its body' }),
    problem(400, 'validation_failed: the path leaves the provider API, or the provider declares no base URL'),
    ProviderCallResponses(),
  );
