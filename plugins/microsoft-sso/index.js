// Microsoft sign-in (Entra ID, formerly Azure AD) for Plugboard's sign-in broker (GET /v1/sso/microsoft_sso/authorize),
// written against the Microsoft identity platform's OpenID Connect documentation
// (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc): the v2.0 discovery document at
// https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration and ID tokens issued by
// https://login.microsoftonline.com/{tenant id}/v2.0. The broker in Plugboard runs the flow; this plugin
// declares the provider (what an account enters) and checks it when it is connected.
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ applicationId: string, clientSecret: string, tenantId: string, allowedDomains: string[] }} MicrosoftSsoCredentials
 * @typedef {{ provisioning?: { enabled: boolean, role?: string } }} MicrosoftSsoSettings
 * @typedef {import('plugboard/sdk').PluginContext<MicrosoftSsoCredentials, MicrosoftSsoSettings>} MicrosoftSsoContext
 */

const LOGIN = 'https://login.microsoftonline.com';
const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const DOMAIN = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}';
const ROLE = '^[a-z][a-z0-9_]{1,39}$';
/** A v2.0 issuer: one tenant's, or the `{tenantid}` template the multi-tenant `organizations` endpoint advertises. */
const ISSUER = new RegExp(`^${LOGIN.replace(/\./g, '\\.')}/(${GUID}|\\{tenantid\\})/v2\\.0$`);

/** @param {MicrosoftSsoContext} ctx */
const discoveryUrl = (ctx) => `${LOGIN}/${encodeURIComponent(ctx.credentials.tenantId)}/v2.0/.well-known/openid-configuration`;

/**
 * Asks the token endpoint to redeem a code that cannot exist. Entra authenticates the client before it
 * looks at the code: an unknown application answers `unauthorized_client` (AADSTS700016) and a wrong
 * secret `invalid_client` (AADSTS7000215); a good client gets `invalid_grant`. Nothing is redeemed.
 * @param {MicrosoftSsoContext} ctx
 * @param {string} tokenEndpoint
 * @returns {Promise<'verified' | 'unconfirmed'>}
 */
async function checkClient(ctx, tokenEndpoint) {
  const { applicationId, clientSecret } = ctx.credentials;
  const response = await ctx.http(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'plugboard-client-check',
      client_id: applicationId,
      client_secret: clientSecret,
      scope: 'openid',
    }).toString(),
  });
  const text = await response.text();
  /** @type {{ error?: unknown, error_description?: unknown } | undefined} */
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = typeof body?.error === 'string' ? body.error : undefined;
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    // Entra's descriptions start with the AADSTS code and a sentence; the trace and correlation ids follow.
    const said = typeof body?.error_description === 'string' ? `: ${body.error_description.split(clientSecret).join('[redacted]').split(/\r?\n/)[0].slice(0, 200)}` : '';
    throw new ProviderRejectedError(
      `Microsoft refused the application ID or client secret (${error}${said}). Check the app registration's Application (client) ID, its tenant, and that the secret has not expired.`,
    );
  }
  if (response.status === 429 || response.status >= 500) throw new Error(`Microsoft's token endpoint answered ${response.status}`);
  return error === 'invalid_grant' ? 'verified' : 'unconfirmed';
}

export default definePlugin({
  providers: [
    {
      id: 'microsoft_sso',
      name: 'Microsoft sign-in',
      category: 'authentication',
      description:
        'Let people sign in to your platform with their Microsoft work account (Entra ID), through your own app registration, limited to your domains.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['applicationId', 'clientSecret', 'tenantId', 'allowedDomains'],
          additionalProperties: false,
          properties: {
            applicationId: {
              type: 'string',
              title: 'Application (client) ID',
              description:
                'Of an app registration (Entra admin center → App registrations) with the Web redirect URI {PUBLIC_URL}/v1/sso/callback and the optional ID token claims email and xms_edov',
              pattern: `^${GUID}$`,
              secret: true,
            },
            clientSecret: {
              type: 'string',
              title: 'Client secret',
              description: 'A client secret’s value (Certificates & secrets), not its id',
              pattern: '^\\S{16,200}$',
              secret: true,
            },
            tenantId: {
              type: 'string',
              title: 'Directory (tenant) ID',
              description: 'The tenant whose users may sign in: its id, one of its verified domains, or organizations for any work account',
              pattern: `^(${GUID}|${DOMAIN}|organizations)$`,
              maxLength: 253,
              secret: true,
            },
            allowedDomains: {
              type: 'array',
              title: 'Allowed domains',
              description: 'Email domains whose users may sign in (Entra must report the domain verified: the xms_edov claim)',
              minItems: 1,
              maxItems: 50,
              uniqueItems: true,
              items: { type: 'string', maxLength: 253, pattern: `^${DOMAIN}$` },
              secret: true,
            },
          },
        },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          provisioning: {
            type: 'object',
            title: 'Provisioning',
            description:
              'Add a person who signs in for the first time as a member with this role (when the code is exchanged by a key holding members.manage and the role’s permissions)',
            additionalProperties: false,
            required: ['enabled'],
            properties: {
              enabled: { type: 'boolean' },
              role: { type: 'string', pattern: ROLE, description: 'A built-in or custom role key; never owner' },
            },
            if: { properties: { enabled: { const: true } } },
            then: { required: ['role'], properties: { role: { not: { const: 'owner' } } } },
          },
        },
      },
      async verify(/** @type {MicrosoftSsoContext} */ ctx) {
        const url = discoveryUrl(ctx);
        /** @type {{ issuer?: unknown, token_endpoint?: unknown }} */
        const discovery = await readJson(await ctx.http(url, { headers: { accept: 'application/json' } }), ctx, {
          // Entra answers 400 with AADSTS90002 for a tenant that does not exist.
          message: (body) => (typeof body?.error_description === 'string' ? body.error_description.split(/\r?\n/)[0] : undefined),
        });
        const issuer = typeof discovery?.issuer === 'string' ? discovery.issuer : '';
        const match = ISSUER.exec(issuer);
        if (!match || typeof discovery.token_endpoint !== 'string') throw new Error(`the OpenID configuration at ${url} is not Microsoft's`);
        const tenantId = match[1] === '{tenantid}' ? null : match[1].toLowerCase();
        if (tenantId === null && ctx.credentials.tenantId !== 'organizations') throw new Error(`the OpenID configuration at ${url} names no tenant`);
        const clientCheck = await checkClient(ctx, discovery.token_endpoint);
        const allowedDomains = ctx.credentials.allowedDomains.map((domain) => domain.toLowerCase());
        return {
          displayName: `Microsoft sign-in (${allowedDomains.join(', ')})`,
          metadata: { issuer, tenantId, allowedDomains, clientCheck },
        };
      },
    },
  ],
});
