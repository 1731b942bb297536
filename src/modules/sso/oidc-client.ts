import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, decodeJwt, errors as joseErrors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Response as HttpResponse } from 'undici';
import { APP_CONFIG } from '../../core/config/config.module.js';
import type { AppConfig } from '../../core/config/config.js';
import { ProviderError, ProviderTimeoutError } from '../../core/errors/app-errors.js';
import { applyOriginOverride, SafeHttpClient } from '../../core/http/safe-http.js';

/** The parts of an OpenID Provider's configuration (OpenID Connect Discovery 1.0) the broker uses. */
export interface DiscoveryDocument {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** A step of the code flow the provider did not complete: `code` is what the browser is sent back with. */
export class OidcFlowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const DISCOVERY_TTL_MS = 60 * 60_000;
const DISCOVERY_TIMEOUT_MS = 10_000;
/** The code exchange has as long as the OAuth flow's (README: "The code exchange has 15 seconds"). */
const TOKEN_EXCHANGE_TIMEOUT_MS = 15_000;
const MAX_JSON_BYTES = 512 * 1024;
/** Distinct providers and tenants remembered; the least recently used is forgotten beyond. */
const MAX_CACHED = 1000;
/** Allowed clock difference with the provider, and the oldest ID token accepted right after its code exchange. */
const CLOCK_TOLERANCE_S = 60;
const MAX_ID_TOKEN_AGE = '10m';

async function readJson(response: HttpResponse, what: string): Promise<Record<string, unknown>> {
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = reader ? await reader.read() : { done: true as const, value: undefined };
    if (next.done) break;
    size += next.value.byteLength;
    if (size > MAX_JSON_BYTES) {
      await reader?.cancel();
      throw new ProviderError(`The provider's ${what} is larger than ${MAX_JSON_BYTES} bytes`);
    }
    chunks.push(next.value);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not JSON
  }
  throw new ProviderError(`The provider's ${what} is not a JSON object`);
}

const isTimeout = (error: unknown) => error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');

/**
 * The relying-party side of OpenID Connect's authorization code flow, on `jose`: discovery documents
 * and key sets fetched through the SSRF-checked client (PROVIDER_ORIGIN_OVERRIDES applied) and cached,
 * the code exchanged with the client's secret, and ID tokens verified (signature by the provider's
 * JWKS, RS256 only, issuer, audience, authorized party, expiry, age and nonce).
 */
@Injectable()
export class OidcClient {
  private readonly discoveries = new LRUCache<string, DiscoveryDocument>({ max: MAX_CACHED, ttl: DISCOVERY_TTL_MS });
  private readonly keySets = new LRUCache<string, JWTVerifyGetKey>({ max: MAX_CACHED });

