import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { EntityRows, type Sql } from '../../core/database/entity-rows.js';
import type { Event } from './entities/event.entity.js';

/**
 * The SQL of events: one statement that writes an event together with every fan-out registered for
 * it (an outbox in a single round trip), and retention.
 */
@Injectable()
export class EventRepository {
  constructor(private readonly rows: EntityRows) {}

  /**
   * Inserts the event and runs each fan-out statement against it (each reads the CTE `published`:
   * id, account_id, livemode, type, data, created_at, and returns ids), atomically. Returns each
   * statement's ids, in order. The statement is prepared: its text is the same for every event, so
   * PostgreSQL plans it once per connection rather than on every publish.
   */
  async insertWithFanOut(event: Event, fanOuts: readonly Sql[]): Promise<string[][]> {
    const selected = ['1 as published', ...fanOuts.map((_, index) => `(select coalesce(json_agg(id), '[]') from fan_out_${index}) as fan_out_${index}`)];
    const [row] = (await this.rows.query(
      `with published as (
         insert into events (id, account_id, livemode, type, data, source, created_at) values (?, ?, ?, ?, ?::jsonb, ?, ?)
         returning id, account_id, livemode, type, data, created_at
       )${fanOuts.map((fanOut, index) => `, fan_out_${index} as (${fanOut.text})`).join('')}
       select ${selected.join(', ')}`,
      [
        event.id,
        event.accountId,
        event.livemode,
        event.type,
        JSON.stringify(event.data),
        event.source,
        event.createdAt,
        ...fanOuts.flatMap((fanOut) => fanOut.params),
      ],
    )) as Array<Record<string, string[]>>;
    return fanOuts.map((_, index) => row[`fan_out_${index}`]);
  }

  /** Deletes events published before `cutoff`, in the caller's transaction; returns how many. */
  async deleteCreatedBefore(em: EntityManager, cutoff: Date): Promise<number> {
    const result = await em.execute<{ affectedRows: number }>(`delete from events where created_at < ?`, [cutoff], 'run');
    return result.affectedRows;
  }
}
