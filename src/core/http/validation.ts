import { type ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { IsOptional, ValidateIf, getMetadataStorage } from 'class-validator';
import type { MetadataStorage } from 'class-validator';
import { FieldError, ValidationFailedError } from '../errors/app-errors.js';

/** The global pipe: unknown fields are refused, and every bad field is listed with its path. */
export function createValidationPipe(): ValidationPipe {
  keepValidationRules(getMetadataStorage());
  return new KeptQueriesValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailedError('The request is not valid', flatten(errors)),
  });
}

/** Query strings longer than this are validated every time rather than kept. */
const KEPT_QUERY_LENGTH = 256;
/** Valid queries kept per query class. */
const KEPT_QUERIES = 256;

/**
 * Clients ask a list the same few queries over and over (`?limit=50`, a filter), and a query's DTO is
 * a pure function of its string values and the class's rules, which are fixed once registered. So each
 * valid query is transformed and validated once, and every request gets its own copy of the result.
 * Invalid queries are not kept: they fail the same way again.
 */
class KeptQueriesValidationPipe extends ValidationPipe {
  private readonly kept = new WeakMap<object, LRUCache<string, object>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype;
    if (metadata.type !== 'query' || !type || !this.toValidate(metadata)) return super.transform(value, metadata);
    const key = JSON.stringify(value);
    if (key.length > KEPT_QUERY_LENGTH) return super.transform(value, metadata);
    let queries = this.kept.get(type);
    if (!queries) this.kept.set(type, (queries = new LRUCache({ max: KEPT_QUERIES })));
    let query = queries.get(key);
    if (!query) {
      query = (await super.transform(value, metadata)) as object;
      queries.set(key, query);
    }
    return copyOf(query);
  }
}

/** A copy a handler may change without changing the kept query: its own fields, its arrays and dates. */
function copyOf(query: object): object {
  const copy = Object.create(Object.getPrototypeOf(query) as object | null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    copy[name] = value instanceof Date ? new Date(value) : Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return copy;
}

/**
 * The field may be left out. A null is validated like any other value, so it is refused unless the
 * field's own rules allow it: class-validator's IsOptional skips null as well, and a null that reaches
 * a handler as "left out" would be written over a value that cannot be null.
 */
export const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** The field may be left out, or null to clear what it holds. */
export const OmittableOrNull = () => IsOptional();

const keeping = new WeakSet<MetadataStorage>();
type Rules = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;

/**
 * class-validator finds a class's rules by testing every class it knows for inheritance, on every
 * validation (typestack/class-validator#2686): with the API's DTOs, that scan was nearly half of what
 * validating a list's query cost (7 µs of CPU, 4 µs without it). The rules a class has, its own and
 * inherited, are fixed once they are registered, so each lookup's answer (and its grouping by
 * property) is kept, and every kept answer is dropped when a rule is registered.
 */
export function keepValidationRules(storage: MetadataStorage): void {
  if (keeping.has(storage)) return;
  keeping.add(storage);
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const register = storage.addValidationMetadata.bind(storage);
  let answers = new Map<string, WeakMap<object, Rules>>();
  let groupings = new WeakMap<Rules, Record<string, Rules>>();

  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const options = JSON.stringify([schema, always, strictGroups, groups ?? null]);
    let byTarget = answers.get(options);
    if (!byTarget) answers.set(options, (byTarget = new WeakMap()));
    let answer = byTarget.get(target);
    if (!answer) byTarget.set(target, (answer = lookUp(target, schema, always, strictGroups, groups)));
    return answer;
  };
  storage.groupByPropertyName = (metadata) => {
    let grouped = groupings.get(metadata);
    if (!grouped) groupings.set(metadata, (grouped = group(metadata)));
    return grouped;
  };
  storage.addValidationMetadata = (metadata) => {
    answers = new Map();
    groupings = new WeakMap();
    register(metadata);
  };
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      path,
      message: message.startsWith('property ') ? 'is not allowed' : message,
    }));
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
