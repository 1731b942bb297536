import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness, type StubResponse } from '../../src/sdk/testing.js';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import { loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const TENANT = 'c0ffee00-1111-4222-8333-444455556666';
const GOOGLE = {
  clientId: '123456789012-abcdefghijklmnop0123456789abcdef.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-unit-test-secret-0123456789',
  allowedDomains: ['Acme.test'],
};
const MICROSOFT = {
  applicationId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  clientSecret: 'Xy8Q~unit.test-secret_0123456789abcdef',
  tenantId: TENANT,
  allowedDomains: ['contoso.test'],
};

let google: PluginDefinition;
let microsoft: PluginDefinition;
beforeAll(async () => {
  google = await loadBundledPlugin('google-sso');
  microsoft = await loadBundledPlugin('microsoft-sso');
});

/** A provider's discovery document and token endpoint, the token endpoint answering `token`. */
function provider(discoveryUrl: string, issuer: string, token: StubResponse) {
  return {
    [`GET ${discoveryUrl}`]: { body: { issuer, token_endpoint: 'https://oauth2.example.test/token', jwks_uri: 'https://keys.example.test' } },
    'POST https://oauth2.example.test/token': token,
  };
}
const GOOGLE_DISCOVERY = 'https://accounts.google.com/.well-known/openid-configuration';
const entraDiscovery = (tenant: string) => `https://login.microsoftonline.com/${tenant}/v2.0/.well-known/openid-configuration`;

describe('google-sso and microsoft-sso plugins', () => {
  it('declare API-key providers in the authentication category, with a provisioning setting that never makes owners', () => {
    const ajv = createSchemaCompiler();
    for (const plugin of [google, microsoft]) {
      const [declared] = plugin.providers as Json[];
      expect(declared).toMatchObject({ category: 'authentication', auth: { type: 'api_key' } });
      expect(declared.actions).toBeUndefined();
      const settings = ajv.compile(declared.settingsSchema);
      expect(settings({ provisioning: { enabled: true, role: 'developer' } })).toBe(true);
      expect(settings({ provisioning: { enabled: false } })).toBe(true);
      expect(settings({ provisioning: { enabled: true } })).toBe(false);
      expect(settings({ provisioning: { enabled: true, role: 'owner' } })).toBe(false);
    }
    const googleCredentials = ajv.compile((google.providers[0] as Json).auth.credentialsSchema);
    expect(googleCredentials(GOOGLE)).toBe(true);
    expect(googleCredentials({ ...GOOGLE, clientId: 'not-a-client-id' })).toBe(false);
    expect(googleCredentials({ ...GOOGLE, allowedDomains: [] })).toBe(false);
    expect(googleCredentials({ ...GOOGLE, allowedDomains: ['https://acme.test'] })).toBe(false);
    const microsoftCredentials = ajv.compile((microsoft.providers[0] as Json).auth.credentialsSchema);
    for (const tenantId of [TENANT, 'contoso.onmicrosoft.com', 'organizations']) expect(microsoftCredentials({ ...MICROSOFT, tenantId })).toBe(true);
    for (const tenantId of ['common', 'consumers', '../x']) expect(microsoftCredentials({ ...MICROSOFT, tenantId })).toBe(false);
  });

  it('google: verify checks the discovery document and the client at the token endpoint', async () => {
    const verified = createHarness(google, {
      credentials: GOOGLE,
      http: provider(GOOGLE_DISCOVERY, 'https://accounts.google.com', {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'Malformed auth code.' },
      }),
    });
    await expect(verified.verify()).resolves.toEqual({
      displayName: 'Google sign-in (acme.test)',
      metadata: { issuer: 'https://accounts.google.com', allowedDomains: ['acme.test'], clientCheck: 'verified' },
    });
    expect(Object.fromEntries(new URLSearchParams(verified.requests[1].body))).toMatchObject({ grant_type: 'authorization_code', client_id: GOOGLE.clientId });

    const refused = createHarness(google, {
      credentials: GOOGLE,
      http: provider(GOOGLE_DISCOVERY, 'https://accounts.google.com', {
        status: 401,
        body: { error: 'invalid_client', error_description: `Unauthorized ${GOOGLE.clientSecret}` },
      }),
    });
    const error = await refused.verify().catch((caught: Error & { code?: string }) => caught);
    expect(error).toMatchObject({ code: 'provider_rejected' });
    expect((error as Error).message).toMatch(/^Google refused the client ID or secret \(invalid_client: Unauthorized \[redacted\]\)/);

    const unconfirmed = createHarness(google, {
      credentials: GOOGLE,
      http: provider(GOOGLE_DISCOVERY, 'https://accounts.google.com', { status: 400, body: { error: 'invalid_request' } }),
    });
    expect((await unconfirmed.verify()).metadata).toMatchObject({ clientCheck: 'unconfirmed' });

    const impostor = createHarness(google, {
      credentials: GOOGLE,
      http: provider(GOOGLE_DISCOVERY, 'https://accounts.example.net', { status: 400, body: {} }),
    });
    await expect(impostor.verify()).rejects.toThrow("is not Google's");
  });

  it('microsoft: verify finds the tenant id from the discovery issuer, accepts organizations, and refuses a bad client or tenant', async () => {
    const issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`;
    const invalidGrant = { status: 400, body: { error: 'invalid_grant', error_description: 'AADSTS9002313: Invalid request.' } };
    const byDomain = createHarness(microsoft, {
      credentials: { ...MICROSOFT, tenantId: 'contoso.onmicrosoft.com' },
      http: provider(entraDiscovery('contoso.onmicrosoft.com'), issuer, invalidGrant),
    });
    await expect(byDomain.verify()).resolves.toEqual({
      displayName: 'Microsoft sign-in (contoso.test)',
      metadata: { issuer, tenantId: TENANT, allowedDomains: ['contoso.test'], clientCheck: 'verified' },
    });
    const anyTenant = createHarness(microsoft, {
      credentials: { ...MICROSOFT, tenantId: 'organizations' },
      http: provider(entraDiscovery('organizations'), 'https://login.microsoftonline.com/{tenantid}/v2.0', invalidGrant),
    });
    expect((await anyTenant.verify()).metadata).toMatchObject({ tenantId: null });

    const badSecret = createHarness(microsoft, {
      credentials: MICROSOFT,
      http: provider(entraDiscovery(TENANT), issuer, {
        status: 401,
        body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2' },
      }),
    });
    await expect(badSecret.verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(
        /^Microsoft refused the application ID or client secret \(invalid_client: AADSTS7000215: Invalid client secret provided\.\)/,
      ),
    });
    const noTenant = createHarness(microsoft, {
      credentials: MICROSOFT,
      http: {
        [`GET ${entraDiscovery(TENANT)}`]: {
          status: 400,
          body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${TENANT}' not found.\r\nTrace ID: 1` },
        },
      },
    });
    // Credential values the provider echoes are redacted (the tenant id is a credential field).
    await expect(noTenant.verify()).rejects.toMatchObject({ code: 'provider_rejected', message: "AADSTS90002: Tenant '[redacted]' not found." });
  });
});
