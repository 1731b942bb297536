import { canonicalJson } from './canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units at every level and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: true }, A: 'z' })).toBe('{"A":"z","a":{"c":true,"d":[1,"x",null]},"b":1}');
  });

  it('serialises numbers and strings as ECMAScript does (RFC 8785 appendix examples)', () => {
    expect(canonicalJson({ numbers: [333333333.3333333, 1e30, 4.5, 0.002, 1e-27] })).toBe('{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}');
    expect(canonicalJson({ '\u20ac': 'Euro', '\r': 'CR', '1': 'one', '\u00f6': 'o' })).toBe('{"\\r":"CR","1":"one","ö":"o","€":"Euro"}');
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });
});
