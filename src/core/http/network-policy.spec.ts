import { classifyAddress, isForbiddenAddress } from './network-policy.js';

/** Pure classification: nothing here opens a connection. */
describe('address classification', () => {
  it.each([
    // IPv4
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['169.254.169.254', 'linkLocal'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.254', 'benchmarking'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['febf:ffff::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fec0::1', 'siteLocal'],
    ['feff::1', 'siteLocal'],
    ['ff02::1', 'multicast'],
    ['ff0e::1', 'multicast'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::a9fe:a9fe', 'ipv4Compatible'],
    ['::8.8.8.8', 'ipv4Compatible'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['::ffff:0:808:808', 'rfc6145'],
    ['::ffff:0:0:7f00:1', 'reserved'],
    ['64:ff9b:1::7f00:1', 'nat64LocalUse'],
    ['64:ff9b:1::808:808', 'nat64LocalUse'],
    ['100::1', 'discard'],
    ['2002:7f00:1::', '6to4'],
    ['2002:808:808::1', '6to4'],
    ['2001::1', 'teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'ietfProtocolAssignments'],
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'documentation'],
    ['4000::1', 'reserved'],
    ['200::1', 'reserved'],
    ['1::1', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(classifyAddress(address)).toEqual({ range });
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    ['::ffff:127.0.0.1', 'ipv4Mapped', 'loopback'],
    ['::ffff:7f00:1', 'ipv4Mapped', 'loopback'],
    ['::ffff:c0a8:101', 'ipv4Mapped', 'private'],
    ['::ffff:169.254.169.254', 'ipv4Mapped', 'linkLocal'],
    ['::ffff:100.64.0.1', 'ipv4Mapped', 'carrierGradeNat'],
    ['::ffff:0.0.0.0', 'ipv4Mapped', 'unspecified'],
    ['64:ff9b::7f00:1', 'rfc6052', 'loopback'],
    ['64:ff9b::127.0.0.1', 'rfc6052', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052', 'linkLocal'],
    ['64:ff9b::c0a8:101', 'rfc6052', 'private'],
  ])('refuses %s (%s of a %s address)', (address, range, embedded) => {
    expect(classifyAddress(address)).toEqual({ range, embedded });
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['not-an-ip', '127.1', '0x7f.0.0.1', '2130706433', 'fe80::1%eth0', '2606:4700::1%eth0', ''])('refuses %j, which is not an address', (address) => {
    expect(classifyAddress(address)).toBeUndefined();
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    ['93.184.216.34', { range: 'unicast' }],
    ['8.8.8.8', { range: 'unicast' }],
    ['2606:4700:4700::1111', { range: 'unicast' }],
    ['2a00:1450:4001:81c::200e', { range: 'unicast' }],
    ['::ffff:8.8.8.8', { range: 'ipv4Mapped', embedded: 'unicast' }],
    ['64:ff9b::808:808', { range: 'rfc6052', embedded: 'unicast' }],
  ])('allows %s, a global unicast address', (address, verdict) => {
    expect(classifyAddress(address)).toEqual(verdict);
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

describe('SafeHttp literal addresses', () => {
  it.each([
    'http://[::127.0.0.1]/',
    'http://[::ffff:0:0:7f00:1]/',
    'http://[64:ff9b:1::7f00:1]/',
    'http://[2002:7f00:1::]/',
    'http://[2001::1]/',
    'http://[fec0::1]/',
    'http://[::a9fe:a9fe]/',
    'http://[::FFFF:127.0.0.1]:8080/',
    'http://[0:0:0:0:0:ffff:7f00:0001]/',
    'http://0x7f.1/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://169.254.169.254./latest/meta-data',
  ])('refuses %s before connecting', async (url) => {
    const { SafeHttp } = await import('./safe-http.js');
    const http = new SafeHttp({ allowPrivateNetwork: false });
    try {
      await expect(http.assertAllowed(url)).rejects.toMatchObject({ code: 'forbidden_destination' });
      // Already aborted: were the address let through, the request would end before connecting.
      await expect(http.fetch(url, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'forbidden_destination' });
    } finally {
      await http.close();
    }
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
