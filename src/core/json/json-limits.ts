import type { NextFunction, Request, Response } from 'express';
import { ValidationFailedError } from '../errors/app-errors.js';
import { exceedsShape, type ShapeLimits } from './json-shape.js';

/** Levels of nesting any JSON Plugboard accepts may have (bodies, event data, settings, inputs). */
export const JSON_MAX_DEPTH = 32;

/** The limits of accepted JSON, with JSON_MAX_KEYS object keys and array items in all. */
export function jsonLimits(maxKeys: number): ShapeLimits {
  return { maxDepth: JSON_MAX_DEPTH, maxEntries: maxKeys };
}

/** Throws 400 `validation_failed` naming the limit when `value` (called `what`, at `path`) passes one. */
export function assertJsonShape(value: unknown, limits: ShapeLimits, what: string, path = ''): void {
  const excess = exceedsShape(value, limits);
  if (!excess) return;
  const message =
    excess.limit === 'depth'
      ? `is nested deeper than ${limits.maxDepth} levels (the limit)`
      : `holds more than ${limits.maxEntries} object keys and array items (JSON_MAX_KEYS)`;
  throw new ValidationFailedError(`${what} ${message}`, [{ path: [path, excess.at].filter(Boolean).join('.'), message }]);
}

/**
 * Runs right after the JSON body parser (JSON.parse does not recurse, so any depth parses): a body
 * past the limits is refused before validation pipes, which do recurse, ever see it.
 */
export function jsonBodyLimits(limits: ShapeLimits) {
  return (request: Request, _response: Response, next: NextFunction) => {
    try {
      if (typeof request.body === 'object') assertJsonShape(request.body, limits, 'The request body');
      next();
    } catch (error) {
      next(error);
    }
  };
}
