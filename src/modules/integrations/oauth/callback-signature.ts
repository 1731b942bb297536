import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Whether an OAuth callback carries the provider's signature of itself (`auth.callbackHmac`, Shopify's
 * `hmac`): HMAC-SHA256 in hex, keyed with the client secret, of every other parameter sorted by name
 * and joined as `name=value` pairs by `&`. Repeated or missing parameters fail.
 */
export function callbackSignatureValid(query: Record<string, unknown>, parameter: string, clientSecret: string): boolean {
  const signature = query[parameter];
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const pairs: string[] = [];
  for (const name of Object.keys(query).sort()) {
    if (name === parameter) continue;
    const value = query[name];
    if (typeof value !== 'string') return false;
    pairs.push(`${name}=${value}`);
  }
  const expected = createHmac('sha256', clientSecret).update(pairs.join('&')).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
