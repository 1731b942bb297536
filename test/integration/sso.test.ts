import { providerOriginOverrides } from '../fixtures/providers/fake-http-server.js';
import { followSignIn, type LocalOpenIdProvider, startOpenIdProvider } from '../fixtures/providers/openid-provider.js';
import { tempDir } from '../support/plugin-fixtures.js';
import { addMember, bearer, createAccount, startTestApp, type TestApp, uniqueId } from '../support/test-app.js';

const PUBLIC_URL = 'https://plugboard.test';
const REDIRECT_URI = `${PUBLIC_URL}/v1/sso/callback`;
const RETURN_URL = 'https://app.example.com/auth/sso';

const GOOGLE = {
  clientId: '123456789012-abcdefghijklmnop0123456789abcdef.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-local-test-secret-0123456789',
};
const TENANT = 'c0ffee00-1111-4222-8333-444455556666';
const MICROSOFT = { applicationId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', clientSecret: 'Xy8Q~local.test-secret_0123456789abcdef' };

/**
 * The sign-in broker end to end: real OpenID providers (`oidc-provider`) on 127.0.0.1 under Google's and
 * Microsoft's own issuers, reached through PROVIDER_ORIGIN_OVERRIDES; the bundled google-sso and
 * microsoft-sso plugins connected like any API-key provider; a "browser" that follows the redirects
 * and carries the broker's cookie; the host platform's server redeeming the code with an API key.
 */
describe('single sign-on broker', () => {
  let t: TestApp;
  let google: LocalOpenIdProvider;
  let microsoft: LocalOpenIdProvider;
  let accountId: string;
  let ownerToken: string;
  /** An API key holding only sso.exchange, and one holding everything the owner holds. */
  let exchangeKey: string;
  let fullKey: string;

  beforeAll(async () => {
    google = await startOpenIdProvider({
      issuer: 'https://accounts.google.com',
      clients: [{ ...GOOGLE, redirectUri: REDIRECT_URI }],
      users: [
        { sub: '100000000000000000001', email: 'ana@acme.test', email_verified: true, name: 'Ana Lima', hd: 'acme.test' },
        { sub: '100000000000000000002', email: 'bo@acme.test', email_verified: false, name: 'Bo', hd: 'acme.test' },
        { sub: '100000000000000000003', email: 'cy@other.test', email_verified: true, name: 'Cy', hd: 'other.test' },
        { sub: '100000000000000000004', email: 'dot@acme.test', email_verified: true, name: 'Dot (personal account)' },
      ],
    });
    microsoft = await startOpenIdProvider({
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      clients: [{ clientId: MICROSOFT.applicationId, clientSecret: MICROSOFT.clientSecret, redirectUri: REDIRECT_URI }],
      users: [
        { sub: 'AAAAAAAAAAAAAAAAAAAAAJ3yVx-Dee_0123456789', email: 'dee@contoso.test', name: 'Dee Rao', tid: TENANT, xms_edov: true },
        { sub: 'AAAAAAAAAAAAAAAAAAAAAKl2Qw-Eve_0123456789', email: 'eve@contoso.test', name: 'Eve', tid: TENANT },
      ],
    });
    t = await startTestApp({
      PUBLIC_URL,
      ALLOWED_RETURN_ORIGINS: 'https://app.example.com',
      PLUGINS_DIR: tempDir('plugboard-no-plugins-'),
      PROVIDER_ORIGIN_OVERRIDES: providerOriginOverrides({ 'https://accounts.google.com': google.url, 'https://login.microsoftonline.com': microsoft.url }),
    });
    ({ accountId, ownerToken } = await createAccount(t, 'business'));
    const key = async (permissions?: string[]) => {
      const response = await t.http
        .post('/v1/api-keys')
        .set(bearer(ownerToken))
        .send({ name: uniqueId('key'), mode: 'live', ...(permissions ? { permissions } : {}) });
      expect(response.status).toBe(201);
      return response.body.key as string;
    };
    exchangeKey = await key(['sso.exchange']);
    fullKey = await key();
  });
  afterAll(async () => {
    await t?.close();
    await google?.close();
    await microsoft?.close();
  });

  const connect = (provider: string, credentials: Record<string, unknown>, settings?: Record<string, unknown>) =>
    t.http
      .put(`/v1/integrations/${provider}`)
      .set(bearer(ownerToken))
      .send({ credentials, ...(settings ? { settings } : {}) });

  /** The browser's way through a sign-in: the broker's redirect, the provider's login, the callback with the broker's cookie. */
  async function signIn(provider: string, options: { loginHint?: string; state?: string; account?: string; returnUrl?: string } = {}) {
    const start = await t.http.get(`/v1/sso/${provider}/authorize`).query({
      account: options.account ?? accountId,
      returnUrl: options.returnUrl ?? RETURN_URL,
      ...(options.loginHint ? { loginHint: options.loginHint } : {}),
      ...(options.state ? { state: options.state } : {}),
    });
    expect([start.status, start.body]).toEqual([302, {}]);
    const cookie = (start.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const callback = await followSignIn(start.headers.location);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
    const path = `${callback.pathname}${callback.search}`;
    const done = await t.http.get(path).set('Cookie', cookie);
    return { start, cookie, path, done, back: done.status === 302 ? new URL(done.headers.location, PUBLIC_URL) : undefined };
  }

  const exchange = (key: string, code: string) => t.http.post('/v1/sso/token').set(bearer(key)).send({ code });

  it('lists both providers in the authentication category and connects them like any API-key provider, checking the client', async () => {
    const listed = await t.http.get('/v1/providers?category=authentication').set(bearer(ownerToken));
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((provider: { id: string }) => provider.id).sort()).toEqual(['google_sso', 'microsoft_sso']);

    const wrongSecret = await connect('google_sso', { ...GOOGLE, clientSecret: 'GOCSPX-not-the-secret-000000', allowedDomains: ['acme.test'] });
    expect(wrongSecret.status).toBe(422);
    expect(wrongSecret.body).toMatchObject({ code: 'provider_rejected' });
    expect(wrongSecret.body.detail).toMatch(/^Google refused the client ID or secret \(invalid_client/);
    expect(JSON.stringify(wrongSecret.body)).not.toContain('GOCSPX-not-the-secret');

    const googleConnected = await connect('google_sso', { ...GOOGLE, allowedDomains: ['Acme.test'] });
    expect(googleConnected.status).toBe(200);
    expect(googleConnected.body).toMatchObject({
      status: 'connected',
      category: 'authentication',
      displayName: 'Google sign-in (acme.test)',
      metadata: { issuer: 'https://accounts.google.com', allowedDomains: ['acme.test'], clientCheck: 'verified' },
    });
    const microsoftConnected = await connect('microsoft_sso', { ...MICROSOFT, tenantId: TENANT, allowedDomains: ['contoso.test'] });
    expect(microsoftConnected.status).toBe(200);
    expect(microsoftConnected.body).toMatchObject({
      status: 'connected',
      metadata: { issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, tenantId: TENANT, allowedDomains: ['contoso.test'], clientCheck: 'verified' },
    });
    expect(JSON.stringify([googleConnected.body, microsoftConnected.body])).not.toContain('local-test-secret');
  });

  it('signs in with Google: state, nonce and PKCE to the provider, a one-minute code back, the identity for sso.exchange — once', async () => {
    const { start, done, back } = await signIn('google_sso', { loginHint: 'ana@acme.test', state: 'host-session-42' });
    const authorization = new URL(start.headers.location);
    expect(authorization.origin).toBe(google.url);
    expect(Object.fromEntries(authorization.searchParams)).toMatchObject({
      client_id: GOOGLE.clientId,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: REDIRECT_URI,
      code_challenge_method: 'S256',
      prompt: 'select_account',
      hd: 'acme.test',
      login_hint: 'ana@acme.test',
    });
    expect(authorization.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(start.headers['set-cookie'][0]).toMatch(/^pb_sso_[0-9a-f]{16}=[^;]+; Max-Age=600; Path=\/v1\/sso\/callback; .*HttpOnly.*SameSite=Lax/);

    expect(done.status).toBe(302);
    expect(`${back!.origin}${back!.pathname}`).toBe(RETURN_URL);
    expect(Object.fromEntries(back!.searchParams)).toEqual({
      status: 'signed_in',
      code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      provider: 'google_sso',
      state: 'host-session-42',
    });
    const code = back!.searchParams.get('code')!;

    const identity = await exchange(exchangeKey, code);
    expect(identity.status).toBe(200);
    expect(identity.body).toEqual({ provider: 'google_sso', subject: '100000000000000000001', email: 'ana@acme.test', name: 'Ana Lima', domain: 'acme.test' });

    const replayed = await exchange(exchangeKey, code);
    expect(replayed.status).toBe(400);
    expect(replayed.body).toMatchObject({ code: 'invalid_request', reason: 'code_used' });

    const audit = await t.http.get('/v1/audit-log').query({ action: 'sso.signed_in' }).set(bearer(ownerToken));
    expect(audit.body.data[0]).toMatchObject({
      actorType: 'system',
      details: { provider: 'google_sso', subject: '100000000000000000001', email: 'ana@acme.test', domain: 'acme.test' },
    });
    const exchanged = await t.http.get('/v1/audit-log').query({ action: 'sso.code_exchanged' }).set(bearer(ownerToken));
    expect(exchanged.body.data[0]).toMatchObject({ actorType: 'api_key', details: { provider: 'google_sso', email: 'ana@acme.test' } });
    expect(JSON.stringify([audit.body, exchanged.body])).not.toContain(code);
  });

  it('lets only whoever may add members with the role configure provisioning, or change an integration that provisions', async () => {
    const role = await t.http
      .post('/v1/roles')
      .set(bearer(ownerToken))
      .send({ key: 'integrator', name: 'Integrator', permissions: ['integrations.view', 'integrations.manage'] });
    expect(role.status).toBe(201);
    const integrator = await addMember(t, accountId, ownerToken, 'integrator');
    const provisioning = (token: string, value: Record<string, unknown>) =>
      t.http
        .patch('/v1/integrations/microsoft_sso')
        .set(bearer(token))
        .send({ settings: { provisioning: value } });

    const refused = await provisioning(integrator, { enabled: true, role: 'developer' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'permission_denied', permission: 'members.manage' });
    const unknownRole = await provisioning(ownerToken, { enabled: true, role: 'ghost' });
    expect(unknownRole.status).toBe(400);
    expect((await provisioning(ownerToken, { enabled: true, role: 'developer' })).status).toBe(200);
    // The credentials decide who gets the role: changing them needs what configuring it needs.
    const takeover = await t.http
      .put('/v1/integrations/microsoft_sso')
      .set(bearer(integrator))
      .send({ credentials: { ...MICROSOFT, tenantId: TENANT, allowedDomains: ['contoso.test', 'integrator.test'] } });
    expect(takeover.status).toBe(403);
    expect(takeover.body).toMatchObject({ code: 'permission_denied', permission: 'members.manage' });
    expect((await provisioning(integrator, { enabled: false })).status).toBe(403);
    expect((await provisioning(ownerToken, { enabled: false })).status).toBe(200);
    // Without provisioning, the integration is the integrator's to manage like any other.
    const relabelled = await t.http.patch('/v1/integrations/microsoft_sso').set(bearer(integrator)).send({ settings: {} });
    expect(relabelled.status).toBe(200);
  });

  it('signs in with Microsoft Entra ID and provisions a member on first sign-in, under the rules for adding members', async () => {
    const configured = await t.http
      .patch('/v1/integrations/microsoft_sso')
      .set(bearer(ownerToken))
      .send({ settings: { provisioning: { enabled: true, role: 'developer' } } });
    expect(configured.status).toBe(200);
    const owner = await t.http
      .patch('/v1/integrations/microsoft_sso')
      .set(bearer(ownerToken))
      .send({ settings: { provisioning: { enabled: true, role: 'owner' } } });
    expect(owner.status).toBe(400);

    const { back } = await signIn('microsoft_sso', { loginHint: 'dee@contoso.test' });
    expect(back!.searchParams.get('status')).toBe('signed_in');
    const code = back!.searchParams.get('code')!;
    // A key that may not add members leaves the code for one that may.
    const refused = await exchange(exchangeKey, code);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'permission_denied', permission: 'members.manage' });
    const identity = await exchange(fullKey, code);
    expect(identity.status).toBe(200);
    const userId = 'microsoft_sso|AAAAAAAAAAAAAAAAAAAAAJ3yVx-Dee_0123456789';
    expect(identity.body).toEqual({
      provider: 'microsoft_sso',
      subject: 'AAAAAAAAAAAAAAAAAAAAAJ3yVx-Dee_0123456789',
      email: 'dee@contoso.test',
      name: 'Dee Rao',
      domain: 'contoso.test',
      member: { userId, role: 'developer', created: true },
    });
    const members = await t.http.get('/v1/members?limit=100').set(bearer(ownerToken));
    expect(members.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ userId, email: 'dee@contoso.test', role: 'developer' })]));
    const added = await t.http.get('/v1/audit-log').query({ action: 'member.added' }).set(bearer(ownerToken));
    expect(added.body.data[0]).toMatchObject({ actorType: 'api_key', targetId: userId, details: { role: 'developer', via: 'microsoft_sso' } });

    const again = await signIn('microsoft_sso', { loginHint: 'dee@contoso.test' });
    const second = await exchange(fullKey, again.back!.searchParams.get('code')!);
    expect(second.body.member).toEqual({ userId, role: 'developer', created: false });

    await t.http
      .patch('/v1/integrations/microsoft_sso')
      .set(bearer(ownerToken))
      .send({ settings: { provisioning: { enabled: false } } });
  });

  it('signs a member in to the console: a code issued for the console opens a session there, and only there', async () => {
    const toConsole = { loginHint: 'dee@contoso.test', returnUrl: '/console/sign-in/sso' };
    const { back } = await signIn('microsoft_sso', toConsole);
    expect(back!.pathname).toBe('/console/sign-in/sso');
    const code = back!.searchParams.get('code')!;
    expect((await exchange(fullKey, code)).body.reason).toBe('code_unknown');
    const started = await t.http.post('/v1/console/sessions').send({ ssoCode: code });
    expect(started.status).toBe(201);
    const cookie = (started.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const me = await t.http.get('/v1/me').set('Cookie', cookie);
    expect(me.body).toMatchObject({ userId: 'microsoft_sso|AAAAAAAAAAAAAAAAAAAAAJ3yVx-Dee_0123456789', role: 'developer', account: { id: accountId } });
    expect((await t.http.post('/v1/console/sessions').send({ ssoCode: code })).body.reason).toBe('link_invalid');

    // A code for the host platform is left to it; someone who is no member (and not provisioned) is refused.
    const forHost = await signIn('microsoft_sso', { loginHint: 'dee@contoso.test' });
    const hostCode = forHost.back!.searchParams.get('code')!;
    expect((await t.http.post('/v1/console/sessions').send({ ssoCode: hostCode })).status).toBe(401);
    expect((await exchange(fullKey, hostCode)).status).toBe(200);
    const stranger = await signIn('google_sso', { ...toConsole, loginHint: 'ana@acme.test' });
    const refused = await t.http.post('/v1/console/sessions').send({ ssoCode: stranger.back!.searchParams.get('code') });
    expect([refused.status, refused.body.permission]).toEqual([403, 'member']);
    expect((await t.http.post('/v1/console/sessions').send({ code: 'x', ssoCode: 'y' })).status).toBe(400);

    // With provisioning on, a first sign-in to the console adds the member with the configured role.
    const provisioning = (enabled: boolean) =>
      t.http
        .patch('/v1/integrations/google_sso')
        .set(bearer(ownerToken))
        .send({ settings: { provisioning: enabled ? { enabled, role: 'developer' } : { enabled } } });
    expect((await provisioning(true)).status).toBe(200);
    const first = await signIn('google_sso', { ...toConsole, loginHint: 'ana@acme.test' });
    const provisioned = await t.http.post('/v1/console/sessions').send({ ssoCode: first.back!.searchParams.get('code') });
    expect(provisioned.status).toBe(201);
    const added = await t.http.get('/v1/audit-log').query({ action: 'member.added' }).set(bearer(ownerToken));
    expect(added.body.data[0]).toMatchObject({
      actorType: 'system',
      targetId: 'google_sso|100000000000000000001',
      details: { role: 'developer', console: true },
    });
    expect((await provisioning(false)).status).toBe(200);
  });

  it('refuses a tampered or made-up state, and a replayed one, with 400 invalid_state', async () => {
    const { path, cookie, done } = await signIn('google_sso', { loginHint: 'ana@acme.test' });
    expect(done.status).toBe(302);
    const replayed = await t.http.get(path).set('Cookie', cookie);
    expect(replayed.status).toBe(400);
    expect(replayed.body).toMatchObject({ code: 'invalid_state', reason: 'state_used' });

    const start = await t.http.get('/v1/sso/google_sso/authorize').query({ account: accountId, returnUrl: RETURN_URL });
    const callback = await followSignIn(start.headers.location);
    const state = callback.searchParams.get('state')!;
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const browser = (start.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    for (const url of [tampered, new URL('/v1/sso/callback?state=made-up&code=x', PUBLIC_URL), new URL('/v1/sso/callback?code=x', PUBLIC_URL)]) {
      const response = await t.http.get(`${url.pathname}${url.search}`).set('Cookie', browser);
      expect([url.search, response.status, response.body.code]).toEqual([url.search, 400, 'invalid_state']);
    }
    const repeated = await t.http.get(`${callback.pathname}${callback.search}&state=${state}`).set('Cookie', browser);
    expect(repeated.body).toMatchObject({ code: 'invalid_request' });
    // Neither refusal used the state up: the genuine callback still completes.
    const genuine = await t.http.get(`${callback.pathname}${callback.search}`).set('Cookie', browser);
    expect(new URL(genuine.headers.location).searchParams.get('status')).toBe('signed_in');
  });

  it('refuses a callback brought by another browser (without the cookie set with the redirect)', async () => {
    const start = await t.http.get('/v1/sso/google_sso/authorize').query({ account: accountId, returnUrl: RETURN_URL });
    const callback = await followSignIn(start.headers.location);
    const response = await t.http.get(`${callback.pathname}${callback.search}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'invalid_state', reason: 'browser_mismatch' });
    const elsewhere = await t.http.get(`${callback.pathname}${callback.search}`).set('Cookie', 'pb_sso_0123456789abcdef=not-the-one');
    expect(elsewhere.body).toMatchObject({ reason: 'browser_mismatch' });
    // Neither used the state up: the browser that started the sign-in still finishes it, and its cookie is cleared.
    const browser = (start.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const done = await t.http.get(`${callback.pathname}${callback.search}`).set('Cookie', browser);
    expect(new URL(done.headers.location).searchParams.get('status')).toBe('signed_in');
    expect(done.headers['set-cookie'][0]).toMatch(new RegExp(`^${browser.split('=')[0]}=; Path=/v1/sso/callback; Expires=Thu, 01 Jan 1970`));
  });

  it.each([
    ['a wrong audience', { claims: { aud: 'another-client.apps.googleusercontent.com' } }, "the ID token's aud claim is not valid"],
    ['a bad signature', { foreignKey: true }, 'the ID token’s signature does not verify'],
    ['a wrong nonce', { claims: { nonce: 'not-this-sign-ins-nonce' } }, 'the ID token’s nonce is not this sign-in’s'],
    ['another issuer', { claims: { iss: 'https://accounts.example.net' } }, "the ID token's iss claim is not valid"],
    ['an expired token', { claims: { exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 } }, 'the ID token has expired'],
  ])('refuses an ID token with %s: back to returnUrl with error=id_token_invalid and no code', async (_label, forgery, detail) => {
    google.forgeNextIdToken(forgery);
    const { back } = await signIn('google_sso', { loginHint: 'ana@acme.test', state: 'host-1' });
    expect(Object.fromEntries(back!.searchParams)).toEqual({ status: 'error', error: 'id_token_invalid', provider: 'google_sso', state: 'host-1' });
    const refused = await t.http.get('/v1/audit-log').query({ action: 'sso.sign_in_refused' }).set(bearer(ownerToken));
    expect(refused.body.data[0].details).toMatchObject({ provider: 'google_sso', reason: 'id_token_invalid' });
    expect(refused.body.data[0].details.detail).toContain(detail);
  });

  it('refuses an unverified email, a domain outside the allowed list, and an address Google does not vouch for', async () => {
    const error = async (provider: string, loginHint: string) => (await signIn(provider, { loginHint })).back!.searchParams.get('error');
    expect(await error('google_sso', 'bo@acme.test')).toBe('email_not_verified');
    expect(await error('google_sso', 'cy@other.test')).toBe('domain_not_allowed');
    // A personal Google account registered with an acme.test address: no hd, not Gmail.
    expect(await error('google_sso', 'dot@acme.test')).toBe('domain_not_allowed');
    // Entra's email claim counts only with xms_edov.
    expect(await error('microsoft_sso', 'eve@contoso.test')).toBe('email_not_verified');
    // A token of another tenant (its tid not the issuer's, nor the configured one).
    microsoft.forgeNextIdToken({ claims: { tid: 'deadbeef-0000-4000-8000-000000000000' } });
    expect(await error('microsoft_sso', 'dee@contoso.test')).toBe('tenant_not_allowed');

    const refused = await t.http.get('/v1/audit-log').query({ action: 'sso.sign_in_refused', limit: 100 }).set(bearer(ownerToken));
    expect(refused.body.data.map((entry: { details: { reason: string } }) => entry.details.reason)).toEqual(
      expect.arrayContaining(['email_not_verified', 'domain_not_allowed', 'id_token_invalid']),
    );
  });

  it('refuses a returnUrl outside ALLOWED_RETURN_ORIGINS, an unknown provider and an account without the integration', async () => {
    const outside = await t.http.get('/v1/sso/google_sso/authorize').query({ account: accountId, returnUrl: 'https://evil.example.net/steal' });
    expect(outside.status).toBe(400);
    expect(outside.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'returnUrl' }] });
    const unknown = await t.http.get('/v1/sso/github_sso/authorize').query({ account: accountId, returnUrl: RETURN_URL });
    expect(unknown.status).toBe(404);
    const other = await createAccount(t, 'business');
    const unconnected = await t.http.get('/v1/sso/google_sso/authorize').query({ account: other.accountId, returnUrl: RETURN_URL });
    expect(unconnected.status).toBe(404);
    const testMode = await t.http.get('/v1/sso/google_sso/authorize').query({ account: accountId, returnUrl: RETURN_URL, mode: 'test' });
    expect(testMode.status).toBe(404);
    const malformed = await t.http.get('/v1/sso/google_sso/authorize').query({ account: 'nope', returnUrl: RETURN_URL });
    expect(malformed.status).toBe(400);
  });

  it('refuses the token exchange without sso.exchange, and a code issued to another account', async () => {
    const { back } = await signIn('google_sso', { loginHint: 'ana@acme.test' });
    const code = back!.searchParams.get('code')!;
    const viewKey = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'viewer', mode: 'live', permissions: ['integrations.view'] });
    const withoutPermission = await exchange(viewKey.body.key, code);
    expect(withoutPermission.status).toBe(403);
    expect(withoutPermission.body).toMatchObject({ code: 'permission_denied', permission: 'sso.exchange' });
    const developer = await addMember(t, accountId, ownerToken, 'developer');
    expect((await exchange(developer, code)).status).toBe(403);

    const other = await createAccount(t, 'business');
    const othersKey = await t.http
      .post('/v1/api-keys')
      .set(bearer(other.ownerToken))
      .send({ name: 'other', mode: 'live', permissions: ['sso.exchange'] });
    const foreign = await exchange(othersKey.body.key, code);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({ code: 'invalid_request', reason: 'code_unknown' });
    expect((await exchange(exchangeKey, 'x'.repeat(43))).body).toMatchObject({ reason: 'code_unknown' });

    // None of the refusals used the code up.
    expect((await exchange(exchangeKey, code)).status).toBe(200);
  });
});
