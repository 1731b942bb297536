import { exceedsShape } from './json-shape.js';

const limits = { maxDepth: 32, maxEntries: 100 };

function nested(levels: number): unknown {
  let value: unknown = {};
  for (let level = 1; level < levels; level++) value = { a: value };
  return value;
}

describe('exceedsShape', () => {
  it('counts objects and arrays as levels, up to the limit and not past it', () => {
    expect(exceedsShape(nested(32), limits)).toBeUndefined();
    expect(exceedsShape(nested(33), limits)).toEqual({ limit: 'depth', at: 'a' });
    expect(exceedsShape([[[]]], { ...limits, maxDepth: 2 })).toEqual({ limit: 'depth', at: '0' });
    expect(exceedsShape('text', limits)).toBeUndefined();
    expect(exceedsShape(null, limits)).toBeUndefined();
  });

  it('walks 100,000 levels without recursing', () => {
    expect(exceedsShape(nested(100_000), limits)).toEqual({ limit: 'depth', at: 'a' });
  });

  it('names the top-level key under which a limit is passed', () => {
    expect(exceedsShape({ fine: {}, data: nested(40) }, limits)).toEqual({ limit: 'depth', at: 'data' });
    expect(exceedsShape({ data: { many: Array.from({ length: 200 }, () => 1) } }, limits)).toEqual({ limit: 'entries', at: 'data' });
  });

  it('counts object keys and array items in all', () => {
    const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index]));
    expect(exceedsShape(keys(100), limits)).toBeUndefined();
    expect(exceedsShape(keys(101), limits)).toEqual({ limit: 'entries', at: '' });
    expect(exceedsShape({ a: keys(50), b: keys(50) }, limits)).toEqual({ limit: 'entries', at: expect.any(String) });
  });

  it('counts a sparse array by its length and a shared object each time it is reached', () => {
    const sparse: unknown[] = [];
    sparse[2 ** 32 - 2] = 1;
    expect(exceedsShape(sparse, limits)).toEqual({ limit: 'entries', at: '' });
    let lattice: unknown = { leaf: true };
    for (let level = 0; level < 20; level++) lattice = { left: lattice, right: lattice };
    expect(exceedsShape(lattice, limits)).toMatchObject({ limit: 'entries' });
  });

  it('walks maps and sets, and treats binary data and dates as leaves', () => {
    expect(exceedsShape(new Map([['k', nested(40)]]), limits)).toMatchObject({ limit: 'depth' });
    expect(exceedsShape(new Set([nested(40)]), limits)).toMatchObject({ limit: 'depth' });
    expect(exceedsShape({ body: new Uint8Array(1_000_000), at: new Date() }, limits)).toBeUndefined();
  });
});
