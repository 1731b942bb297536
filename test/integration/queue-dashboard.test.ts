import { QUEUES } from '../../src/core/queue/queues.js';
import { createAccount, startTestApp, TestApp } from '../support/test-app.js';

describe('queue dashboard at /admin/queues', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.token({ sub: 'operator', admin: true });
  });
  afterAll(() => t.close());

  const expectProblem = (response: { status: number; headers: Record<string, string>; body: { code: string } }, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.code).toBe(code);
  };

  it('refuses anonymous visitors, members and account owners', async () => {
    expectProblem(await t.http.get('/admin/queues'), 401, 'unauthenticated');
    expectProblem(await t.http.get('/admin/queues/api/queues'), 401, 'unauthenticated');
    const member = await t.token({ sub: 'someone' });
    expectProblem(await t.http.get('/admin/queues').set('Authorization', `Bearer ${member}`), 403, 'permission_denied');
    const { ownerToken } = await createAccount(t);
    expectProblem(await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${ownerToken}`), 403, 'permission_denied');
    const handoff = await t.http.get(`/admin/queues?token=${ownerToken}`);
    expectProblem(handoff, 403, 'permission_denied');
    expect(String(handoff.headers['set-cookie'] ?? '')).not.toMatch(/plugboard_queues=ey/);
  });

  it('refuses expired, tampered and foreign-signed tokens with 401', async () => {
    const expired = await t.token({ sub: 'operator', admin: true, expiresIn: Math.floor(Date.now() / 1000) - 60 });
    expectProblem(await t.http.get('/admin/queues').set('Authorization', `Bearer ${expired}`), 401, 'unauthenticated');
    const tampered = `${admin.slice(0, -4)}${admin.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expectProblem(await t.http.get(`/admin/queues?token=${tampered}`), 401, 'unauthenticated');
    expectProblem(await t.http.get('/admin/queues/api/queues').set('Cookie', `plugboard_queues=${tampered}`), 401, 'unauthenticated');
    expectProblem(await t.http.get('/admin/queues').set('Authorization', 'Bearer not-a-jwt'), 401, 'unauthenticated');
  });

  it('serves the board and its API to an instance admin with a bearer header', async () => {
    const page = await t.http.get('/admin/queues').set('Authorization', `Bearer ${admin}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('Plugboard queues');
    const api = await t.http.get('/admin/queues/api/queues').set('Authorization', `Bearer ${admin}`);
    expect(api.status).toBe(200);
    expect(api.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(Object.values(QUEUES).sort());
  });

  it('hands a browser a short-lived HttpOnly SameSite=Strict cookie and drops the token from the URL', async () => {
    const handoff = await t.http.get(`/admin/queues?token=${admin}&status=failed`);
    expect(handoff.status).toBe(303);
    expect(handoff.headers.location).toBe('/admin/queues?status=failed');
    const [setCookie] = handoff.headers['set-cookie'] as unknown as string[];
    expect(setCookie).toMatch(/^plugboard_queues=/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/admin/queues');
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(900);
    expect(setCookie).toContain('Secure');
    const cookie = setCookie.split(';')[0];
    // An opaque session id, never the token itself.
    expect(cookie).not.toContain(admin);
    expect(cookie.slice('plugboard_queues='.length)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = await t.http.get('/admin/queues').set('Cookie', cookie);
    expect(page.status).toBe(200);
    expect((await t.http.get('/admin/queues/api/queues').set('Cookie', cookie)).status).toBe(200);
    // The cookie is good for the dashboard only.
    expectProblem(await t.http.get('/v1/accounts').set('Cookie', cookie), 401, 'unauthenticated');
  });

  it('ends the session when its time is up and refuses made-up session ids', async () => {
    const shortLived = await t.token({ sub: 'operator', admin: true, expiresIn: '2s' });
    const handoff = await t.http.get(`/admin/queues?token=${shortLived}`);
    const cookie = (handoff.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    expect((await t.http.get('/admin/queues/api/queues').set('Cookie', cookie)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expectProblem(await t.http.get('/admin/queues/api/queues').set('Cookie', cookie), 401, 'unauthenticated');
    expectProblem(await t.http.get('/admin/queues/api/queues').set('Cookie', `plugboard_queues=${'A'.repeat(43)}`), 401, 'unauthenticated');
    expectProblem(await t.http.get('/admin/queues/api/queues').set('Cookie', 'plugboard_queues=%E0%A4%A'), 401, 'unauthenticated');
  });

  it('limits the cookie to the token’s own remaining lifetime', async () => {
    const shortLived = await t.token({ sub: 'operator', admin: true, expiresIn: '60s' });
    const handoff = await t.http.get(`/admin/queues?token=${shortLived}`);
    const [setCookie] = handoff.headers['set-cookie'] as unknown as string[];
    expect(Number(/Max-Age=(\d+)/.exec(setCookie)?.[1])).toBeLessThanOrEqual(60);
  });
});
