import { startTestApp, TestApp } from '../support/test-app.js';

describe('PLUGBOARD_ROLE=worker', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PLUGBOARD_ROLE: 'worker' });
  });
  afterAll(() => t.close());

  it('answers health probes and Prometheus scrapes so orchestrators can watch worker pods', async () => {
    expect((await t.http.get('/health/live')).status).toBe(200);
    const metrics = await t.http.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('plugboard_queue_jobs');
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('serves no API routes', async () => {
    const admin = await t.token({ sub: 'operator', admin: true });
    for (const path of ['/v1/accounts', '/docs/', '/openapi.json', '/healthz', '/admin/queues']) {
      const response = await t.http.get(path).set('Authorization', `Bearer ${admin}`);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.code).toBe('not_found');
    }
  });
});
