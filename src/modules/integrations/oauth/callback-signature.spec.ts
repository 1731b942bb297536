import { callbackSignatureValid } from './callback-signature.js';

describe('callbackSignatureValid', () => {
  // The example of Shopify's OAuth documentation: secret "hush".
  const query = {
    code: '0907a61c0c8d55e99db179b68161bc00',
    shop: 'some-shop.myshopify.com',
    state: '0.6784241404160823',
    timestamp: '1337178173',
    hmac: '700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf',
  };

  it("accepts Shopify's documented example, whatever the parameters' order", () => {
    expect(callbackSignatureValid(query, 'hmac', 'hush')).toBe(true);
    const { hmac, ...rest } = query;
    expect(callbackSignatureValid({ hmac, ...Object.fromEntries(Object.entries(rest).reverse()) }, 'hmac', 'hush')).toBe(true);
  });

  it('refuses another secret, an altered or added parameter, a repeated one, and a missing or malformed signature', () => {
    expect(callbackSignatureValid(query, 'hmac', 'hush!')).toBe(false);
    expect(callbackSignatureValid({ ...query, shop: 'evil.myshopify.com' }, 'hmac', 'hush')).toBe(false);
    expect(callbackSignatureValid({ ...query, host: 'YWRtaW4uc2hvcGlmeS5jb20' }, 'hmac', 'hush')).toBe(false);
    expect(callbackSignatureValid({ ...query, state: [query.state, 'x'] }, 'hmac', 'hush')).toBe(false);
    const { hmac: _omitted, ...unsigned } = query;
    expect(callbackSignatureValid(unsigned, 'hmac', 'hush')).toBe(false);
    expect(callbackSignatureValid({ ...query, hmac: 'zz' }, 'hmac', 'hush')).toBe(false);
  });
});
