import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, Matches } from 'class-validator';
import { Omittable } from './validation.js';

/** A tag: what connections and webhook endpoints are labelled with, and found and filtered by. */
export const TAG_PATTERN = /^[\w.:@-]{1,64}$/;
const MAX_TAGS = 20;

/** An optional list of up to 20 tags, validated and documented. */
export function OptionalTags(description: string, example: string[] = ['creator']) {
  return applyDecorators(
    ApiPropertyOptional({ type: [String], example, description: `${description} (up to ${MAX_TAGS})` }),
    Omittable(),
    IsArray(),
    ArrayMaxSize(MAX_TAGS),
    Matches(TAG_PATTERN, { each: true, message: 'each tag must be 1-64 letters, digits or _.:@-' }),
  );
}
