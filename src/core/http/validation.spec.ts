import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsString, getMetadataStorage, validateSync } from 'class-validator';
import { ValidationFailedError } from '../errors/app-errors.js';
import { PageQuery } from './pagination.js';
import { Omittable, createValidationPipe, keepValidationRules } from './validation.js';

class Base {
  @IsInt()
  count!: unknown;
}

class Derived extends Base {
  @IsString()
  name!: unknown;

  @IsInt({ groups: ['strict'] })
  strictOnly!: unknown;
}

const failed = (object: object, groups?: string[]) =>
  validateSync(object, { groups })
    .map((error) => error.property)
    .sort();

describe('keepValidationRules', () => {
  const storage = getMetadataStorage();
  beforeAll(() => keepValidationRules(storage));

  it('answers a class with its own and inherited rules, and keeps the answer', () => {
    const invalid = Object.assign(new Derived(), { count: 'x', name: 1, strictOnly: 'y' });
    // Without groups, a rule of a group applies too (as class-validator has it).
    expect(failed(invalid)).toEqual(['count', 'name', 'strictOnly']);
    expect(failed(invalid, ['strict'])).toEqual(['strictOnly']);
    const first = storage.getTargetValidationMetadatas(Derived, '', false, false);
    expect(storage.getTargetValidationMetadatas(Derived, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    expect(storage.getTargetValidationMetadatas(Derived, '', false, false, ['strict'])).not.toBe(first);
  });

  it('drops what it kept when a rule is registered, on the class or on one it inherits from', () => {
    const valid = Object.assign(new Derived(), { count: 1, name: 'a', strictOnly: 1, late: 'x', inherited: 'y' });
    // Unknown to the rules yet: no rule fails on them.
    expect(failed(valid)).toEqual([]);
    IsInt()(Derived.prototype, 'late');
    expect(failed(valid)).toEqual(['late']);
    IsInt()(Base.prototype, 'inherited');
    expect(failed(valid)).toEqual(['inherited', 'late']);
  });

  it('answers a class declared after the rules were kept', () => {
    class Later extends Derived {
      @IsString()
      extra!: unknown;
    }
    expect(failed(Object.assign(new Later(), { count: 1, name: 'a', strictOnly: 1, late: 1, inherited: 2, extra: 3 }))).toEqual(['extra']);
  });
});

class SinceQuery extends PageQuery {
  @Omittable()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  @Omittable()
  @IsString({ each: true })
  tag?: string[];
}

describe('the validation pipe on queries', () => {
  const pipe = createValidationPipe();
  const asQuery: ArgumentMetadata = { type: 'query', metatype: SinceQuery };
  const parse = (query: Record<string, unknown>) => pipe.transform({ ...query }, asQuery) as Promise<SinceQuery>;

  it('gives every request its own copy of a query asked before', async () => {
    const first = await parse({ limit: '5', since: '2026-01-01T00:00:00.000Z', tag: ['a', 'b'] });
    expect(first).toBeInstanceOf(SinceQuery);
    expect(first).toEqual(Object.assign(new SinceQuery(), { limit: 5, since: new Date('2026-01-01T00:00:00.000Z'), tag: ['a', 'b'] }));
    first.limit = 99;
    first.since!.setFullYear(2000);
    first.tag!.push('c');

    const second = await parse({ limit: '5', since: '2026-01-01T00:00:00.000Z', tag: ['a', 'b'] });
    expect(second).not.toBe(first);
    expect(second).toEqual(Object.assign(new SinceQuery(), { limit: 5, since: new Date('2026-01-01T00:00:00.000Z'), tag: ['a', 'b'] }));
    expect(await parse({})).toEqual(Object.assign(new SinceQuery(), { limit: 20 }));
  });

  it('refuses a bad query every time it is asked', async () => {
    for (let i = 0; i < 2; i++) {
      await expect(parse({ limit: '0' })).rejects.toBeInstanceOf(ValidationFailedError);
      await expect(parse({ limit: '5', unknown: 'x' })).rejects.toBeInstanceOf(ValidationFailedError);
    }
  });

  it('validates a query too long to keep like any other', async () => {
    const cursor = 'c'.repeat(400);
    expect((await parse({ cursor })).cursor).toBe(cursor);
    await expect(parse({ cursor: 'c'.repeat(600) })).rejects.toBeInstanceOf(ValidationFailedError);
  });
});
