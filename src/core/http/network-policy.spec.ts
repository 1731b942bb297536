import { isForbiddenAddress } from './network-policy.js';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

describe('applyOriginOverride', () => {
  it('rewrites only the overridden origin, keeping path and query', async () => {
    const { applyOriginOverride } = await import('./safe-http.js');
    const overrides = { 'https://api.stripe.com': 'http://127.0.0.1:4010/' };
    expect(applyOriginOverride(new URL('https://api.stripe.com/v1/account?x=1'), overrides).toString()).toBe('http://127.0.0.1:4010/v1/account?x=1');
    expect(applyOriginOverride(new URL('https://api.example.com/v1'), overrides).toString()).toBe('https://api.example.com/v1');
  });
});

describe('SafeHttp origin overrides', () => {
  it('sends fetch and request calls for an overridden origin to its replacement', async () => {
    const { createServer } = await import('node:http');
    const { SafeHttp } = await import('./safe-http.js');
    const server = createServer((request, response) => response.end(`${request.method} ${request.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const http = new SafeHttp({ allowPrivateNetwork: true, originOverrides: { 'https://api.stripe.com': `http://127.0.0.1:${port}` } });
    try {
      expect(await (await http.fetch('https://api.stripe.com/v1/account?x=1')).text()).toBe('GET /v1/account?x=1');
      const answer = await http.request('https://api.stripe.com/v1/refunds', { method: 'POST', headers: {}, body: 'a=1', timeoutMs: 5000 });
      expect(await answer.body.text()).toBe('POST /v1/refunds');
    } finally {
      await http.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
