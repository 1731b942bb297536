import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Event } from './entities/event.entity.js';

/**
 * The SQL of events: one statement that writes an event together with every fan-out registered for
 * it (an outbox in a single round trip), and retention.
 */
@Injectable()
export class EventRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts the event and runs each fan-out statement against it (each reads the CTE `published`:
   * id, account_id, livemode, type, data, created_at, and returns ids), atomically. Returns each statement's ids, in order.
   */
  async insertWithFanOut(event: Event, fanOutStatements: readonly string[]): Promise<string[][]> {
    const fanOuts = fanOutStatements.map((statement, index) => `, fan_out_${index} as (${statement})`).join('');
    const selected = [
      '1 as published',
      ...fanOutStatements.map((_, index) => `(select coalesce(json_agg(id), '[]') from fan_out_${index}) as fan_out_${index}`),
    ];
    const [row] = await this.em.fork().execute<Record<string, string[]>[]>(
      `with published as (
         insert into events (id, account_id, livemode, type, data, source, created_at) values (?, ?, ?, ?, ?::jsonb, ?, ?)
         returning id, account_id, livemode, type, data, created_at
       )${fanOuts}
       select ${selected.join(', ')}`,
      [event.id, event.accountId, event.livemode, event.type, JSON.stringify(event.data), event.source, event.createdAt],
    );
    return fanOutStatements.map((_, index) => row[`fan_out_${index}`]);
  }

  /** Deletes events published before `cutoff`, in the caller's transaction; returns how many. */
  async deleteCreatedBefore(em: EntityManager, cutoff: Date): Promise<number> {
    const result = await em.execute<{ affectedRows: number }>(`delete from events where created_at < ?`, [cutoff], 'run');
    return result.affectedRows;
  }
}