  constructor(
    private readonly http: SafeHttpClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The provider's configuration; 502 when it cannot be read or is not a usable one, 504 when it does not answer. */
  async discover(url: string): Promise<DiscoveryDocument> {
    const cached = this.discoveries.get(url);
    if (cached) return cached;
    let response: HttpResponse;
    try {
      response = await this.http.fetch(url, { headers: { accept: 'application/json' }, timeoutMs: DISCOVERY_TIMEOUT_MS });
    } catch (error) {
      if (isTimeout(error)) throw new ProviderTimeoutError('The provider did not answer its OpenID configuration request in time');
      throw new ProviderError('The provider’s OpenID configuration could not be fetched');
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ProviderError(`The provider answered ${response.status} to its OpenID configuration request`);
    }
    const body = await readJson(response, 'OpenID configuration');
    // Real providers publish https endpoints; only a configuration served through an origin override (a local provider) may use http.
    const overridden = applyOriginOverride(new URL(url), this.config.providerOriginOverrides).origin !== new URL(url).origin;
    const endpoint = (name: keyof DiscoveryDocument) => {
      const value = body[name];
      let parsed: URL | undefined;
      try {
        parsed = typeof value === 'string' ? new URL(value) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed || !(parsed.protocol === 'https:' || (overridden && parsed.protocol === 'http:'))) {
        throw new ProviderError(`The provider's OpenID configuration has no usable ${name}`);
      }
      return parsed.toString();
    };
    if (typeof body.issuer !== 'string') throw new ProviderError("The provider's OpenID configuration names no issuer");
    const document: DiscoveryDocument = {
      issuer: body.issuer,
      authorization_endpoint: endpoint('authorization_endpoint'),
      token_endpoint: endpoint('token_endpoint'),
      jwks_uri: endpoint('jwks_uri'),
    };
    this.discoveries.set(url, document);
    return document;
  }

  /** The browser's way to the provider (origin overrides applied, as for the OAuth flow). */
  authorizationUrl(document: DiscoveryDocument, params: Record<string, string>): string {
    const url = new URL(document.authorization_endpoint);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return applyOriginOverride(url, this.config.providerOriginOverrides).toString();
  }

  /** Exchanges an authorization code (client_secret_post, PKCE) and returns the ID token. */
  async exchangeCode(
    document: DiscoveryDocument,
    request: { code: string; redirectUri: string; codeVerifier: string; clientId: string; clientSecret: string },
  ): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: request.code,
      redirect_uri: request.redirectUri,
      code_verifier: request.codeVerifier,
      client_id: request.clientId,
      client_secret: request.clientSecret,
    });
    let response: HttpResponse;
    try {
      response = await this.http.fetch(document.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        timeoutMs: TOKEN_EXCHANGE_TIMEOUT_MS,
      });
    } catch (error) {
      if (isTimeout(error)) throw new OidcFlowError('provider_timeout', 'the token endpoint did not answer in time');
      throw new OidcFlowError('exchange_failed', 'the token endpoint could not be reached');
    }
    let body: Record<string, unknown>;
    try {
      body = await readJson(response, 'token response');
    } catch {
      throw new OidcFlowError('exchange_failed', `the token endpoint answered ${response.status} without JSON`);
    }
    if (response.status !== 200) {
      const error = typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : 'exchange_failed';
      throw new OidcFlowError(error, `the token endpoint answered ${response.status} ${error}`);
    }
    if (typeof body.id_token !== 'string') throw new OidcFlowError('exchange_failed', 'the token response has no id_token');
    return body.id_token;
  }

  /**
   * Verifies an ID token: signed (RS256) by a key of the provider's JWKS, by one of `issuers` (from
   * the token's unverified claims, then checked), for `audience`, unexpired, at most ten minutes old,
   * with `nonce`, and — when it names several audiences — authorized for this client (`azp`).
   */
  async verifyIdToken(
    idToken: string,
    expected: { jwksUri: string; audience: string; nonce: string; issuers: (unverified: JWTPayload) => string[] | null },
  ): Promise<JWTPayload> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(idToken);
    } catch {
      throw new OidcFlowError('id_token_invalid', 'the ID token is not a JWT');
    }
    const issuers = expected.issuers(unverified);
    if (!issuers || issuers.length === 0) throw new OidcFlowError('id_token_invalid', 'the ID token names an issuer that is not the provider’s');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.keySet(expected.jwksUri), {
        issuer: issuers,
        audience: expected.audience,
        algorithms: ['RS256'],
        clockTolerance: CLOCK_TOLERANCE_S,
        maxTokenAge: MAX_ID_TOKEN_AGE,
        requiredClaims: ['sub', 'iat', 'exp', 'nonce'],
      }));
    } catch (error) {
      throw new OidcFlowError('id_token_invalid', describeJoseError(error));
    }
    const nonce = typeof payload.nonce === 'string' ? Buffer.from(payload.nonce) : Buffer.alloc(0);
    const wanted = Buffer.from(expected.nonce);
    if (nonce.length !== wanted.length || !timingSafeEqual(nonce, wanted))
      throw new OidcFlowError('id_token_invalid', 'the ID token’s nonce is not this sign-in’s');
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== expected.audience) {
      throw new OidcFlowError('id_token_invalid', 'the ID token was issued to another party (azp)');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
      throw new OidcFlowError('id_token_invalid', 'the ID token has no usable subject');
    }
    return payload;
  }

  /** The provider's key set, fetched through SafeHttp, cached ten minutes and re-read (at most every 30 s) for an unknown key id. */
  private keySet(jwksUri: string): JWTVerifyGetKey {
    const cached = this.keySets.get(jwksUri);
    if (cached) return cached;
    const keySet = createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: DISCOVERY_TIMEOUT_MS,
      [customFetch]: async (url: string, options: { headers: Headers; signal?: AbortSignal }) => {
        const response = await this.http.fetch(url, {
          headers: Object.fromEntries(options.headers.entries()),
          signal: options.signal,
          timeoutMs: DISCOVERY_TIMEOUT_MS,
        });
        if (response.status !== 200) {
          await response.body?.cancel();
          return new Response(null, { status: response.status });
        }
        return new Response(JSON.stringify(await readJson(response, 'JSON Web Key Set')), { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    this.keySets.set(jwksUri, keySet);
    return keySet;
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the ID token’s signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'the ID token is signed with a key the provider does not publish';
  if (error instanceof joseErrors.JWTExpired) return 'the ID token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the ID token's ${error.claim} claim is not valid (${error.reason})`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the ID token is signed with an algorithm other than RS256';
  if (error instanceof joseErrors.JOSEError) return `the ID token could not be verified (${error.code})`;
  if (error instanceof ProviderError || error instanceof ProviderTimeoutError) return 'the provider’s keys could not be fetched';
  return 'the ID token could not be verified';
}
