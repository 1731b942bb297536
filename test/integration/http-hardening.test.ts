import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { createAccount, startTestApp, TEST_JWT_SECRET, TestApp } from '../support/test-app.js';

const APP_ORIGIN = 'https://app.example.com';
const PUBLIC_LIMIT = 5;

function policyOf(header: string | undefined): Map<string, string[]> {
  expect(header).toBeDefined();
  return new Map(
    header!
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * What a browser would need to allow for the page: every external script and stylesheet, every inline
 * style block and style attribute. Inline scripts that run are not allowed at all.
 */
function pageNeeds(html: string) {
  const attribute = (tag: string, name: string) => new RegExp(`\\s${name}=["']([^"']*)["']`, 'i').exec(tag)?.[1];
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  return {
    base: attribute(/<base\b[^>]*>/i.exec(html)?.[0] ?? '', 'href'),
    scriptSources: scripts.map(([, attributes]) => attribute(attributes, 'src')).filter((src): src is string => !!src),
    inlineScripts: scripts.filter(
      ([, attributes, body]) => !attribute(attributes, 'src') && body.trim() && attribute(attributes, 'type') !== 'application/json',
    ),
    stylesheets: [...html.matchAll(/<link\b[^>]*rel=["']stylesheet["'][^>]*>/gi)].map(([tag]) => attribute(tag, 'href')!),
    styleBlocks: [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map(([, body]) => body),
    styleAttributes: [...html.matchAll(/\sstyle="([^"]*)"/gi)].map(([, value]) => value),
    eventHandlers: [...html.matchAll(/\son[a-z]+=/gi)],
  };
}

/** A per-minute budget must not roll over in the middle of a test. */
async function awayFromMinuteBoundary(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

describe('HTTP hardening: CSP, CORS, per-IP limits, member tokens and Plugboard-Mode', () => {
  let t: TestApp;
  /** Default configuration. Both apps verify member tokens alike: Passport keeps one strategy per process. */
  let plain: TestApp;
  beforeAll(async () => {
    [t, plain] = await Promise.all([
      startTestApp({
        QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX}hardening`,
        CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173`,
        PUBLIC_RATE_LIMIT_PER_MINUTE: String(PUBLIC_LIMIT),
      }),
      startTestApp({ QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX}hardeningdefaults` }),
    ]);
  });
  afterAll(() => Promise.all([t.close(), plain.close()]));

  const sign = (claims: Record<string, unknown>, expiresIn?: string) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
    if (expiresIn) jwt.setExpirationTime(expiresIn);
    return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
  };

  describe('Content-Security-Policy', () => {
    it('gives API answers a policy that loads, runs and frames nothing', async () => {
      for (const path of ['/health/live', '/v1/me', '/openapi.json']) {
        const policy = policyOf((await t.http.get(path)).headers['content-security-policy']);
        expect({ path, policy: Object.fromEntries(policy) }).toEqual({
          path,
          policy: { 'default-src': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"] },
        });
      }
    });

    it('serves Swagger UI at /docs under a policy that allows exactly what the page uses, all from this origin', async () => {
      const page = await t.http.get('/docs');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      const policy = policyOf(page.headers['content-security-policy']);
      const needs = pageNeeds(page.text);
      expect(policy.get('default-src')).toEqual(["'none'"]);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(needs.inlineScripts).toEqual([]);
      expect(needs.eventHandlers).toEqual([]);
      for (const block of needs.styleBlocks) expect(policy.get('style-src')).toContain(sha256(block));
      for (const value of needs.styleAttributes) expect(policy.get('style-src-attr')).toContain(sha256(value));
      expect(needs.scriptSources.length).toBeGreaterThanOrEqual(3);
      for (const [source, type] of [...needs.scriptSources.map((src) => [src, 'javascript']), ...needs.stylesheets.map((href) => [href, 'css'])]) {
        const url = new URL(source, `http://127.0.0.1/docs`);
        expect({ source, origin: url.origin }).toEqual({ source, origin: 'http://127.0.0.1' });
        const asset = await t.http.get(url.pathname);
        expect({ source, status: asset.status, type: asset.headers['content-type'] }).toEqual({ source, status: 200, type: expect.stringContaining(type) });
      }
    });

    it('serves ReDoc at /reference from this origin, with no inline script and no unsafe-inline or unsafe-eval', async () => {
      const page = await t.http.get('/reference');
      expect(page.status).toBe(200);
      const policy = policyOf(page.headers['content-security-policy']);
      const needs = pageNeeds(page.text);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('connect-src')).toEqual(["'self'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect([...policy.values()].flat()).not.toEqual(expect.arrayContaining(["'unsafe-inline'"]));
      expect([...policy.values()].flat()).not.toEqual(expect.arrayContaining(["'unsafe-eval'"]));
      expect(needs.inlineScripts).toEqual([]);
      expect(needs.styleBlocks).toEqual([]);
      expect(needs.scriptSources).toEqual(['/reference/redoc.standalone.js']);
      const bundle = await t.http.get('/reference/redoc.standalone.js');
      expect([bundle.status, bundle.headers['content-type']]).toEqual([200, expect.stringContaining('javascript')]);
    });

    it('serves Bull Board at /admin/queues under a policy its page and assets work with', async () => {
      const admin = await t.token({ sub: 'operator', admin: true });
      const page = await t.http.get('/admin/queues').set('Authorization', `Bearer ${admin}`);
      expect(page.status).toBe(200);
      const policy = policyOf(page.headers['content-security-policy']);
      const needs = pageNeeds(page.text);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('base-uri')).toEqual(["'self'"]);
      expect(needs.base).toBe('/admin/queues/');
      expect(needs.inlineScripts).toEqual([]);
      for (const block of needs.styleBlocks) expect(policy.get('style-src')).toContain(sha256(block));
      for (const value of needs.styleAttributes) expect(policy.get('style-src-attr')).toContain(sha256(value));
      expect(needs.scriptSources.length).toBeGreaterThan(0);
      for (const source of needs.scriptSources) {
        const url = new URL(source, `http://127.0.0.1${needs.base}`);
        expect(url.origin).toBe('http://127.0.0.1');
        const asset = await t.http.get(url.pathname).set('Authorization', `Bearer ${admin}`);
        expect({ source, status: asset.status, type: asset.headers['content-type'] }).toEqual({
          source,
          status: 200,
          type: expect.stringContaining('javascript'),
        });
      }
      // Its third-party font stylesheet is the one thing the policy keeps out.
      const external = needs.stylesheets.filter((href) => /^https?:/.test(href));
      for (const href of external) expect(policy.get('style-src')).not.toContain(new URL(href).origin);
    });
  });

  describe('CORS', () => {
    it('answers a preflight from a listed origin with the methods and headers the API takes', async () => {
      const preflight = await t.http
        .options('/v1/webhooks')
        .set('Origin', APP_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key, plugboard-mode');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(preflight.headers['access-control-allow-methods'].split(',')).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
      expect(preflight.headers['access-control-allow-headers'].toLowerCase().split(',')).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'plugboard-mode']),
      );
      expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();

      const { ownerToken } = await createAccount(t);
      const call = await t.http.get('/v1/me').set('Origin', 'http://localhost:5173').set('Authorization', `Bearer ${ownerToken}`);
      expect(call.status).toBe(200);
      expect(call.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      expect(call.headers['access-control-expose-headers']).toContain('X-Request-Id');
      expect(call.headers.vary).toContain('Origin');
    });

    it('sends no CORS headers to origins that are not listed, nor to any origin by default', async () => {
      for (const [app, origin] of [
        [t, 'https://evil.example'],
        [t, 'https://app.example.com.evil.example'],
        [plain, APP_ORIGIN],
      ] as const) {
        const preflight = await app.http
          .options('/v1/me')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'GET')
          .set('Access-Control-Request-Headers', 'authorization');
        const call = await app.http.get('/v1/me').set('Origin', origin);
        for (const response of [preflight, call]) {
          expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
        }
        expect(preflight.status).not.toBe(204);
      }
    });
  });

  describe('per-IP rate limit on public routes and failed authentication', () => {
    // Requests come through loopback, a trusted proxy, so X-Forwarded-For sets the client address.
    const client = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

    it('answers 429 with Retry-After once an address spends its budget on public routes, other addresses unaffected', async () => {
      await awayFromMinuteBoundary();
      const address = client();
      const integrationId = randomUUID();
      const calls = [
        () => t.http.post(`/v1/hooks/${integrationId}`).set('X-Forwarded-For', address).send({}),
        () => t.http.get(`/v1/feeds/${integrationId}/token.ics`).set('X-Forwarded-For', address),
        () => t.http.get('/v1/oauth/callback?state=nope&code=x').set('X-Forwarded-For', address),
      ];
      for (let index = 0; index < PUBLIC_LIMIT; index++) {
        const response = await calls[index % calls.length]();
        expect(response.status).not.toBe(429);
      }
      for (const call of calls) {
        const refused = await call();
        expect(refused.status).toBe(429);
        expect(refused.headers['content-type']).toContain('application/problem+json');
        expect(refused.body.code).toBe('rate_limited');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      const other = await t.http.post(`/v1/hooks/${integrationId}`).set('X-Forwarded-For', '203.0.113.77').send({});
      expect(other.status).not.toBe(429);
    });

    it('counts failed authentications per address, keeps valid credentials working and never limits probes', async () => {
      await awayFromMinuteBoundary();
      const address = client();
      const { ownerToken } = await createAccount(t);
      for (let index = 0; index < PUBLIC_LIMIT; index++) {
        expect((await t.http.get('/v1/me').set('X-Forwarded-For', address).set('Authorization', 'Bearer forged.jwt.token')).status).toBe(401);
      }
      const refused = await t.http.get('/v1/members').set('X-Forwarded-For', address);
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('rate_limited');
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect((await t.http.get('/v1/me').set('X-Forwarded-For', address).set('Authorization', `Bearer ${ownerToken}`)).status).toBe(200);
      for (let index = 0; index < PUBLIC_LIMIT + 2; index++) {
        expect((await t.http.get('/health/live').set('X-Forwarded-For', address)).status).toBe(200);
      }
    });

    it('shares an IPv6 budget across the /64 an address belongs to', async () => {
      await awayFromMinuteBoundary();
      const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
      for (let index = 0; index < PUBLIC_LIMIT; index++) {
        expect((await t.http.get('/v1/me').set('X-Forwarded-For', `${prefix}::${index + 1}`)).status).toBe(401);
      }
      expect((await t.http.get('/v1/me').set('X-Forwarded-For', `${prefix}:ffff:ffff:ffff:ffff`)).status).toBe(429);
    });
  });

  describe('member tokens', () => {
    it('refuses a token without exp, or expiring further ahead than AUTH_JWT_MAX_TTL (default 24h)', async () => {
      const { accountId, ownerId } = await createAccount(plain);
      const claims = { sub: ownerId, account_id: accountId };
      for (const token of [await sign(claims), await sign(claims, '25h'), await sign({ sub: 'operator', instance_admin: true }, '30d')]) {
        const response = await plain.http.get('/v1/me').set('Authorization', `Bearer ${token}`);
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ code: 'unauthenticated', reason: 'token_invalid' });
      }
      expect((await plain.http.get('/v1/me').set('Authorization', `Bearer ${await sign(claims, '24h')}`)).status).toBe(200);
      const admin = await sign({ sub: 'operator', instance_admin: true }, '23h');
      expect((await plain.http.get('/v1/accounts').set('Authorization', `Bearer ${admin}`)).status).toBe(200);
    });

    it('answers 401 token_invalid to claims that cannot identify a member', async () => {
      const { accountId, ownerId } = await createAccount(plain);
      for (const claims of [
        { sub: ownerId, account_id: 'not-a-uuid' },
        { sub: ownerId, account_id: `${accountId}' or '1'='1` },
        { sub: ownerId, account_id: 42 },
        { sub: 42, account_id: accountId },
        { sub: ['operator'], instance_admin: true },
        { sub: '', account_id: accountId },
        { sub: 'has spaces', account_id: accountId },
        { sub: 'x'.repeat(201), account_id: accountId },
        { sub: 'operator', instance_admin: 'true' },
        { account_id: accountId },
      ]) {
        const response = await plain.http.get('/v1/me').set('Authorization', `Bearer ${await sign(claims, '1h')}`);
        expect({ claims, status: response.status, reason: response.body.reason }).toEqual({ claims, status: 401, reason: 'token_invalid' });
      }
      const upper = await plain.http.get('/v1/me').set('Authorization', `Bearer ${await sign({ sub: ownerId, account_id: accountId.toUpperCase() }, '1h')}`);
      expect(upper.status).toBe(200);
      expect(upper.body.account.id).toBe(accountId);
    });
  });

  describe('Plugboard-Mode', () => {
    it('takes live or test in any case and refuses anything else with 400, for members and API keys', async () => {
      const { ownerToken } = await createAccount(t);
      const member = { Authorization: `Bearer ${ownerToken}` };
      expect((await t.http.get('/v1/me').set(member).set('Plugboard-Mode', 'TEST')).body.livemode).toBe(false);
      expect((await t.http.get('/v1/me').set(member).set('Plugboard-Mode', 'Live')).body.livemode).toBe(true);
      expect((await t.http.get('/v1/me').set(member)).body.livemode).toBe(true);
      const created = await t.http.post('/v1/api-keys').set(member).send({ name: 'mode check', mode: 'test' });
      expect(created.status).toBe(201);
      for (const headers of [member, { Authorization: `Bearer ${created.body.key}` }]) {
        for (const mode of ['bogus', 'production', '', 'live,test']) {
          const response = await t.http.get('/v1/me').set(headers).set('Plugboard-Mode', mode);
          expect({ mode, status: response.status, code: response.body.code }).toEqual({ mode, status: 400, code: 'validation_failed' });
          expect(response.body.errors).toEqual([{ path: 'Plugboard-Mode', message: 'must be live or test' }]);
        }
      }
    });
  });
});
