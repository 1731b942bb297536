import type { OpenAPIObject } from '@nestjs/swagger';

type Schema = Record<string, unknown>;

const SAMPLE_UUID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const MAX_DEPTH = 24;

/**
 * An example value for a schema: its own `example`, `examples`, `const` or `default` first, else one
 * built from types, formats and patterns. Deterministic (the document is compared with the committed
 * copy). Optional properties whose value cannot be made valid (a pattern this generator cannot
 * satisfy) are left out.
 */
export function sample(document: OpenAPIObject, schema: Schema | undefined, depth = 0, refs: readonly string[] = []): unknown {
  if (!schema || typeof schema !== 'object') return {};
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop()!;
    const target = (document.components?.schemas as Record<string, Schema> | undefined)?.[name];
    // A schema that contains itself (a tree) is sampled one level deep.
    return refs.includes(name) || depth > MAX_DEPTH ? {} : sample(document, target, depth + 1, [...refs, name]);
  }
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum.find((value) => value !== null) ?? schema.enum[0];
  // Conditional and negated schemas are beyond this generator: such a value is left out where it may be.
  if (['if', 'not', 'dependentSchemas', 'unevaluatedProperties'].some((keyword) => keyword in schema)) return undefined;
  const alternatives = ((schema.oneOf ?? schema.anyOf) as Schema[] | undefined)?.filter((alternative) => !isNullSchema(alternative));
  const parts = [...((schema.allOf as Schema[] | undefined) ?? []), ...(alternatives?.length ? [alternatives[0]] : [])];
  const types = ((Array.isArray(schema.type) ? schema.type : [schema.type]) as unknown[]).filter((type) => type !== undefined && type !== 'null');
  const type = types[0] ?? (schema.properties ? 'object' : undefined);
  if (parts.length > 0) {
    // Properties an alternative requires (`oneOf: [{ required: [a] }, { required: [b] }]`) are taken from the
    // first alternative only, and no optional ones, so that exactly one alternative matches.
    const first = alternatives?.[0];
    const narrowed =
      first &&
      !first.type &&
      Array.isArray(first.required) &&
      Object.values((first.properties as Record<string, unknown> | undefined) ?? {}).every((property) => property === true)
        ? { ...schema, required: [...((schema.required as string[] | undefined) ?? []), ...(first.required as string[])], 'x-only-required': true }
        : schema;
    const rest = narrowed === schema ? parts : parts.filter((part) => part !== first);
    // A part without a type of its own narrows the parent's (`type: string, anyOf: [{ format: ipv4 }, …]`).
    const own = Object.fromEntries(Object.entries(schema).filter(([keyword]) => !['allOf', 'anyOf', 'oneOf'].includes(keyword)));
    const values = [
      ...(type ? [sampleOfType(document, narrowed, type, depth, refs)] : []),
      ...rest.map((part) => sample(document, type && !part.type && !part.properties ? { ...own, ...part } : part, depth + 1, refs)),
    ];
    if (values.every((value) => value !== null && typeof value === 'object' && !Array.isArray(value))) return Object.assign({}, ...values);
    return values[values.length - 1];
  }
  if (!type) return {};
  return sampleOfType(document, schema, type, depth, refs);
}

const isNullSchema = (schema: Schema) => schema.type === 'null';

function sampleOfType(document: OpenAPIObject, schema: Schema, type: unknown, depth: number, refs: readonly string[]): unknown {
  switch (type) {
    case 'object': {
      const result: Record<string, unknown> = {};
      if (depth > MAX_DEPTH) return result;
      const required = new Set((schema.required as string[] | undefined) ?? []);
      for (const [key, property] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) {
        if (schema['x-only-required'] === true && !required.has(key)) continue;
        // Secrets (writeOnly) are left out where they may be: an example is no place for one, and no response may hold one.
        if (property?.writeOnly === true && !required.has(key)) continue;
        const value = sample(document, property, depth + 1, refs);
        if (value === undefined) {
          if (required.has(key)) return undefined;
          continue;
        }
        result[key] = value;
      }
      // An object that must hold some entries (`minProperties`) gets them from `additionalProperties`.
      const extra = schema.additionalProperties;
      for (let index = Object.keys(result).length; index < Number(schema.minProperties ?? 0) && extra && typeof extra === 'object'; index += 1) {
        const value = sample(document, extra as Schema, depth + 1, refs);
        if (value === undefined) return undefined;
        result[`key${index + 1}`] = value;
      }
      return result;
    }
    case 'array': {
      if (schema.maxItems === 0) return [];
      const item = sample(document, schema.items as Schema, depth + 1, refs);
      if (item === undefined) return Number(schema.minItems ?? 0) > 0 ? undefined : [];
      return Array.from({ length: Math.max(1, Number(schema.minItems ?? 1)) }, () => item);
    }
    case 'integer':
    case 'number': {
      const minimum =
        typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? Math.floor(schema.exclusiveMinimum) + 1 : 0;
      const maximum = typeof schema.maximum === 'number' ? schema.maximum : undefined;
      return maximum !== undefined && minimum > maximum ? maximum : Math.max(minimum, Math.min(1, maximum ?? 1));
    }
    case 'boolean':
      return true;
    case 'string':
      return sampleString(schema);
    default:
      return null;
  }
}

