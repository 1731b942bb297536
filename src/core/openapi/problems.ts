/** Every `code` a problem+json answer can carry, in the order of their statuses. */
export const ERROR_CODES = [
  'validation_failed',
  'invalid_state',
  'invalid_request',
  'unauthenticated',
  'plan_limit',
  'permission_denied',
  'not_found',
  'conflict',
  'payload_too_large',
  'provider_rejected',
  'plugin_rejected',
  'rate_limited',
  'provider_rate_limited',
  'internal',
  'provider_error',
  'unavailable',
  'provider_timeout',
] as const;

export type ErrorCodeName = (typeof ERROR_CODES)[number];

const TYPE = (code: ErrorCodeName) => `https://plugboard.dev/problems/${code}`;
const REQUEST_ID = '4f1c2a9e-6b7d-4e3f-8a2b-1c0d9e8f7a6b';

/** One example answer per code, shown with each response that can carry it. */
export const PROBLEM_EXAMPLES: Record<ErrorCodeName, Record<string, unknown>> = {
  validation_failed: {
    type: TYPE('validation_failed'),
    title: 'Bad Request',
    status: 400,
    detail: 'Validation failed',
    code: 'validation_failed',
    errors: [{ path: 'url', message: 'url must be an https URL' }],
    requestId: REQUEST_ID,
  },
  invalid_state: {
    type: TYPE('invalid_state'),
    title: 'Bad Request',
    status: 400,
    detail: 'The OAuth state is not one Plugboard issued',
    code: 'invalid_state',
  },
  invalid_request: { type: TYPE('invalid_request'), title: 'Bad Request', status: 400, detail: 'The state parameter is repeated', code: 'invalid_request' },
  unauthenticated: {
    type: TYPE('unauthenticated'),
    title: 'Unauthorized',
    status: 401,
    detail: 'The API key has been revoked',
    code: 'unauthenticated',
    reason: 'key_revoked',
    requestId: REQUEST_ID,
  },
  plan_limit: {
    type: TYPE('plan_limit'),
    title: 'Payment Required',
    status: 402,
    detail: 'The basic plan does not include webhooks',
    code: 'plan_limit',
    plan: 'basic',
    feature: 'webhooks',
    limit: null,
  },
  permission_denied: {
    type: TYPE('permission_denied'),
    title: 'Forbidden',
    status: 403,
    detail: 'This needs the webhooks.manage permission',
    code: 'permission_denied',
    permission: 'webhooks.manage',
  },
  not_found: { type: TYPE('not_found'), title: 'Not Found', status: 404, detail: 'Webhook endpoint not found', code: 'not_found' },
  conflict: {
    type: TYPE('conflict'),
    title: 'Conflict',
    status: 409,
    detail: 'The Idempotency-Key was used with another request body',
    code: 'conflict',
  },
  payload_too_large: {
    type: TYPE('payload_too_large'),
    title: 'Payload Too Large',
    status: 413,
    detail: 'The request body is larger than allowed',
    code: 'payload_too_large',
  },
  provider_rejected: {
    type: TYPE('provider_rejected'),
    title: 'Unprocessable Content',
    status: 422,
    detail: 'Invalid API Key provided: sk_test_****1234',
    code: 'provider_rejected',
  },
  plugin_rejected: {
    type: TYPE('plugin_rejected'),
    title: 'Unprocessable Content',
    status: 422,
    detail: 'signature: unsigned',
    code: 'plugin_rejected',
  },
  rate_limited: { type: TYPE('rate_limited'), title: 'Too Many Requests', status: 429, detail: 'Too many requests', code: 'rate_limited' },
  provider_rate_limited: {
    type: TYPE('provider_rate_limited'),
    title: 'Too Many Requests',
    status: 429,
    detail: 'The provider is rate limiting these requests; retry later',
    code: 'provider_rate_limited',
  },
  internal: {
    type: TYPE('internal'),
    title: 'Internal Server Error',
    status: 500,
    detail: 'An unexpected error occurred; quote the request id when reporting it',
    code: 'internal',
    requestId: REQUEST_ID,
  },
  provider_error: { type: TYPE('provider_error'), title: 'Bad Gateway', status: 502, detail: 'The provider answered 500', code: 'provider_error' },
  unavailable: { type: TYPE('unavailable'), title: 'Service Unavailable', status: 503, detail: 'The database is unavailable', code: 'unavailable' },
  provider_timeout: {
    type: TYPE('provider_timeout'),
    title: 'Gateway Timeout',
    status: 504,
    detail: 'The provider did not answer in time',
    code: 'provider_timeout',
  },
};

/** The codes an answer of each status can carry. */
export const CODES_BY_STATUS: Record<string, ErrorCodeName[]> = {
  '400': ['validation_failed'],
  '401': ['unauthenticated'],
  '402': ['plan_limit'],
  '403': ['permission_denied'],
  '404': ['not_found'],
  '409': ['conflict'],
  '413': ['payload_too_large'],
  '422': ['provider_rejected'],
  '429': ['rate_limited'],
  '500': ['internal'],
  '502': ['provider_error'],
  '503': ['unavailable'],
  '504': ['provider_timeout'],
};
