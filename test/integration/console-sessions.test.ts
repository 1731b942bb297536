import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/plugin-fixtures.js';
import { addMember, bearer, createAccount, startTestApp, type TestApp } from '../support/test-app.js';

const codeOf = (url: string) => new URL(url).hash.replace(/^#code=/, '');
const sessionCookie = (setCookie: string[] | string | undefined) =>
  ([] as string[]).concat(setCookie ?? []).find((cookie) => cookie.startsWith('plugboard_console='));

/**
 * Console sign-in against the real app: one-time links become HttpOnly session cookies that
 * authenticate the member on the API, with a CSRF token on every unsafe request; sign-out ends the
 * session on the server. Also the console's pages: served with a strict policy and long-cached assets.
 */
describe('console sessions', () => {
  let t: TestApp;
  let accountId: string;
  let ownerToken: string;
  let ownerId: string;
  const consoleDir = tempDir('plugboard-console-');

  beforeAll(async () => {
    mkdirSync(join(consoleDir, 'assets'));
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>Plugboard</title><script type="module" src="/console/assets/app-1a2b3c.js"></script>');
    writeFileSync(join(consoleDir, 'assets', 'app-1a2b3c.js'), 'console.log("console");');
    writeFileSync(join(consoleDir, 'embed.js'), 'var Plugboard = {};');
    t = await startTestApp({ CONSOLE_DIR: consoleDir, PUBLIC_URL: 'http://console.test', ALLOWED_RETURN_ORIGINS: 'https://app.example.com' });
    ({ accountId, ownerToken, ownerId } = await createAccount(t));
  });
  afterAll(() => t.close());

  /** Mints a link as the member and signs in with it: the session cookie and the CSRF token. */
  async function signIn(token = ownerToken): Promise<{ cookie: string; csrfToken: string }> {
    const link = await t.http.post('/v1/console/links').set(bearer(token));
    expect(link.status).toBe(201);
    const started = await t.http.post('/v1/console/sessions').send({ code: codeOf(link.body.url) });
    expect(started.status).toBe(201);
    return { cookie: sessionCookie(started.headers['set-cookie'])!.split(';')[0], csrfToken: started.body.csrfToken };
  }

  it('turns a link into an HttpOnly, SameSite=Strict session cookie, once', async () => {
    const link = await t.http.post('/v1/console/links').set(bearer(ownerToken));
    expect(link.body.url).toMatch(/^http:\/\/console\.test\/console\/sign-in#code=[\w-]{43}$/);
    const code = codeOf(link.body.url);
    const started = await t.http.post('/v1/console/sessions').send({ code });
    expect(started.status).toBe(201);
    const cookie = sessionCookie(started.headers['set-cookie'])!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(started.body).toEqual({ csrfToken: expect.stringMatching(/^[\w-]{43}$/), expiresAt: expect.any(String) });
    expect(JSON.stringify(started.body)).not.toContain(cookie.split(';')[0].split('=')[1]);

    const again = await t.http.post('/v1/console/sessions').send({ code });
    expect(again.status).toBe(401);
    expect(again.body.reason).toBe('link_invalid');
    expect((await t.http.post('/v1/console/sessions').send({ code: 'made-up' })).status).toBe(401);
    expect((await t.http.post('/v1/console/sessions').send({})).status).toBe(400);
  });

  it('authenticates the member on the API, and refuses unsafe requests without the CSRF token', async () => {
    const { cookie, csrfToken } = await signIn();
    const me = await t.http.get('/v1/me').set('Cookie', cookie);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userId: ownerId, account: { id: accountId }, role: 'owner' });

    const current = await t.http.get('/v1/console/sessions/current').set('Cookie', cookie);
    expect(current.body.csrfToken).toBe(csrfToken);

    const create = () =>
      t.http
        .post('/v1/webhooks')
        .set('Cookie', cookie)
        .send({ url: 'https://hooks.example.com/in', events: ['integration.connected'] });
    const forged = await create();
    expect(forged.status).toBe(403);
    expect(forged.body.permission).toBe('csrf');
    expect((await create().set('X-CSRF-Token', 'x'.repeat(43))).status).toBe(403);
    const made = await create().set('X-CSRF-Token', csrfToken);
    expect(made.status).toBe(201);
  });

  it('ends the session on the server at sign-out', async () => {
    const { cookie, csrfToken } = await signIn();
    expect((await t.http.delete('/v1/console/sessions/current').set('Cookie', cookie)).status).toBe(403);
    const out = await t.http.delete('/v1/console/sessions/current').set('Cookie', cookie).set('X-CSRF-Token', csrfToken);
    expect(out.status).toBe(204);
    expect(sessionCookie(out.headers['set-cookie'])).toMatch(/^plugboard_console=;/);
    const after = await t.http.get('/v1/me').set('Cookie', cookie);
    expect(after.status).toBe(401);
    expect(after.body.reason).toBe('session_ended');
    expect((await t.http.get('/v1/console/sessions/current').set('Cookie', cookie)).status).toBe(401);
    expect((await t.http.get('/v1/console/sessions/current')).status).toBe(401);
  });

  it('gives a session no more than its member holds, and none once they leave the account', async () => {
    const hostToken = await addMember(t, accountId, ownerToken, 'host');
    const { cookie } = await signIn(hostToken);
    expect((await t.http.get('/v1/integrations').set('Cookie', cookie)).status).toBe(403);
    const me = await t.http.get('/v1/me').set('Cookie', cookie);
    expect(me.body.role).toBe('host');
    const members = await t.http.get('/v1/members').set(bearer(ownerToken));
    const host = members.body.data.find((member: { role: string }) => member.role === 'host');
    expect((await t.http.delete(`/v1/members/${host.userId}`).set(bearer(ownerToken))).status).toBe(204);
    expect((await t.http.get('/v1/me').set('Cookie', cookie)).status).toBe(403);
  });

  it('mints links only for members: not for API keys, strangers or made-up ids', async () => {
    const key = await t.http.post('/v1/api-keys').set(bearer(ownerToken)).send({ name: 'ci', mode: 'test' });
    expect((await t.http.post('/v1/console/links').set(bearer(key.body.key))).status).toBe(403);
    const stranger = await t.token({ sub: 'stranger', account: accountId });
    expect((await t.http.post('/v1/console/links').set(bearer(stranger))).status).toBe(403);
    expect((await t.http.post('/v1/console/links')).status).toBe(401);
  });

  it('prefers a bearer token over the cookie', async () => {
    const { cookie } = await signIn();
    const response = await t.http.get('/v1/me').set('Cookie', cookie).set(bearer('not-a-token'));
    expect(response.status).toBe(401);
  });

  it('serves the console under a strict policy: hashed assets cached for a year, pages never', async () => {
    const page = await t.http.get('/console/integrations');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>Plugboard</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
    const policy = page.headers['content-security-policy'];
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe');

    const asset = await t.http.get('/console/assets/app-1a2b3c.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await t.http.get('/console/assets/missing.js')).status).toBe(404);

    const connect = await t.http.get('/connect/cs_token');
    expect(connect.status).toBe(200);
    expect(connect.headers['content-security-policy']).toContain("frame-ancestors 'self' https://app.example.com");
    expect(connect.headers['x-frame-options']).toBeUndefined();
    expect(connect.headers['cross-origin-opener-policy']).toBeUndefined();

    // The embed script: a stable URL other origins' pages load, so cached briefly rather than for a year.
    const embed = await t.http.get('/connect/embed.js');
    expect(embed.status).toBe(200);
    expect(embed.text).toBe('var Plugboard = {};');
    expect(embed.headers).toMatchObject({ 'cache-control': 'public, max-age=300', 'cross-origin-resource-policy': 'cross-origin' });
    expect(embed.headers['content-type']).toMatch(/^(text|application)\/javascript/);
  });
});
