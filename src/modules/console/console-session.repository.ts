import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

/** A signed-in console session as authentication reads it. */
export interface SessionRow {
  user_id: string;
  account_id: string | null;
  instance_admin: boolean;
  expires_at: Date;
}

/**
 * The SQL of console sessions: each step is one statement, so a code is exchanged once however many
 * requests race for it, and a request reads its session in one indexed lookup.
 */
@Injectable()
export class ConsoleSessionRepository {
  constructor(private readonly orm: MikroORM) {}

  async createLink(link: { userId: string; accountId?: string; instanceAdmin: boolean; codeHash: string; codeExpiresAt: Date }): Promise<void> {
    await this.orm.em
      .getConnection()
      .execute(
        `insert into console_sessions (id, user_id, account_id, instance_admin, code_hash, code_expires_at, created_at) values (gen_random_uuid(), ?, ?, ?, ?, ?, now())`,
        [link.userId, link.accountId ?? null, link.instanceAdmin, link.codeHash, link.codeExpiresAt],
      );
  }

  /** A session opened by another way of signing in (single sign-on): no link code to exchange. */
  async createSession(session: { userId: string; accountId?: string; instanceAdmin: boolean; tokenHash: string; ttlMs: number }): Promise<SessionRow> {
    const [row] = await this.orm.em.getConnection().execute<SessionRow[]>(
      `insert into console_sessions (id, user_id, account_id, instance_admin, code_expires_at, token_hash, expires_at, created_at)
       values (gen_random_uuid(), ?, ?, ?, now(), ?, now() + (? * interval '1 millisecond'), now())
       returning user_id, account_id, instance_admin, expires_at`,
      [session.userId, session.accountId ?? null, session.instanceAdmin, session.tokenHash, session.ttlMs],
    );
    return row;
  }

  /** Turns an unexpired, unused code into a session; undefined when there is no such code. */
  async exchange(codeHash: string, tokenHash: string, ttlMs: number): Promise<SessionRow | undefined> {
    const rows = await this.orm.em.getConnection().execute<SessionRow[]>(
      `update console_sessions
         set code_hash = null, token_hash = ?, expires_at = now() + (? * interval '1 millisecond')
       where code_hash = ? and code_expires_at > now() and token_hash is null
       returning user_id, account_id, instance_admin, expires_at`,
      [tokenHash, ttlMs, codeHash],
    );
    return rows[0];
  }

  async find(tokenHash: string): Promise<SessionRow | undefined> {
    const rows = await this.orm.em
      .getConnection()
      .execute<SessionRow[]>(
        `select user_id, account_id, instance_admin, expires_at from console_sessions where token_hash = ? and ended_at is null and expires_at > now()`,
        [tokenHash],
      );
    return rows[0];
  }

  async end(tokenHash: string): Promise<void> {
    await this.orm.em.getConnection().execute(`update console_sessions set ended_at = now() where token_hash = ? and ended_at is null`, [tokenHash]);
  }

  /** Links never used and sessions over for a day: nothing left to authenticate. */
  async prune(): Promise<number> {
    const rows = await this.orm.em.getConnection().execute<unknown[]>(
      `delete from console_sessions
       where (token_hash is null and code_expires_at < now() - interval '1 day')
          or coalesce(ended_at, expires_at) < now() - interval '1 day'
       returning 1`,
    );
    return rows.length;
  }
}
