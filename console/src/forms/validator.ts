import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import {
  createErrorHandler,
  toErrorSchema,
  unwrapErrorHandler,
  validationDataMerge,
  type CustomValidator,
  type ErrorTransformer,
  type RJSFSchema,
  type RJSFValidationError,
  type UiSchema,
  type ValidationData,
  type ValidatorType,
} from '@rjsf/utils';

// Keywords that only report that something below them failed; the failing keyword below says what.
const WRAPPERS = new Set([
  'properties',
  'items',
  'prefixItems',
  'additionalItems',
  'allOf',
  '$ref',
  'dependentSchemas',
  'unevaluatedProperties',
  'if',
  'then',
  'else',
]);

const cache = new WeakMap<object, Validator>();

function validatorFor(schema: RJSFSchema): Validator {
  let validator = cache.get(schema);
  if (!validator) {
    validator = new Validator(schema as Schema, '2020-12', false);
    cache.set(schema, validator);
  }
  return validator;
}

function pointerToPath(location: string): string[] {
  return location
    .replace(/^#/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'));
}

function toRjsfError(unit: OutputUnit): RJSFValidationError {
  const path = pointerToPath(unit.instanceLocation);
  let message = unit.error;
  if (unit.keyword === 'required') {
    // Attach a missing property to its own field, as the form shows errors per field.
    const missing = /property "([^"]+)"/.exec(unit.error)?.[1];
    if (missing) path.push(missing);
    message = 'is required';
  } else if (unit.keyword === 'pattern') {
    message = 'does not have the expected format';
  } else if (unit.keyword === 'format') {
    message = unit.error.replace(/^Instance ?/, '').replace(/^does not match format/, 'must be a valid');
  } else {
    message = message.replace(/^Instance\s*/, '').replace(/\.$/, '');
  }
  const property = path.length ? `.${path.join('.')}` : '';
  return { name: unit.keyword, property, message, schemaPath: unit.keywordLocation, stack: `${property ? `${path.join('.')} ` : ''}${message}`.trim() };
}

/**
 * A form validator that interprets JSON Schema: the console's CSP forbids `unsafe-eval`, which rules out
 * validators that compile schemas to functions.
 */
export const interpretingValidator: ValidatorType = {
  validateFormData(
    formData: unknown,
    schema: RJSFSchema,
    customValidate?: CustomValidator,
    transformErrors?: ErrorTransformer,
    uiSchema?: UiSchema,
  ): ValidationData<unknown> {
    const result = validatorFor(schema).validate(formData ?? {});
    const seen = new Set<string>();
    let errors = result.errors
      .filter((unit) => !WRAPPERS.has(unit.keyword))
      .map(toRjsfError)
      .filter((error) => {
        const key = `${error.property}|${error.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    if (transformErrors) errors = transformErrors(errors, uiSchema);
    let data: ValidationData<unknown> = { errors, errorSchema: toErrorSchema(errors) };
    if (customValidate) {
      const handler = customValidate(formData, createErrorHandler(formData), uiSchema);
      data = validationDataMerge(data, unwrapErrorHandler(handler));
    }
    return data;
  },
  isValid(schema: RJSFSchema, formData: unknown, rootSchema: RJSFSchema): boolean {
    try {
      const withRoot =
        rootSchema && schema !== rootSchema
          ? { ...schema, $defs: { ...(rootSchema.$defs ?? {}), ...(schema.$defs ?? {}) }, definitions: rootSchema.definitions }
          : schema;
      return new Validator(withRoot as Schema, '2020-12', true).validate(formData ?? null).valid;
    } catch {
      return false;
    }
  },
  rawValidation(schema: RJSFSchema, formData?: unknown) {
    try {
      const result = validatorFor(schema).validate(formData ?? {});
      return { errors: result.errors as never[] };
    } catch (e) {
      return { validationError: e as Error };
    }
  },
};
