import { ValidationError, ValidationPipe } from '@nestjs/common';
import { IsOptional, ValidateIf } from 'class-validator';
import { FieldError, ValidationFailedError } from '../errors/app-errors.js';

/** The global pipe: unknown fields are refused, and every bad field is listed with its path. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailedError('The request is not valid', flatten(errors)),
  });
}

/**
 * The field may be left out. A null is validated like any other value, so it is refused unless the
 * field's own rules allow it: class-validator's IsOptional skips null as well, and a null that reaches
 * a handler as "left out" would be written over a value that cannot be null.
 */
export const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** The field may be left out, or null to clear what it holds. */
export const OmittableOrNull = () => IsOptional();

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
