import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Special ranges ipaddr.js 1.9 does not name, in its naming style. They are consulted only for
 * addresses the library calls `unicast`, so the library's own names win where ranges overlap (`::1`
 * stays `loopback`, not `ipv4Compatible`; `2001::/32` stays `teredo`).
 */
const UNNAMED_V4: Record<string, [ipaddr.IPv4, number][]> = {
  benchmarking: [ipaddr.IPv4.parseCIDR('198.18.0.0/15')],
};
const UNNAMED_V6: Record<string, [ipaddr.IPv6, number][]> = {
  ipv4Compatible: [ipaddr.IPv6.parseCIDR('::/96')],
  discard: [ipaddr.IPv6.parseCIDR('100::/64')],
  nat64LocalUse: [ipaddr.IPv6.parseCIDR('64:ff9b:1::/48')],
  siteLocal: [ipaddr.IPv6.parseCIDR('fec0::/10')],
  benchmarking: [ipaddr.IPv6.parseCIDR('2001:2::/48')],
  ietfProtocolAssignments: [ipaddr.IPv6.parseCIDR('2001::/23')],
  documentation: [ipaddr.IPv6.parseCIDR('3fff::/20')],
};
/** Everything outside 2000::/3 is unassigned or special (RFC 4291 §2.4): only global unicast passes. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * IPv6 forms that reach an IPv4 host through it: a mapped address is that IPv4 address on a dual-stack
 * socket, and DNS64 answers every IPv4-only name in the NAT64 well-known prefix on IPv6-only networks.
 * They are judged by the IPv4 address inside. Other embedding forms (IPv4-compatible, IPv4-translated,
 * NAT64 local-use, 6to4, Teredo) are deprecated or site-specific and refused whatever they embed.
 */
const JUDGED_BY_EMBEDDED_IPV4 = new Set(['ipv4Mapped', 'rfc6052']);

export interface AddressClass {
  /** ipaddr.js's range name (`unicast`, `loopback`, `teredo`, …) or one of the names above. */
  range: string;
  /** The range of the embedded IPv4 address, for the forms judged by it. */
  embedded?: string;
}

/** Classifies an IP address (DNS answer or URL host without brackets); undefined when it is not one. */
export function classifyAddress(address: string): AddressClass | undefined {
  const parsed = parseAddress(address);
  if (!parsed) return undefined;
  if (parsed.kind() === 'ipv4') return { range: rangeOfV4(parsed as ipaddr.IPv4) };
  const ip = parsed as ipaddr.IPv6;
  const range = rangeOfV6(ip);
  if (!JUDGED_BY_EMBEDDED_IPV4.has(range)) return { range };
  const embedded = ipaddr.fromByteArray(ip.toByteArray().slice(12)) as ipaddr.IPv4;
  return { range, embedded: rangeOfV4(embedded) };
}

/** Whether an outbound connection to this address is refused: anything but global unicast is. */
export function isForbiddenAddress(address: string): boolean {
  const verdict = classifyAddress(address);
  return (verdict?.embedded ?? verdict?.range) !== 'unicast';
}

/** The host of a URL without IPv6 brackets, as DNS and isIP expect it. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * ipaddr.js 1.9 misparses some dotted IPv6 forms (`::127.0.0.1`) that DNS answers may use, so IPv6
 * text goes through the WHATWG URL serialiser first, which writes every address in canonical hex.
 * Zone ids (`fe80::1%eth0`) cannot be written in a URL and are refused with it: no global address has one.
 */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const family = isIP(address);
  if (family === 4) return ipaddr.IPv4.parse(address);
  if (family !== 6) return undefined;
  try {
    return ipaddr.IPv6.parse(bareHost(new URL(`http://[${address}]/`)));
  } catch {
    return undefined;
  }
}

function rangeOfV4(ip: ipaddr.IPv4): string {
  const named = ip.range();
  return named === 'unicast' ? ipaddr.subnetMatch(ip, UNNAMED_V4, 'unicast') : named;
}

function rangeOfV6(ip: ipaddr.IPv6): string {
  const named = ip.range();
  if (named !== 'unicast') return named;
  const unnamed = ipaddr.subnetMatch(ip, UNNAMED_V6, 'unicast');
  return unnamed === 'unicast' && !ip.match(GLOBAL_UNICAST_V6) ? 'reserved' : unnamed;
}
