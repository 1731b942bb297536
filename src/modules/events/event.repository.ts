import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { EntityRows, type Sql } from '../../core/database/entity-rows.js';
import type { Event } from './entities/event.entity.js';

/**
 * The SQL of events: one statement that writes events together with every fan-out registered for
 * them (an outbox in a single round trip), and retention.
 */
@Injectable()
export class EventRepository {
  constructor(private readonly rows: EntityRows) {}

  /** An event as the insert reads it: one JSON object, made once per publish and weighed by its length. */
  rowOf(event: Event): string {
    return JSON.stringify({
      id: event.id,
      account_id: event.accountId,
      livemode: event.livemode,
      type: event.type,
      data: event.data,
      source: event.source,
      created_at: event.createdAt,
    });
  }

  /**
   * Inserts the events (`rowOf` each) and runs each fan-out statement against them (each reads the CTE
   * `published`: id, account_id, livemode, type, data, created_at, and returns ids), atomically. Returns
   * each statement's ids, in order. The statement is prepared: its text is the same whatever the events,
   * so PostgreSQL plans it once per connection rather than on every publish.
   */
  async insertWithFanOut(rows: readonly string[], fanOuts: readonly Sql[]): Promise<string[][]> {
    const selected = ['1 as published', ...fanOuts.map((_, index) => `(select coalesce(json_agg(id), '[]') from fan_out_${index}) as fan_out_${index}`)];
    const [row] = (await this.rows.query(
      `with published as (
         insert into events (id, account_id, livemode, type, data, source, created_at)
         select id, account_id, livemode, type, data, source, created_at
           from jsonb_to_recordset(?::jsonb) as v(id uuid, account_id uuid, livemode boolean, type text, data jsonb, source text, created_at timestamptz)
         returning id, account_id, livemode, type, data, created_at
       )${fanOuts.map((fanOut, index) => `, fan_out_${index} as (${fanOut.text})`).join('')}
       select ${selected.join(', ')}`,
      [`[${rows.join(',')}]`, ...fanOuts.flatMap((fanOut) => fanOut.params)],
    )) as Array<Record<string, string[]>>;
    return fanOuts.map((_, index) => row[`fan_out_${index}`]);
  }

  /** Deletes events published before `cutoff`, in the caller's transaction; returns how many. */
  async deleteCreatedBefore(em: EntityManager, cutoff: Date): Promise<number> {
    const result = await em.execute<{ affectedRows: number }>(`delete from events where created_at < ?`, [cutoff], 'run');
    return result.affectedRows;
  }
}
