import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { DeliveryStatus } from './entities/webhook-delivery.entity.js';
import type { DisabledReason } from './entities/webhook-endpoint.entity.js';

/** A delivery taken by a worker, with its endpoint (one query for the whole batch; the events come from EventsService). */
export interface ClaimedDelivery {
  id: string;
  attempts: number;
  round_attempts: number;
  endpoint_id: string;
  url: string;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  account_id: string;
  livemode: boolean;
  event_id: string;
}

export interface AttemptRecord {
  id: string;
  delivery_id: string;
  request_headers: Record<string, string>;
  response_status: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
  created_at: string;
}

export interface DeliveryUpdate {
  id: string;
  status: DeliveryStatus;
  attempts: number;
  round_attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  response_status: number | null;
}

/** What a batch of answers changes: the attempts, the deliveries' outcomes and their endpoints' health. */
export interface OutcomeBatch {
  attempts: AttemptRecord[];
  updates: DeliveryUpdate[];
  /** Endpoints that answered again after failing. */
  recoveredEndpointIds: string[];
  /** Endpoints whose failures start now. */
  failingEndpoints: { id: string; at: string }[];
}

export interface DisabledEndpoint {
  accountId: string;
  livemode: boolean;
  url: string;
  failingSince: Date | null;
}

/** Any number that no other advisory lock of Plugboard uses. */
const RECONCILER_LOCK = 0x5eb400c;

/**
 * The SQL of webhook delivery: claiming due deliveries under a lease, recording outcomes in one
 * statement per batch, disabling endpoints, finding overdue work and deleting expired logs. Services
 * decide what should happen; this class says it to PostgreSQL.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Takes those of `ids` that are due (within a second) and not leased by another worker, leasing them
   * for `leaseMs`: two workers never send one delivery at once, and a killed worker's come back.
   */
  claim(ids: readonly string[], leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.em.fork().execute<ClaimedDelivery[]>(
      `update webhook_deliveries d
          set locked_until = now() + ? * interval '1 millisecond'
         from webhook_endpoints e
        where d.id in (?) and d.status = 'pending'
          and d.next_attempt_at <= now() + interval '1 second'
          and (d.locked_until is null or d.locked_until < now())
          and e.id = d.endpoint_id
        returning d.id, d.attempts, d.round_attempts, d.endpoint_id, e.url, e.enabled, e.secret, e.previous_secret,
                  e.previous_secret_expires_at, e.failing_since, d.account_id, d.livemode, d.event_id`,
      [leaseMs, ids],
    );
  }

  /** Attempts, outcomes (releasing the leases) and endpoint health in one statement: a batch is recorded whole or not at all. */
  async recordOutcomes(batch: OutcomeBatch): Promise<void> {
    await this.em.fork().execute(
      `with attempts as (
         insert into webhook_attempts (id, delivery_id, request_headers, response_status, response_body, duration_ms, error, created_at)
         select id, delivery_id, request_headers, response_status, response_body, duration_ms, error, created_at
           from jsonb_to_recordset(?::jsonb) as v(id uuid, delivery_id uuid, request_headers jsonb, response_status int,
                                                  response_body text, duration_ms int, error text, created_at timestamptz)
       ), outcomes as (
         update webhook_deliveries d
            set status = v.status, attempts = v.attempts, round_attempts = v.round_attempts, next_attempt_at = v.next_attempt_at,
                last_attempt_at = v.last_attempt_at, response_status = v.response_status, locked_until = null
           from jsonb_to_recordset(?::jsonb) as v(id uuid, status text, attempts int, round_attempts int,
                                                  next_attempt_at timestamptz, last_attempt_at timestamptz, response_status int)
          where d.id = v.id
       ), recovered as (
         update webhook_endpoints set failing_since = null
          where id in (select value::uuid from jsonb_array_elements_text(?::jsonb)) and failing_since is not null
       )
       update webhook_endpoints e set failing_since = v.at
         from jsonb_to_recordset(?::jsonb) as v(id uuid, at timestamptz)
        where e.id = v.id and e.failing_since is null`,
      [JSON.stringify(batch.attempts), JSON.stringify(batch.updates), JSON.stringify(batch.recoveredEndpointIds), JSON.stringify(batch.failingEndpoints)],
      'run',
    );
  }

  /**
   * Turns an enabled endpoint off and fails what was still pending for it, in the caller's transaction.
   * Undefined when it was already disabled (another worker got there first).
   */
  async disableEndpoint(em: EntityManager, endpointId: string, reason: DisabledReason): Promise<DisabledEndpoint | undefined> {
    const rows = await em.execute<{ account_id: string; livemode: boolean; url: string; failing_since: Date | null }[]>(
      `update webhook_endpoints set enabled = false, disabled_reason = ?, updated_at = now()
        where id = ? and enabled = true
        returning account_id, livemode, url, failing_since`,
      [reason, endpointId],
    );
    if (rows.length === 0) return undefined;
    await em.execute(
      `update webhook_deliveries set status = 'failed', next_attempt_at = null, locked_until = null where endpoint_id = ? and status = 'pending'`,
      [endpointId],
    );
    const [row] = rows;
    return { accountId: row.account_id, livemode: row.livemode, url: row.url, failingSince: row.failing_since ? new Date(row.failing_since) : null };
  }

  /**
   * Deliveries due for longer than `overdueMs` that nobody holds: their job was lost with Redis, or
   * their worker died and its lease ran out. Empty when another process is looking at the same time.
   */
  overdue(overdueMs: number, limit: number): Promise<string[]> {
    return this.em.fork().transactional(async (em) => {
      const [{ locked }] = await em.execute<{ locked: boolean }[]>(`select pg_try_advisory_xact_lock(?) as locked`, [RECONCILER_LOCK]);
      if (!locked) return [];
      const rows = await em.execute<{ id: string }[]>(
        `select id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= now() - ? * interval '1 millisecond'
            and (locked_until is null or locked_until < now())
          order by next_attempt_at limit ?`,
        [overdueMs, limit],
      );
      return rows.map((row) => row.id);
    });
  }

  /** Deletes deliveries created before `cutoff` with their attempts, in the caller's transaction; returns how many deliveries. */
  async deleteCreatedBefore(em: EntityManager, cutoff: Date): Promise<number> {
    await em.execute(`delete from webhook_attempts where delivery_id in (select id from webhook_deliveries where created_at < ?)`, [cutoff], 'run');
    const deleted = await em.execute<{ affectedRows: number }>(`delete from webhook_deliveries where created_at < ?`, [cutoff], 'run');
    return deleted.affectedRows;
  }
}
