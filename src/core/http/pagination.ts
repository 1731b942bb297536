import { Header } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, isUUID, Max, MaxLength, Min } from 'class-validator';
import { ValidationFailedError } from '../errors/app-errors.js';
import { Omittable } from './validation.js';

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @Omittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @Omittable()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export class PageDto {
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page' })
  nextCursor!: string | null;
}

/** A position in a list ordered newest first by (createdAt, id). Opaque to clients. */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !isUUID(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new ValidationFailedError('Invalid cursor', [{ path: 'cursor', message: 'must be a nextCursor from this list' }]);
  }
}

/**
 * The filter for "after this cursor" in newest-first (createdAt, id) order, to be merged into a query.
 * Returns an empty filter for the first page.
 */
export function afterCursor(cursor: string | undefined): Record<string, unknown> {
  if (!cursor) return {};
  const { createdAt, id } = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, id: { $lt: id } }] };
}

export const NEWEST_FIRST = { createdAt: 'desc', id: 'desc' } as const;

/** Given rows fetched with limit + 1, cuts the page and computes its nextCursor. */
export function toPage<E extends CursorPosition, T>(rows: readonly E[], limit: number, map: (row: E) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(map),
    nextCursor: hasMore ? encodeCursor(pageRows[pageRows.length - 1]) : null,
  };
}

/** For a route that returns a `toJsonPage`: Nest sends a string as it is, under the content type set here. */
export const SendsJsonText = () => Header('Content-Type', 'application/json; charset=utf-8');

/** `toPage` for rows whose items are JSON texts already: the page's JSON, the items joined as they are. */
export function toJsonPage<E extends CursorPosition>(rows: readonly E[], limit: number, json: (row: E) => string): string {
  const page = toPage(rows, limit, json);
  return `{"data":[${page.data.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`;
}

/** Pages an in-memory list (catalogs that do not live in the database) by position. */
export function pageArray<T>(items: T[], query: PageQuery): Page<T> {
  let offset = 0;
  if (query.cursor) {
    offset = Number(Buffer.from(query.cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) {
      throw new ValidationFailedError('Invalid cursor', [{ path: 'cursor', message: 'must be a nextCursor from this list' }]);
    }
  }
  const data = items.slice(offset, offset + query.limit);
  const next = offset + query.limit;
  return { data, nextCursor: next < items.length ? Buffer.from(String(next)).toString('base64url') : null };
}
