import { redactUrl } from './logging.js';

describe('redactUrl', () => {
  it.each([
    ['/v1/feeds/5d2c0c1e-4a7e-4f0e-9a53-8b7f1c6f2a10/Zm9vYmFyYmF6cXV4.ics', '/v1/feeds/5d2c0c1e-4a7e-4f0e-9a53-8b7f1c6f2a10/[redacted].ics'],
    ['/v1/feeds/abc/token-without-extension', '/v1/feeds/abc/[redacted]'],
    ['/v1/oauth/callback?code=4%2F0AX&state=s1.sig&scope=email', '/v1/oauth/callback?code=[redacted]&state=[redacted]&scope=email'],
    ['/admin/queues?token=eyJhbGciOi.x.y', '/admin/queues?token=[redacted]'],
    ['/v1/oauth/callback?%63ode=abc', '/v1/oauth/callback?%63ode=[redacted]'],
    ['/v1/integrations?limit=5&cursor=abc', '/v1/integrations?limit=5&cursor=abc'],
    ['/v1/events?event=token.created&limit=5', '/v1/events?event=token.created&limit=5'],
    ['/v1/oauth/callback?st%61te=abc&limit=5', '/v1/oauth/callback?st%61te=[redacted]&limit=5'],
    ['/v1/events', '/v1/events'],
  ])('logs %s as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});
