import type { JWTPayload } from 'jose';

/** The providers the broker signs in with; each is declared by a bundled plugin (plugins/google-sso, plugins/microsoft-sso). */
export const SSO_PROVIDERS = ['google_sso', 'microsoft_sso'] as const;
export type SsoProviderId = (typeof SSO_PROVIDERS)[number];

export function isSsoProvider(value: string): value is SsoProviderId {
  return (SSO_PROVIDERS as readonly string[]).includes(value);
}

/** Why a sign-in was refused after the provider answered: the `error` the browser is sent back with. */
export type SsoRefusalReason = 'email_not_verified' | 'domain_not_allowed' | 'tenant_not_allowed' | 'id_token_invalid';

/** The account's client at the provider, read from the connection's credentials. */
export interface SsoClient {
  clientId: string;
  clientSecret: string;
  /** Lower-case. */
  allowedDomains: string[];
  /** Microsoft: the configured tenant (a GUID, a verified domain, or `organizations`). */
  tenant?: string;
}

/** The verified person, as the host platform receives it. */
export interface SsoIdentity {
  provider: SsoProviderId;
  subject: string;
  email: string;
  name: string | null;
  domain: string;
}

export type ClaimsVerdict = { identity: SsoIdentity } | { refusal: SsoRefusalReason; detail: string };

