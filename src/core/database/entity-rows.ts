import { createHash } from 'node:crypto';
import type { EntityClass } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { decodeCursor } from '../http/pagination.js';

/** A piece of SQL and its parameters, each `?` one parameter (an array for `= any(?)`). */
export interface Sql {
  text: string;
  params: unknown[];
}

/**
 * Entities read straight from SQL for answering, never for changing: plain objects with the entity's
 * properties (its lazy ones, such as sealed credentials, left out), outside any unit of work. The hot
 * list routes read through this: building a query through MikroORM's criteria and query builder, then
 * hydrating and tracking the rows, costs several times the query itself. Each statement goes to the
 * ORM's pg pool as a named prepared statement, so PostgreSQL parses and plans it once per connection.
 */
@Injectable()
export class EntityRows {
  private readonly queries = new Map<EntityClass<object>, { select: string; dates: string[] }>();
  /** Prepared statements by their text: a name, and the text with pg's numbered placeholders. */
  private readonly statements = new Map<string, { name: string; text: string }>();
  private pool?: Promise<Pool>;

  constructor(private readonly orm: MikroORM) {}

  /** `select <the entity's columns as its properties> from <its table> <rest>`. */
  async select<T extends object>(entity: EntityClass<T>, rest: Sql): Promise<T[]> {
    const { select, dates } = this.queryOf(entity);
    const rows = await this.query(`${select} ${rest.text}`, rest.params);
    // MikroORM has the driver keep timestamps as text (its hydration parses them): so must this.
    for (const row of rows) for (const name of dates) if (typeof row[name] === 'string') row[name] = new Date(row[name]);
    return rows as T[];
  }

  /** The rows of any statement (`?` placeholders), as the driver answers them. */
  async query(text: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    let statement = this.statements.get(text);
    if (!statement) {
      let position = 0;
      statement = { name: `rows_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text: text.replace(/\?/g, () => `$${++position}`) };
      this.statements.set(text, statement);
    }
    this.pool ??= this.orm.em.getConnection().getNativeClient();
    return (await (await this.pool).query<Record<string, unknown>>({ ...statement, values: params })).rows;
  }

  private queryOf(entity: EntityClass<object>): { select: string; dates: string[] } {
    let query = this.queries.get(entity);
    if (!query) {
      const meta = this.orm.getMetadata().get(entity);
      const props = meta.props.filter((prop) => !prop.lazy && prop.persist !== false && prop.fieldNames?.length === 1);
      query = {
        select: `select ${props.map((prop) => `"${prop.fieldNames[0]}" as "${String(prop.name)}"`).join(', ')} from "${meta.tableName}"`,
        dates: props.filter((prop) => prop.runtimeType === 'Date').map((prop) => String(prop.name)),
      };
      this.queries.set(entity, query);
    }
    return query;
  }
}

/** A condition and its parameters; a falsy entry is a filter the request did not ask for. */
export type Condition = readonly [text: string, ...params: unknown[]] | '' | false | null | undefined;

/** `where <every condition, and-ed> <tail>`: parameters travel apart from the statement, never in its text. */
export function where(conditions: Condition[], tail: Sql): Sql {
  const given = conditions.filter((condition): condition is readonly [string, ...unknown[]] => Array.isArray(condition));
  return {
    text: `where ${given.map(([text]) => `(${text})`).join(' and ')} ${tail.text}`,
    params: [...given.flatMap(([, ...params]) => params), ...tail.params],
  };
}

/**
 * The tail of a newest-first page by (created_at, id): after the cursor's position when there is one,
 * one row more than the page so `toPage` can tell whether another page follows.
 */
export function newestFirstPage(query: { cursor?: string; limit: number }): Sql {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  return {
    text: `${after ? 'and (created_at, id) < (?, ?) ' : ''}order by created_at desc, id desc limit ?`,
    params: [...(after ? [after.createdAt, after.id] : []), query.limit + 1],
  };
}
