// Google sign-in for Plugboard's sign-in broker (GET /v1/sso/google_sso/authorize), written against Google's
// OpenID Connect documentation (https://developers.google.com/identity/openid-connect/openid-connect): the
// discovery document at https://accounts.google.com/.well-known/openid-configuration, the authorization code
// flow, and ID tokens issued by https://accounts.google.com. The broker in Plugboard runs the flow; this
// plugin declares the provider (what an account enters) and checks it when it is connected.
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ clientId: string, clientSecret: string, allowedDomains: string[] }} GoogleSsoCredentials
 * @typedef {{ provisioning?: { enabled: boolean, role?: string } }} GoogleSsoSettings
 * @typedef {import('plugboard/sdk').PluginContext<GoogleSsoCredentials, GoogleSsoSettings>} GoogleSsoContext
 */

const ISSUER = 'https://accounts.google.com';
const DISCOVERY_URL = `${ISSUER}/.well-known/openid-configuration`;
/** A DNS domain name (a Google Workspace primary domain, or gmail.com). */
const DOMAIN = '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$';
/** A role key, as `POST /v1/roles` makes them. */
const ROLE = '^[a-z][a-z0-9_]{1,39}$';

/**
 * Asks the token endpoint to redeem a code that cannot exist. An OAuth 2.0 server authenticates the client
 * before it looks at the code: an unknown client or a wrong secret answers `invalid_client`, a good client
 * `invalid_grant`. Nothing is redeemed, and no user is involved.
 * @param {GoogleSsoContext} ctx
 * @param {string} tokenEndpoint
 * @returns {Promise<'verified' | 'unconfirmed'>}
 */
async function checkClient(ctx, tokenEndpoint) {
  const { clientId, clientSecret } = ctx.credentials;
  const response = await ctx.http(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'plugboard-client-check', client_id: clientId, client_secret: clientSecret }).toString(),
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
    const said = typeof body?.error_description === 'string' ? `: ${body.error_description.split(clientSecret).join('[redacted]').slice(0, 200)}` : '';
    throw new ProviderRejectedError(
      `Google refused the client ID or secret (${error}${said}). Use a "Web application" OAuth client of your Google Cloud project and its current secret.`,
    );
  }
  if (response.status === 429 || response.status >= 500) throw new Error(`Google's token endpoint answered ${response.status}`);
  return error === 'invalid_grant' ? 'verified' : 'unconfirmed';
}

export default definePlugin({
  providers: [
    {
      id: 'google_sso',
      name: 'Google sign-in',
      category: 'authentication',
      description:
        "Let people sign in to your platform with their Google account, through your own Google OAuth client, limited to your Google Workspace domains.",
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['clientId', 'clientSecret', 'allowedDomains'],
          additionalProperties: false,
          properties: {
            clientId: {
              type: 'string',
              title: 'Client ID',
              description:
                'An OAuth 2.0 client of type "Web application" (Google Cloud console → APIs & Services → Credentials), whose authorized redirect URI is {PUBLIC_URL}/v1/sso/callback',
              pattern: '^[0-9]{6,20}-[a-z0-9]{16,64}\\.apps\\.googleusercontent\\.com$',
              secret: true,
            },
            clientSecret: {
              type: 'string',
              title: 'Client secret',
              description: 'The client’s secret (GOCSPX-…)',
              pattern: '^[A-Za-z0-9_-]{20,100}$',
              secret: true,
            },
            allowedDomains: {
              type: 'array',
              title: 'Allowed domains',
              description:
                'Google Workspace domains whose users may sign in (the ID token’s hd claim), or gmail.com for personal Gmail accounts',
              minItems: 1,
              maxItems: 50,
              uniqueItems: true,
              items: { type: 'string', maxLength: 253, pattern: DOMAIN },
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
      async verify(/** @type {GoogleSsoContext} */ ctx) {
        /** @type {{ issuer?: unknown, token_endpoint?: unknown }} */
        const discovery = await readJson(await ctx.http(DISCOVERY_URL, { headers: { accept: 'application/json' } }), ctx);
        if (discovery?.issuer !== ISSUER || typeof discovery.token_endpoint !== 'string') {
          throw new Error(`the OpenID configuration at ${DISCOVERY_URL} is not Google's`);
        }
        const clientCheck = await checkClient(ctx, discovery.token_endpoint);
        const allowedDomains = ctx.credentials.allowedDomains.map((domain) => domain.toLowerCase());
        return {
          displayName: `Google sign-in (${allowedDomains.join(', ')})`,
          metadata: { issuer: discovery.issuer, allowedDomains, clientCheck },
        };
      },
    },
  ],
});
