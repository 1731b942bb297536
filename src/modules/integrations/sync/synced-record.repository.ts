import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { RecordAction } from '../entities/synced-record.entity.js';

/** A record as a provider's sync returned it: its id and its fields. */
export interface IncomingRecord {
  externalId: string;
  data: Record<string, unknown>;
}

export interface RecordChanges {
  added: number;
  updated: number;
  deleted: number;
}

/** A stored record as the records API reads it. */
export interface StoredRecordRow {
  id: string;
  external_id: string;
  model: string;
  data: Record<string, unknown>;
  first_seen_at: Date;
  last_modified_at: Date;
  last_action: RecordAction;
  deleted_at: Date | null;
}

/** The content hash, computed by PostgreSQL from the jsonb value: key order and spacing do not matter. */
const CONTENT_HASH = `encode(sha256(convert_to(v.data::text, 'UTF8')), 'hex')`;

/**
 * Waits past the millisecond of the statement that just committed. Readers page by (lastModifiedAt, id)
 * with millisecond times, so the next statement's rows must not share a millisecond with rows a reader
 * may already have passed (with random ids, some would sort before its cursor and never be read).
 * A 2 ms timer, as Node's millisecond timer clock may already be nearly 1 ms into its current millisecond.
 */
const nextMillisecond = () => new Promise<void>((resolve) => setTimeout(resolve, 2));

/**
 * The SQL of synced records: writing a batch so that only added and changed records are written (by
 * content hash), marking those a full sync no longer saw as deleted, paging changes in a stable order,
 * and dropping old tombstones.
 */
@Injectable()
export class SyncedRecordRepository {
  constructor(private readonly em: EntityManager) {}

  /** Inserts new records and updates changed ones (or deleted ones that came back); unchanged rows are not touched. */
  async write(integrationId: string, model: string, syncRunId: string, records: readonly IncomingRecord[]): Promise<RecordChanges> {
    if (records.length === 0) return { added: 0, updated: 0, deleted: 0 };
    const rows = await this.em.getConnection().execute<{ last_action: RecordAction }[]>(
      `insert into synced_records (id, integration_id, model, external_id, data, content_hash, last_sync_run_id, first_seen_at, last_modified_at, last_action, created_at, updated_at)
       select gen_random_uuid(), ?, ?, v.external_id, v.data, ${CONTENT_HASH}, ?, now(), date_trunc('milliseconds', clock_timestamp()), 'added', now(), now()
         from jsonb_to_recordset(?::jsonb) as v(external_id text, data jsonb)
       on conflict (integration_id, model, external_id) do update
          set data = excluded.data, content_hash = excluded.content_hash, last_sync_run_id = excluded.last_sync_run_id,
              last_modified_at = excluded.last_modified_at, updated_at = excluded.updated_at, deleted_at = null,
              last_action = case when synced_records.deleted_at is null then 'updated' else 'added' end
        where synced_records.content_hash <> excluded.content_hash or synced_records.deleted_at is not null
       returning last_action`,
      [integrationId, model, syncRunId, JSON.stringify(records.map((record) => ({ external_id: record.externalId, data: record.data })))],
    );
    if (rows.length > 0) await nextMillisecond();
    const added = rows.filter((row) => row.last_action === 'added').length;
    return { added, updated: rows.length - added, deleted: 0 };
  }

  /** Marks the model's records this full sync did not see as deleted; returns how many. */
  markUnseenDeleted(integrationId: string, model: string, seenExternalIds: readonly string[]): Promise<number> {
    return this.markLiveDeleted(integrationId, model, 'not in', seenExternalIds);
  }

  /** Marks these records of the model deleted (the provider said so); returns how many were live. */
  markDeleted(integrationId: string, model: string, externalIds: readonly string[]): Promise<number> {
    return this.markLiveDeleted(integrationId, model, 'in', externalIds);
  }

  private async markLiveDeleted(integrationId: string, model: string, membership: 'in' | 'not in', externalIds: readonly string[]): Promise<number> {
    const result = await this.em.getConnection().execute<{ affectedRows: number }>(
      `update synced_records set deleted_at = now(), last_modified_at = date_trunc('milliseconds', clock_timestamp()), last_action = 'deleted', updated_at = now()
        where integration_id = ? and model = ? and deleted_at is null
          and external_id ${membership} (select jsonb_array_elements_text(?::jsonb))`,
      [integrationId, model, JSON.stringify(externalIds)],
      'run',
    );
    if (result.affectedRows > 0) await nextMillisecond();
    return result.affectedRows;
  }

  /**
   * A page of records in (last modified, id) order — stable, so a reader resumes exactly where it
   * stopped — optionally only those modified after a time and with some last actions.
   */
  async page(
    integrationId: string,
    query: { model?: string; modifiedAfter?: Date; actions: readonly RecordAction[]; after?: { at: Date; id: string }; limit: number },
  ): Promise<StoredRecordRow[]> {
    const conditions = ['integration_id = ?', 'last_action in (?)'];
    const params: unknown[] = [integrationId, query.actions];
    if (query.model) {
      conditions.push('model = ?');
      params.push(query.model);
    }
    if (query.modifiedAfter) {
      conditions.push('last_modified_at > ?');
      params.push(query.modifiedAfter);
    }
    if (query.after) {
      conditions.push('(last_modified_at, id) > (?, ?)');
      params.push(query.after.at, query.after.id);
    }
    const rows = await this.em.getConnection().execute<(StoredRecordRow & Record<'first_seen_at' | 'last_modified_at', Date | string>)[]>(
      `select id, external_id, model, data, first_seen_at, last_modified_at, last_action, deleted_at from synced_records
        where ${conditions.join(' and ')} order by last_modified_at, id limit ?`,
      [...params, query.limit],
    );
    return rows.map((row) => ({
      ...row,
      first_seen_at: new Date(row.first_seen_at),
      last_modified_at: new Date(row.last_modified_at),
      deleted_at: row.deleted_at ? new Date(row.deleted_at) : null,
    }));
  }

  /** Drops tombstones of records deleted before `cutoff`; returns how many. */
  async purgeDeletedBefore(cutoff: Date): Promise<number> {
    const result = await this.em.getConnection().execute<{ affectedRows: number }>(`delete from synced_records where deleted_at < ?`, [cutoff], 'run');
    return result.affectedRows;
  }
}
