import { IsInt, IsString, getMetadataStorage, validateSync } from 'class-validator';
import { keepValidationRules } from './validation.js';

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