export interface SsoProviderSpec {
  id: SsoProviderId;
  name: string;
  /** The client the credentials describe; null when they are not what the plugin's schema asks for. */
  client(credentials: Record<string, unknown>): SsoClient | null;
  /** Where the provider's OpenID configuration is (before PROVIDER_ORIGIN_OVERRIDES). */
  discoveryUrl(client: SsoClient): string;
  /**
   * The issuers an ID token may name, given the discovery document's own issuer (which must be the
   * provider's, else null) and the token's unverified claims (Entra's multi-tenant issuer names the
   * token's tenant); the signature check then vouches for them.
   */
  issuers(discoveryIssuer: string, client: SsoClient, unverified: JWTPayload): string[] | null;
  /** Extra authorization request parameters. */
  authorizationParams(client: SsoClient, loginHint?: string): Record<string, string>;
  /** The identity in verified claims, or why it may not sign in. */
  identify(claims: JWTPayload, client: SsoClient): ClaimsVerdict;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

function domainList(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const domains = (value as unknown[]).filter((item): item is string => typeof item === 'string' && item.length > 0);
  return domains.length === value.length ? domains.map((domain) => domain.toLowerCase()) : null;
}

/** `ana@Acme.com` → `acme.com`; undefined when it is not an address. */
function domainOf(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  return email.slice(at + 1).toLowerCase();
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Google (https://developers.google.com/identity/openid-connect/openid-connect): ID tokens name
 * `https://accounts.google.com` or `accounts.google.com`. An address is vouched for by Google when it
 * is a Gmail address or the account belongs to a Google Workspace (`hd`, its primary domain); other
 * addresses, even with `email_verified`, were only verified once and may no longer be the user's.
 */
const GOOGLE_ISSUER = 'https://accounts.google.com';
const google: SsoProviderSpec = {
  id: 'google_sso',
  name: 'Google',
  client(credentials) {
    const clientId = text(credentials.clientId);
    const clientSecret = text(credentials.clientSecret);
    const allowedDomains = domainList(credentials.allowedDomains);
    return clientId && clientSecret && allowedDomains ? { clientId, clientSecret, allowedDomains } : null;
  },
  discoveryUrl: () => `${GOOGLE_ISSUER}/.well-known/openid-configuration`,
  issuers: (discoveryIssuer) => (discoveryIssuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, 'accounts.google.com'] : null),
  authorizationParams(client, loginHint) {
    return {
      prompt: 'select_account',
      // A hint for the account chooser only: the domain is checked on the ID token.
      ...(client.allowedDomains.length === 1 ? { hd: client.allowedDomains[0] } : {}),
      ...(loginHint ? { login_hint: loginHint } : {}),
    };
  },
  identify(claims, client) {
    const email = text(claims.email);
    if (!email || claims.email_verified !== true) return { refusal: 'email_not_verified', detail: 'Google does not report a verified email address' };
    const hd = text(claims.hd)?.toLowerCase();
    const emailDomain = domainOf(email);
    const domain = hd ?? (emailDomain === 'gmail.com' ? emailDomain : undefined);
    if (!domain) {
      return {
        refusal: 'domain_not_allowed',
        detail: 'a Google account outside Google Workspace with a non-Gmail address: Google does not vouch for its domain',
      };
    }
    if (!client.allowedDomains.includes(domain)) return { refusal: 'domain_not_allowed', detail: `the domain ${domain} is not allowed` };
    return { identity: { provider: 'google_sso', subject: String(claims.sub), email, name: text(claims.name) ?? null, domain } };
  },
};

/**
 * Microsoft Entra ID (https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference):
 * v2.0 issuers are `https://login.microsoftonline.com/{tenant id}/v2.0`; the `organizations` endpoint
 * advertises `{tenantid}` in place of the id. The `email` claim is an optional claim that a tenant
 * administrator can set to anything, so it counts only when the token says its domain is verified
 * (`xms_edov`, or `email_verified`).
 */
const ENTRA_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\{tenantid\})\/v2\.0$/i;
/** The tenant an issuer pins, once `{tenantid}` is filled. */
const tenantOfIssuer = (issuer: string) => ENTRA_ISSUER.exec(issuer)?.[1]?.toLowerCase();

const microsoft: SsoProviderSpec = {
  id: 'microsoft_sso',
  name: 'Microsoft',
  client(credentials) {
    const clientId = text(credentials.applicationId);
    const clientSecret = text(credentials.clientSecret);
    const tenant = text(credentials.tenantId);
    const allowedDomains = domainList(credentials.allowedDomains);
    return clientId && clientSecret && tenant && allowedDomains ? { clientId, clientSecret, tenant, allowedDomains } : null;
  },
  discoveryUrl: (client) => `https://login.microsoftonline.com/${encodeURIComponent(client.tenant!)}/v2.0/.well-known/openid-configuration`,
  issuers(discoveryIssuer, client, unverified) {
    const advertised = tenantOfIssuer(discoveryIssuer);
    if (!advertised) return null;
    if (advertised === '{tenantid}') {
      // Only the multi-tenant endpoint advertises a template; the token names its tenant.
      if (client.tenant !== 'organizations') return null;
      const tid = text(unverified.tid);
      return tid && GUID.test(tid) ? [discoveryIssuer.replace(/\{tenantid\}/i, tid.toLowerCase())] : [];
    }
    // A tenant given by id must be the one the discovery document names (a domain resolves to its id).
    if (GUID.test(client.tenant!) && advertised !== client.tenant!.toLowerCase()) return null;
    return [discoveryIssuer];
  },
  authorizationParams(_client, loginHint) {
    return { response_mode: 'query', prompt: 'select_account', ...(loginHint ? { login_hint: loginHint } : {}) };
  },
  identify(claims, client) {
    const tid = text(claims.tid)?.toLowerCase();
    const pinned = tenantOfIssuer(String(claims.iss));
    if (!tid || tid !== pinned) return { refusal: 'tenant_not_allowed', detail: 'the token’s tenant is not its issuer’s' };
    if (GUID.test(client.tenant!) && tid !== client.tenant!.toLowerCase()) {
      return { refusal: 'tenant_not_allowed', detail: `the tenant ${tid} is not the configured one` };
    }
    const email = text(claims.email);
    const verified = claims.xms_edov === true || claims.xms_edov === 1 || claims.email_verified === true;
    if (!email || !verified) {
      return {
        refusal: 'email_not_verified',
        detail: 'the ID token carries no email whose domain Entra reports verified (the app needs the email and xms_edov optional claims)',
      };
    }
    const domain = domainOf(email);
    if (!domain || !client.allowedDomains.includes(domain)) return { refusal: 'domain_not_allowed', detail: `the domain ${domain ?? '(none)'} is not allowed` };
    return { identity: { provider: 'microsoft_sso', subject: String(claims.sub), email, name: text(claims.name) ?? null, domain } };
  },
};

const SPECS: Record<SsoProviderId, SsoProviderSpec> = { google_sso: google, microsoft_sso: microsoft };

export function ssoProvider(id: SsoProviderId): SsoProviderSpec {
  return SPECS[id];
}