const FORMATS: Record<string, string> = {
  uuid: SAMPLE_UUID,
  'date-time': '2026-01-01T12:00:00.000Z',
  date: '2026-01-01',
  time: '12:00:00Z',
  email: 'ana@example.com',
  uri: 'https://example.com/path',
  url: 'https://example.com/path',
  hostname: 'example.com',
  ipv4: '127.0.0.1',
  password: 'secret-value',
};

/** A string of the schema's format or pattern and length; undefined when the pattern is beyond this generator. */
function sampleString(schema: Schema): string | undefined {
  const min = Number(schema.minLength ?? 0);
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const fits = (value: string) =>
    value.length >= min && value.length <= max && (typeof schema.pattern !== 'string' || new RegExp(schema.pattern, 'u').test(value));
  const format = FORMATS[String(schema.format)];
  if (format !== undefined && fits(format)) return format;
  if (typeof schema.pattern === 'string') {
    const generated = fromPattern(schema.pattern);
    if (generated !== undefined) {
      const padded = generated.length < min && /[a-z]$/.test(generated) ? generated.padEnd(min, 'x') : generated;
      if (fits(padded)) return padded;
    }
    return undefined;
  }
  const plain = 'string'.padEnd(min, 'x').slice(0, Math.max(min, Math.min(6, max)));
  return fits(plain) ? plain : undefined;
}

/**
 * A string matching a regular expression, for the patterns plugins use: literals, escapes, classes,
 * groups with alternatives (the first is taken), quantifiers (their least repetition, at least one)
 * and anchors. Undefined for anything else (look-arounds, back-references).
 */
export function fromPattern(pattern: string): string | undefined {
  let position = 0;
  const atEnd = () => position >= pattern.length;

  const parseAlternatives = (): string | undefined => {
    const first = parseSequence();
    while (pattern[position] === '|') {
      position += 1;
      if (parseSequence() === undefined) return undefined;
    }
    return first;
  };

  const parseSequence = (): string | undefined => {
    let out = '';
    while (!atEnd() && pattern[position] !== '|' && pattern[position] !== ')') {
      const atom = parseAtom();
      if (atom === undefined) return undefined;
      const repeat = parseQuantifier();
      if (repeat === undefined) return undefined;
      out += atom.repeat(repeat);
    }
    return out;
  };

  const parseQuantifier = (): number | undefined => {
    const char = pattern[position];
    let count = 1;
    if (char === '?' || char === '*' || char === '+') {
      position += 1;
    } else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(position));
      if (!match) return undefined;
      position += match[0].length;
      count = Math.max(1, Number(match[1]));
    }
    if (pattern[position] === '?') position += 1;
    return count;
  };

  const parseAtom = (): string | undefined => {
    const char = pattern[position];
    if (char === '^' || char === '$') {
      position += 1;
      return '';
    }
    if (char === '(') {
      position += 1;
      if (pattern[position] === '?') {
        if (pattern[position + 1] !== ':') return undefined;
        position += 2;
      }
      const inner = parseAlternatives();
      if (pattern[position] !== ')') return undefined;
      position += 1;
      return inner;
    }
    if (char === '[') return parseClass();
    if (char === '\\') return parseEscape();
    if (char === '.') {
      position += 1;
      return 'a';
    }
    position += 1;
    return char;
  };

  const parseEscape = (): string | undefined => {
    const next = pattern[position + 1];
    position += 2;
    const classes: Record<string, string> = { d: '1', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' };
    if (next in classes) return classes[next];
    if (/[bBkp1-9]/.test(next)) return undefined;
    return next;
  };

  const parseClass = (): string | undefined => {
    const end = findClassEnd(pattern, position);
    if (end < 0) return undefined;
    const body = pattern.slice(position + 1, end);
    position = end + 1;
    if (body.startsWith('^')) return ['a', '1', 'x', '_', 'Z'].find((candidate) => new RegExp(`[${body}]`, 'u').test(candidate));
    const preferred = ['a', 'b', '1', '2', 'A', 'x', '_', '-', '.'];
    return preferred.find((candidate) => new RegExp(`[${body}]`, 'u').test(candidate)) ?? (body[0] === '\\' ? body[1] : body[0]);
  };

  try {
    const result = parseAlternatives();
    return result !== undefined && atEnd() && new RegExp(pattern, 'u').test(result) ? result : undefined;
  } catch {
    return undefined;
  }
}

function findClassEnd(pattern: string, start: number): number {
  for (let index = start + 1; index < pattern.length; index++) {
    if (pattern[index] === '\\') index += 1;
    else if (pattern[index] === ']' && index > start + 1) return index;
  }
  return -1;
}
