import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg, { type Client, type Notification } from 'pg';

/** What a channel's listener is told: a change (the payload of its NOTIFY), or that changes may have been missed. */
export interface ChangeHandler {
  change(payload: string): void;
  /** The connection that listens was lost: whatever was kept on the strength of notifications is suspect. */
  missed(): void;
}

/** Between attempts to connect again, so a database that is down is not asked on every request. */
const RETRY_MS = 1_000;

/**
 * PostgreSQL's NOTIFY, as a replica's caches need it: one connection per replica LISTENs on every
 * channel registered, made the first time `caughtUp` is asked (so processes that keep nothing never
 * open it). `caughtUp` resolves after a round trip on that connection; PostgreSQL signals listeners as a
 * transaction commits and a listening session sends what it was signalled before it reads the next
 * statement, so once it resolves true every change committed before the call has been handled. Callers
 * that arrive while a round trip is under way share the next one. Behind a pool in transaction mode
 * (PgBouncer) a session does not keep its LISTEN: caches relying on this must be turned off there.
 */
@Injectable()
export class DatabaseChanges implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseChanges.name);
  private readonly handlers = new Map<string, ChangeHandler[]>();
  /** The listening connection, once it listens on every channel. */
  private live?: Client;
  private connecting = false;
  private retryAt = 0;
  private closed = false;
  private roundTripUnderWay = false;
  /** Callers waiting for the next round trip. */
  private waiting: Array<(caughtUp: boolean) => void> = [];

  constructor(private readonly orm: MikroORM) {}

  /** Tells `handler` of every NOTIFY on `channel` (a lower-case name), and of notifications missed. */
  listen(channel: string, handler: ChangeHandler): void {
    if (!/^[a-z][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid channel name: ${channel}`);
    const handlers = this.handlers.get(channel);
    if (handlers) handlers.push(handler);
    else {
      this.handlers.set(channel, [handler]);
      // A connection already listening learns of the channel before its next round trip.
      void this.live?.query(`listen ${channel}`).catch(() => undefined);
    }
  }

  /**
   * True once every change committed before the call has been handled; false when no connection is
   * listening (being made, or lost), when nothing kept may be trusted.
   */
  caughtUp(): Promise<boolean> {
    if (!this.live) {
      this.connect();
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.roundTripUnderWay) this.roundTrip(this.live!);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const client = this.live;
    this.live = undefined;
    this.release(false);
    await client?.end().catch(() => undefined);
  }

  private roundTrip(client: Client): void {
    const callers = this.waiting;
    this.waiting = [];
    this.roundTripUnderWay = true;
    // An empty statement: PostgreSQL answers it with nothing, after the notifications it owes.
    void client
      .query('')
      .then(
        () => this.live === client,
        () => false,
      )
      .then((caughtUp) => {
        this.roundTripUnderWay = false;
        for (const resolve of callers) resolve(caughtUp);
        if (this.waiting.length === 0) return;
        if (this.live) this.roundTrip(this.live);
        else this.release(false);
      });
  }

  private connect(): void {
    if (this.connecting || this.closed || Date.now() < this.retryAt) return;
    this.connecting = true;
    void (async () => {
      const pool = await this.orm.em.getConnection().getNativeClient();
      const client = new pg.Client({ ...pool.options, application_name: 'plugboard-changes' });
      client.on('notification', (message) => this.notified(message));
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      try {
        await client.connect();
        for (const channel of this.handlers.keys()) await client.query(`listen ${channel}`);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      if (this.closed) await client.end();
      else this.live = client;
    })()
      .catch((error: unknown) => {
        this.retryAt = Date.now() + RETRY_MS;
        this.logger.warn({ err: error }, 'Cannot listen for database changes: caches that rely on them are bypassed');
      })
      .finally(() => {
        this.connecting = false;
      });
  }

  private notified(message: Notification): void {
    for (const handler of this.handlers.get(message.channel) ?? []) handler.change(message.payload ?? '');
  }

  private lost(client: Client | undefined): void {
    if (!client || this.live !== client) return;
    this.live = undefined;
    this.retryAt = Date.now() + RETRY_MS;
    void client.end().catch(() => undefined);
    this.logger.warn('Lost the connection listening for database changes: caches that rely on them are dropped');
    for (const handlers of this.handlers.values()) for (const handler of handlers) handler.missed();
    this.release(false);
  }

  private release(caughtUp: boolean): void {
    const callers = this.waiting;
    this.waiting = [];
    for (const resolve of callers) resolve(caughtUp);
  }
}
