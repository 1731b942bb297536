/**
 * Measures how deep and how large a value is without recursion, so it is safe on input of any shape:
 * what comes after it (class-transformer, ajv, v8 serialisation, JSON.stringify) recurses and throws
 * `RangeError` on deep enough input. Erasable TypeScript only: plugin child processes load it as-is.
 */

export interface ShapeLimits {
  /** Levels of objects, arrays, maps and sets: `{}` is one level, `{"a":[]}` two. */
  maxDepth: number;
  /**
   * Object keys, array items and map/set entries. Counted each time they are reached, so a value
   * that shares one object many times (possible in structured clones) counts it many times, as
   * serialising it to JSON would.
   */
  maxEntries: number;
}

export interface ShapeExcess {
  limit: 'depth' | 'entries';
  /** The top-level key under which the limit was passed; '' when it is the value itself. */
  at: string;
}

interface Pending {
  value: object;
  depth: number;
  at: string;
}

/** The first limit `value` passes, or undefined when it fits. */
export function exceedsShape(value: unknown, limits: ShapeLimits): ShapeExcess | undefined {
  if (!isContainer(value)) return undefined;
  const stack: Pending[] = [{ value, depth: 1, at: '' }];
  let entries = 0;
  while (stack.length > 0) {
    const { value: current, depth, at } = stack.pop()!;
    if (depth > limits.maxDepth) return { limit: 'depth', at };
    // An array counts its length, holes included: a sparse array of length 2^32 is not small.
    if (Array.isArray(current) && (entries += current.length) > limits.maxEntries) return { limit: 'entries', at };
    const children = childrenOf(current);
    if (!Array.isArray(current) && (entries += children.length) > limits.maxEntries) return { limit: 'entries', at };
    for (const [key, child] of children) {
      if (isContainer(child)) stack.push({ value: child, depth: depth + 1, at: depth === 1 ? key : at });
    }
  }
  return undefined;
}

/** Objects whose contents are walked; binary data, dates and other leaves are not containers. */
function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && !(value instanceof Date);
}

function childrenOf(value: object): Array<[string, unknown]> {
  if (value instanceof Map) return [...value].flat().map((item) => ['', item]);
  if (value instanceof Set) return [...value].map((item) => ['', item]);
  // Own enumerable keys only (holes of sparse arrays are skipped): what serialisation carries.
  return Object.entries(value);
}
