import { createHash } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { catchError, from, map, Observable, of, switchMap, throwError } from 'rxjs';
import type { Caller } from '../auth/caller.js';
import { CredentialKeyring } from '../crypto/keyring.js';
import { ConflictError, ValidationFailedError } from '../errors/app-errors.js';
import { IdempotencyRecord } from './entities/idempotency-record.entity.js';

const RETENTION_MS = 24 * 3_600_000;

type CallerRequest = Request & { caller?: Caller };

/**
 * `Idempotency-Key` on POST: the first successful response is stored for 24 hours and replayed for the
 * same key and body; the same key with another body, or while the first request runs, is 409.
 * Failed requests store nothing, so they can be retried with the same key. Stored responses are
 * encrypted: they can hold secrets shown only once (API keys, webhook signing secrets).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly em: EntityManager,
    private readonly keyring: CredentialKeyring,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<CallerRequest>();
    const key = request.header('idempotency-key');
    if (request.method !== 'POST' || key === undefined) return next.handle();
    if (key.length < 1 || key.length > 255) {
      throw new ValidationFailedError('Invalid Idempotency-Key', [{ path: 'Idempotency-Key', message: 'must be 1 to 255 characters' }]);
    }
    const caller = request.caller;
    const scope = caller ? `${caller.accountId ?? '-'}:${caller.livemode}:${caller.apiKeyId ?? caller.userId}` : 'public';
    const id = sha256(`${scope}\n${key}`);
    const requestHash = sha256(`${request.method} ${request.originalUrl}\n${JSON.stringify(request.body ?? null)}`);
    const response = context.switchToHttp().getResponse<Response>();

    return from(this.claim(id, requestHash)).pipe(
      switchMap((stored) => {
        if (stored) {
          response.setHeader('Idempotent-Replayed', 'true');
          return of(this.open(id, stored.responseBody));
        }
        return next.handle().pipe(
          switchMap((body: unknown) => from(this.complete(id, body)).pipe(map(() => body))),
          catchError((error: unknown) => from(this.release(id)).pipe(switchMap(() => throwError(() => error)))),
        );
      }),
    );
  }

  /** Claims the key for this request, or returns the stored response to replay. */
  private async claim(id: string, requestHash: string): Promise<IdempotencyRecord | null> {
    const connection = this.em.getConnection();
    await connection.execute(`delete from idempotency_records where id = ? and created_at < ?`, [id, new Date(Date.now() - RETENTION_MS)]);
    const inserted = await connection.execute<{ id: string }[]>(
      `insert into idempotency_records (id, request_hash, created_at) values (?, ?, ?) on conflict (id) do nothing returning id`,
      [id, requestHash, new Date()],
    );
    if (inserted.length > 0) return null;
    const existing = await this.em.fork().findOne(IdempotencyRecord, { id });
    if (!existing) throw new ConflictError('A request with this Idempotency-Key was just retried; try again');
    if (existing.requestHash !== requestHash) {
      throw new ConflictError('This Idempotency-Key was already used with a different request');
    }
    if (!existing.completedAt) throw new ConflictError('A request with this Idempotency-Key is still in progress');
    return existing;
  }

  private async complete(id: string, body: unknown): Promise<void> {
    const sealed = this.keyring.encryptJson(body ?? null, `idempotency:${id}`);
    await this.em
      .getConnection()
      .execute(`update idempotency_records set completed_at = ?, response_body = ? where id = ?`, [new Date(), JSON.stringify(sealed), id]);
  }

  private open(id: string, sealed: unknown): unknown {
    try {
      return this.keyring.decryptJson(sealed as string, `idempotency:${id}`);
    } catch {
      throw new ConflictError('The first response to this Idempotency-Key can no longer be read; retry with a new key');
    }
  }

  private async release(id: string): Promise<void> {
    await this.em.getConnection().execute(`delete from idempotency_records where id = ?`, [id]);
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
